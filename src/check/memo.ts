/**
 * The search's memory of configurations already explored: pairs (set of linearized operations,
 * model state), as in Lowe's "Testing for linearizability" (2017) and Porcupine's cache of
 * (bitset, state). A configuration met twice has the same futures both times, so the second
 * visit is skipped: this is what keeps the Wing & Gong search from exploring the same prefix in
 * every order.
 *
 * Layout: open addressing over typed arrays, no objects per entry. The caller keeps the set's
 * hash up to date incrementally (Zobrist hashing: a random 64-bit value per operation, XORed in
 * and out as operations are linearized and undone), so adding costs one probe sequence and, on a
 * hash match, one comparison of the bitset's words. Bitsets are stored from their first word that
 * is not all ones to their last non-zero word (see `Search`: operations are numbered so that the
 * linearized ones of a long history form a solid prefix), which keeps entries short on long
 * histories.
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
  /** Entries stored; entry 0 is unused so that a slot holding 0 means empty. */
  size = 0

  constructor(initialSlots = 1 << 12) {
    this.slots = new Int32Array(initialSlots)
    this.mask = initialSlots - 1
    const cap = initialSlots >> 1
    this.keyA = new Uint32Array(cap + 1)
    this.keyB = new Uint32Array(cap + 1)
    this.state = new Int32Array(cap + 1)
    this.offset = new Int32Array(cap + 2)
    this.pool = new Uint32Array(cap * 4)
  }

  /**
   * Adds (words[lo..hi), with lo stored as the first word, state); true when it was not there.
   * `h1`, `h2`: the set's Zobrist hash, independent of how it is encoded.
   */
  add(words: Uint32Array, lo: number, hi: number, h1: number, h2: number, state: number): boolean {
    const k1 = (h1 ^ Math.imul(state + 0x632be5ab, 0x9e3779b1)) >>> 0
    const k2 = (h2 ^ Math.imul(state + 0x7f4a7c15, 0x85ebca77)) >>> 0
    const len = hi - lo + 1
    let slot = k1 & this.mask
    for (;;) {
      const e = this.slots[slot]!
      if (e === 0) break
      if (this.keyA[e] === k1 && this.keyB[e] === k2 && this.state[e] === state && this.sameWords(e, words, lo, len)) return false
      slot = (slot + 1) & this.mask
    }
    // Insert.
    const e = ++this.size
    if (e >= this.keyA.length) this.growEntries()
    this.keyA[e] = k1
    this.keyB[e] = k2
    this.state[e] = state
    let at = this.offset[e]!
    if (at + len > this.pool.length) {
      const bigger = new Uint32Array(Math.max(this.pool.length * 2, at + len))
      bigger.set(this.pool.subarray(0, this.poolUsed))
      this.pool = bigger
    }
    this.pool[at++] = lo
    for (let i = lo; i < hi; i++) this.pool[at++] = words[i]!
    this.poolUsed = at
    this.offset[e + 1] = at
    this.slots[slot] = e
    if (this.size * 2 > this.slots.length) this.rehash()
    return true
  }

  private sameWords(e: number, words: Uint32Array, lo: number, len: number): boolean {
    const start = this.offset[e]!
    if (this.offset[e + 1]! - start !== len || this.pool[start] !== lo) return false
    for (let i = 1; i < len; i++) if (this.pool[start + i] !== words[lo + i - 1]) return false
    return true
  }

  private growEntries(): void {
    const cap = this.keyA.length * 2
    const grow = <T extends Uint32Array | Int32Array>(a: T, n: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n)
      b.set(a)
      return b
    }
    this.keyA = grow(this.keyA, cap)
    this.keyB = grow(this.keyB, cap)
    this.state = grow(this.state, cap)
    this.offset = grow(this.offset, cap + 1)
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
    return this.slots.byteLength + this.keyA.byteLength * 3 + this.offset.byteLength + this.pool.byteLength
  }
}
