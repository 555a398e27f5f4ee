import type {Random} from '../core/index.js'

/**
 * Seeded pseudo-random numbers for every host (the simulator, the node runtime) and for the
 * simulator's fault and disk models: sfc32 (Chris Doty-Humphrey's Small Fast
 * Counting generator, 128-bit state, passes PractRand) seeded through splitmix32 so that nearby
 * seeds give unrelated streams. Child streams (one per node, one for the network) are derived
 * from the parent's seed and a label, never from the parent's position, so adding a node or a
 * draw in one stream does not shift any other stream.
 */

/** One splitmix32 step: a good 32-bit mixer for turning a seed into generator state. */
export function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0
  let z = x
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

/** FNV-1a over UTF-16 code units, then mixed: turns a seed string or a label into 32 bits. */
export function hashString(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return splitmix32(h >>> 0)
}

export function seedOf(seed: number | string): number {
  return typeof seed === 'number' ? splitmix32(seed >>> 0 ^ Math.floor(seed / 0x100000000)) : hashString(seed)
}

export class Rng implements Random {
  private a: number
  private b: number
  private c: number
  private d: number
  /** The 32-bit seed this stream was made from (children derive from it). */
  readonly seed: number

  constructor(seed: number | string) {
    this.seed = seedOf(seed)
    let s = this.seed
    this.a = s = splitmix32(s)
    this.b = s = splitmix32(s)
    this.c = s = splitmix32(s)
    this.d = splitmix32(s) | 1
    // Discard the first outputs: sfc32's state needs a few rounds to mix.
    for (let i = 0; i < 12; i++) this.u32()
  }

  /** Next raw 32-bit unsigned output. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  next(): number {
    return this.u32() / 4294967296
  }

  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = a[i]!
      a[i] = a[j]!
      a[j] = t
    }
    return a
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p
  }

  /** Exponentially distributed with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next())
  }

  /** Standard normal (mean 0, standard deviation 1), by the Box–Muller transform: two draws. */
  normal(): number {
    const u = 1 - this.next()
    const v = this.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }

  /** An independent stream named `label`, derived from this stream's seed. */
  fork(label: string): Rng {
    return new Rng(splitmix32(this.seed ^ hashString(label)))
  }
}
