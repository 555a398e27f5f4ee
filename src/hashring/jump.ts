import {normalizeConfig, type NormalConfig, type RingConfig} from './config.js'
import {h64, murmur3U64} from './murmur3.js'
import {Placement} from './placement.js'
import {mul64, u64} from './u64.js'

/**
 * Jump consistent hash (Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm",
 * 2014): a 64-bit key and a bucket count n give a bucket in [0, n) with no table at all, in
 * O(ln n) steps of a 64-bit linear congruential generator. Growing from n to n + 1 buckets moves
 * exactly the keys that land in the new bucket, 1/(n + 1) of them.
 *
 * Jump numbers buckets and can only grow or shrink at the end: removing a bucket in the middle
 * would renumber the ones after it and remap their keys. dtk's answer is an empty bucket: the
 * config keeps the bucket numbering and marks the removed node's bucket `null` (`~` on the command
 * line); a key that lands there is rehashed (MurmurHash3 of its 64-bit hash, seeded 1, 2, …) and
 * jumped again until it lands on a live bucket. Only the removed node's keys move, and they
 * spread evenly over the live buckets; a later join fills the first empty bucket, so those keys
 * come back. The price is lookup time: a key needs n / live jumps on average.
 *
 * String keys become 64-bit keys through dtk's key hash (MurmurHash3_x86_128, first 64 bits).
 * Replicas: candidate a = 0, 1, 2, … is the bucket of the key's a-th rehash; the first r distinct
 * live buckets win, so each replica is itself a jump placement and moves as little.
 */
export class JumpPlacement extends Placement {
  readonly algo = 'jump' as const
  private readonly live: Uint8Array
  private readonly liveCount: number

  constructor(config: NormalConfig) {
    super(config)
    this.live = new Uint8Array(config.nodes.map((n) => (n === null ? 0 : 1)))
    this.liveCount = this.nodes.length
  }

  protected pick(): number {
    const n = this.slots.length
    let b = jumpHash(this.kh, this.kl, n)
    for (let a = 1; this.live[b] === 0; a++) {
      murmur3U64(this.kh, this.kl, a)
      b = jumpHash(h64.hi, h64.lo, n)
      if (a > 64 * n) return this.firstLive(b)
    }
    return b
  }

  protected pickN(r: number, out: number[]): void {
    const n = this.slots.length
    let found = 0
    let b = jumpHash(this.kh, this.kl, n)
    for (let a = 1; ; a++) {
      if (this.live[b] === 1 && !among(out, found, b)) out[found++] = b
      if (found === r) return
      if (a > 64 * n) break
      murmur3U64(this.kh, this.kl, a)
      b = jumpHash(h64.hi, h64.lo, n)
    }
    // Astronomically unlikely: fill the rest deterministically with the next live buckets.
    for (let i = b; found < r; i = (i + 1) % n) if (this.live[i] === 1 && !among(out, found, i)) out[found++] = i
  }

  private firstLive(from: number): number {
    const n = this.slots.length
    for (let i = from; ; i = (i + 1) % n) if (this.live[i] === 1) return i
  }

  memoryBytes(): number {
    return this.live.byteLength
  }

  protected rebuild(config: RingConfig): Placement {
    return new JumpPlacement(normalizeConfig(config))
  }

  /** Expected jumps per lookup: 1 when there is no empty bucket. */
  get probeFactor(): number {
    return this.slots.length / this.liveCount
  }
}

function among(out: number[], count: number, b: number): boolean {
  for (let i = 0; i < count; i++) if (out[i] === b) return true
  return false
}

// 2862933555777941757, the paper's multiplier, as two 32-bit halves.
const MUL_HI = 0x27bb2ee6
const MUL_LO = 0x87b0b0fd

/**
 * The paper's function, step for step:
 *
 *   b = -1, j = 0
 *   while j < n: b = j; key = key · 2862933555777941757 + 1; j = (b + 1) · (2^31 / ((key >> 33) + 1))
 *
 * with the 64-bit key as two unsigned 32-bit halves. The division and product are done in
 * double precision, as in the reference C++.
 */
export function jumpHash(hi: number, lo: number, n: number): number {
  let b = -1
  let j = 0
  while (j < n) {
    b = j
    lo = mul64(hi, lo, MUL_HI, MUL_LO)
    hi = u64.hi
    lo = lo + 1
    if (lo === 4294967296) {
      lo = 0
      hi = (hi + 1) >>> 0
    }
    j = Math.floor((b + 1) * (2147483648 / ((hi >>> 1) + 1)))
  }
  return b
}
