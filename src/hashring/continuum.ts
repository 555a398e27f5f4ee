/**
 * A hash ring's continuum (Karger et al., STOC 1997; the name is libketama's): points on the
 * 32-bit circle, each owned by a node, kept as a sorted `Uint32Array` with a parallel array of
 * owners. A hash belongs to the first point at or after it, wrapping past 2^32 − 1 to the first
 * point; libketama and the npm `hashring` package search the same way.
 *
 * Points that collide are ordered by a sequence number the builder chooses (its insertion order),
 * so the ring is the same in every process.
 */
export class Continuum {
  readonly points: Uint32Array
  readonly owners: Uint16Array
  /**
   * A first-level index: `index[b]` is the first point whose top `bits` bits are >= b, so a
   * search only looks among the few points that share the hash's top bits.
   */
  private readonly index: Uint32Array
  private readonly shift: number
  /** Per-node stamps for collecting distinct owners without clearing a set each time. */
  private readonly stamp: Uint32Array
  private gen = 0

  /** `points[k]`, `owners[k]` in insertion order; at most 2^21 points. */
  constructor(points: ArrayLike<number>, owners: ArrayLike<number>, nodeCount: number) {
    const n = points.length
    if (n === 0 || n > 2097152) throw new RangeError(`a continuum holds 1 to 2^21 points, not ${n}`)
    const keys = new Float64Array(n)
    for (let k = 0; k < n; k++) keys[k] = points[k]! * 2097152 + k
    keys.sort()
    this.points = new Uint32Array(n)
    this.owners = new Uint16Array(n)
    for (let k = 0; k < n; k++) {
      const key = keys[k]!
      const seq = key % 2097152
      this.points[k] = (key - seq) / 2097152
      this.owners[k] = owners[seq]!
    }
    this.stamp = new Uint32Array(nodeCount)
    // About one point per index slot, between 2^8 and 2^16 slots.
    const bits = Math.min(16, Math.max(8, Math.ceil(Math.log2(Math.max(1, n)))))
    this.shift = 32 - bits
    this.index = new Uint32Array((1 << bits) + 1)
    for (let b = 0, k = 0; b <= 1 << bits; b++) {
      while (k < n && this.points[k]! >>> this.shift < b) k++
      this.index[b] = k
    }
  }

  get size(): number {
    return this.points.length
  }

  /** The index of the first point >= h, or 0 when h is past the last point. */
  find(h: number): number {
    const p = this.points
    const b = h >>> this.shift
    let lo = this.index[b]!
    let hi = this.index[b + 1]!
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (p[mid]! < h) lo = mid + 1
      else hi = mid
    }
    return lo === p.length ? 0 : lo
  }

  /**
   * The first r distinct owners walking clockwise from point `from`, into `out[0..r)`, skipping
   * `skip` (a node index, or -1). The caller ensures r distinct owners exist.
   */
  distinctFrom(from: number, r: number, out: number[], skip = -1): void {
    const owners = this.owners
    const n = owners.length
    const gen = ++this.gen
    if (gen === 0xffffffff) {
      this.stamp.fill(0)
      this.gen = 1
    }
    const g = this.gen
    let found = 0
    for (let k = 0, i = from; k < n && found < r; k++, i = i + 1 === n ? 0 : i + 1) {
      const o = owners[i]!
      if (o === skip || this.stamp[o] === g) continue
      this.stamp[o] = g
      out[found++] = o
    }
    // A node can own no point at all (ketama gives a server of tiny weight no digest): the rest
    // in node order, deterministically.
    for (let o = 0; found < r && o < this.stamp.length; o++) {
      if (o === skip || this.stamp[o] === g) continue
      this.stamp[o] = g
      out[found++] = o
    }
  }

  memoryBytes(): number {
    return this.points.byteLength + this.owners.byteLength + this.index.byteLength + this.stamp.byteLength
  }
}
