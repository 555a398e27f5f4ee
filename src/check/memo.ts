/**
 * The search's memory of configurations already explored, as in Lowe's "Testing for
 * linearizability" (2017) and Porcupine's cache of (bitset, state): a configuration met again has
 * the same futures, so it is skipped. This is what keeps the Wing & Gong search from exploring the
 * same prefix in every order.
 *
 * dtk's configurations have two parts: the *required* operations linearized so far (R), and the
 * *optional* ones (unknown outcome) that were made to take effect (O). Two configurations with the
 * same R and the same state differ only in which optional operations are used up, and the one that
 * used up fewer can do everything the other can (an optional operation may always be left out).
 * So a configuration is skipped when one with the same (R, state) and an O that is a subset of
 * its own was seen: subsumption rather than equality. Without it, a history with many `info`
 * operations has a configuration for every combination of them; with it, only the minimal ones.
 *
 * Layout: open addressing over typed arrays, no objects per entry. The caller keeps R's hash up
 * to date incrementally (Zobrist hashing: a random 64-bit value per operation, XORed in and out),
 * so a lookup costs one probe sequence and, on a hash match, one comparison of R's words, stored
 * from the first word that is not all ones to the last that is not zero (the search numbers
 * required operations so that the linearized ones of a long history form a solid prefix). Each
 * entry keeps the list of its minimal O sets.
 */
export class ConfigurationSet {
  private slots: Int32Array
  private mask: number
  private keyA: Uint32Array
  private keyB: Uint32Array
  private state: Int32Array
  private offset: Int32Array
  private pool: Uint32Array
  private poolUsed = 0
  /** Per entry: the first node of its list of O sets (−1 for none: O is always empty). */
  private optHead: Int32Array
  /** Nodes: [next node, O's words…]. */
  private opt: Uint32Array
  private optUsed = 0
  /** (R, state) entries stored; entry 0 is unused so that a slot holding 0 means empty. */
  size = 0
  /** Configurations stored, counting each O set of an entry. */
  configurations = 0

  constructor(
    /** Words of the optional part of the bitset (0 when every operation is required). */
    private readonly optWords: number,
    initialSlots = 1 << 12,
  ) {
    this.slots = new Int32Array(initialSlots)
    this.mask = initialSlots - 1
    const cap = initialSlots >> 1
    this.keyA = new Uint32Array(cap + 1)
    this.keyB = new Uint32Array(cap + 1)
    this.state = new Int32Array(cap + 1)
    this.offset = new Int32Array(cap + 2)
    this.pool = new Uint32Array(cap * 4)
    this.optHead = new Int32Array(cap + 1)
    this.opt = new Uint32Array(optWords === 0 ? 0 : cap * (optWords + 1))
  }

  /**
   * Adds the configuration (R = words[lo..hi), O = words[optFrom..optFrom + optWords), state);
   * false when it, or one that subsumes it, was already there. `h1`, `h2`: R's Zobrist hash.
   */
  add(words: Uint32Array, lo: number, hi: number, optFrom: number, h1: number, h2: number, state: number): boolean {
    const k1 = (h1 ^ Math.imul(state + 0x632be5ab, 0x9e3779b1)) >>> 0
    const k2 = (h2 ^ Math.imul(state + 0x7f4a7c15, 0x85ebca77)) >>> 0
    const len = hi - lo + 1
    let slot = k1 & this.mask
    for (;;) {
      const e = this.slots[slot]!
      if (e === 0) break
      if (this.keyA[e] === k1 && this.keyB[e] === k2 && this.state[e] === state && this.sameWords(e, words, lo, len)) return this.addOptional(e, words, optFrom)
      slot = (slot + 1) & this.mask
    }
    const e = ++this.size
    if (e >= this.keyA.length) this.growEntries()
    this.keyA[e] = k1
    this.keyB[e] = k2
    this.state[e] = state
    let at = this.offset[e]!
    if (at + len > this.pool.length) this.pool = grow(this.pool, Math.max(this.pool.length * 2, at + len), this.poolUsed)
    this.pool[at++] = lo
    for (let i = lo; i < hi; i++) this.pool[at++] = words[i]!
    this.poolUsed = at
    this.offset[e + 1] = at
    this.optHead[e] = -1
    this.slots[slot] = e
    this.configurations++
    if (this.optWords > 0) this.pushOptional(e, words, optFrom)
    if (this.size * 2 > this.slots.length) this.rehash()
    return true
  }

  /** Same (R, state) seen: skip unless no stored O is a subset of this one. */
  private addOptional(e: number, words: Uint32Array, optFrom: number): boolean {
    const w = this.optWords
    if (w === 0) return false
    const opt = this.opt
    for (let n = this.optHead[e]!; n >= 0; n = opt[n]! - 1) {
      let subset = true
      for (let i = 0; i < w; i++) {
        if ((opt[n + 1 + i]! & ~words[optFrom + i]!) !== 0) {
          subset = false
          break
        }
      }
      if (subset) return false
    }
    this.pushOptional(e, words, optFrom)
    this.configurations++
    return true
  }

  private pushOptional(e: number, words: Uint32Array, optFrom: number): void {
    const w = this.optWords
    const n = this.optUsed
    if (n + w + 1 > this.opt.length) this.opt = grow(this.opt, Math.max(this.opt.length * 2, n + w + 1), n)
    // Node links are stored +1 so that 0 ends a list.
    this.opt[n] = this.optHead[e]! + 1
    for (let i = 0; i < w; i++) this.opt[n + 1 + i] = words[optFrom + i]!
    this.optHead[e] = n
    this.optUsed = n + w + 1
  }

  private sameWords(e: number, words: Uint32Array, lo: number, len: number): boolean {
    const start = this.offset[e]!
    if (this.offset[e + 1]! - start !== len || this.pool[start] !== lo) return false
    for (let i = 1; i < len; i++) if (this.pool[start + i] !== words[lo + i - 1]) return false
    return true
  }

  private growEntries(): void {
    const cap = this.keyA.length * 2
    this.keyA = grow(this.keyA, cap)
    this.keyB = grow(this.keyB, cap)
    this.state = grow(this.state, cap)
    this.offset = grow(this.offset, cap + 1)
    this.optHead = grow(this.optHead, cap)
  }

  private rehash(): void {
    const n = this.slots.length * 2
    const slots = new Int32Array(n)
    const mask = n - 1
    for (let e = 1; e <= this.size; e++) {
      let s = this.keyA[e]! & mask
      while (slots[s] !== 0) s = (s + 1) & mask
      slots[s] = e
    }
    this.slots = slots
    this.mask = mask
  }

  /** Bytes held, for reports. */
  get bytes(): number {
    return this.slots.byteLength + this.keyA.byteLength * 3 + this.offset.byteLength + this.optHead.byteLength + this.pool.byteLength + this.opt.byteLength
  }
}

function grow<T extends Uint32Array | Int32Array>(a: T, n: number, used = a.length): T {
  const b = new (a.constructor as new (n: number) => T)(n)
  b.set(a.subarray(0, used))
  return b
}
