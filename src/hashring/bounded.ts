import {DtkError} from '../errors/index.js'
import {normalizeConfig, type NormalConfig, type RingConfig} from './config.js'
import type {Continuum} from './continuum.js'
import {Placement} from './placement.js'
import {ringContinuum} from './ring.js'

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup & Zadimoghaddam, SODA 2018): the ring
 * of `ring` (same points), but a node may hold at most ceil((1 + ε) · m · w / W) keys, m the
 * number of keys placed counting the new one and w / W its share of the weight (1/n when weights
 * are equal); a key whose first node clockwise is full walks on to the next node with room. No
 * node ever exceeds the bound, at every moment, because the bound only grows with m and every
 * placement checks it. With ε = 0.25 (the default; HAProxy and Vimeo use this scheme) a key walks
 * a few extra points at most.
 *
 * This is an assignment, not a pure function of the key: where a key lands depends on the keys
 * placed before it. So a bounded placement remembers every key it placed (in order, bounded by
 * `maxKeys`): `lookup` returns a key's node, placing the key first if it is new, and the same
 * keys in the same order always get the same nodes. `peek` answers without placing.
 *
 * Changing the nodes (`add`, `remove`, `withWeight`) places the same keys again, in the same
 * order, on the new ring, which is what a fresh placement of that sequence gives. Beyond the
 * leaving node's keys, keys whose walk passed through a full node can move too: more than the
 * minimum, which `dtk ring compare` shows. Replicas: the bound covers the primary; the other
 * r − 1 copies are the next distinct nodes clockwise from where the primary landed, as on a ring.
 */
export class BoundedPlacement extends Placement {
  readonly algo = 'bounded' as const
  readonly continuum: Continuum
  private readonly loads: Int32Array
  /** Each node's share of the weight, by slot index. */
  private readonly share: Float64Array
  private readonly assigned = new Map<string, number>()
  /** Keys in the order they were placed, for replaying them onto another ring. */
  private readonly order: string[] = []
  private placed = 0

  constructor(
    config: NormalConfig,
    readonly maxKeys = DEFAULT_MAX_KEYS,
  ) {
    super(config)
    this.continuum = ringContinuum(config)
    this.loads = new Int32Array(config.nodes.length)
    this.share = this.shares()
  }

  /** The most keys node i may hold once m keys are placed. */
  capacity(i: number, m: number): number {
    return boundedCapacity(this.config.epsilon, m, this.share[i]!)
  }

  /** Keys placed on each node, by slot index (a copy). */
  load(): Int32Array {
    return this.loads.slice()
  }

  get size(): number {
    return this.placed
  }

  override lookupIndex(key: string): number {
    const known = this.assigned.get(key)
    if (known !== undefined) return known
    if (this.placed >= this.maxKeys) throw new DtkError(`bounded loads remembers every key it placed, and this placement is full (${this.maxKeys} keys)`)
    this.hashKey(key)
    const start = this.continuum.find(this.kh)
    const i = this.walk(start, this.placed + 1)
    this.loads[i]!++
    this.placed++
    this.assigned.set(key, i)
    this.order.push(key)
    return i
  }

  override lookupIndexBytes(b: Uint8Array, start: number, end: number): number {
    return this.lookupIndex(Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('utf8'))
  }

  override lookupN(key: string, r: number): string[] {
    this.checkReplicas(r)
    const out: number[] = []
    this.placeN(key, r, out)
    return out.map((i) => this.slots[i]!)
  }

  override lookupNIndicesBytes(b: Uint8Array, start: number, end: number, r: number, out: number[]): void {
    this.placeN(Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('utf8'), r, out)
  }

  private placeN(key: string, r: number, out: number[]): void {
    const primary = this.lookupIndex(key)
    out[0] = primary
    if (r === 1) return
    // The other copies follow the ring clockwise from the primary's first point after the key.
    this.hashKey(key)
    const c = this.continuum
    let p = c.find(this.kh)
    while (c.owners[p] !== primary) p = p + 1 === c.size ? 0 : p + 1
    const rest: number[] = []
    c.distinctFrom(p, r - 1, rest, primary)
    for (let j = 0; j < r - 1; j++) out[j + 1] = rest[j]!
  }

  /** Where a key is, or would go if placed now; places nothing. */
  peek(key: string): string {
    const known = this.assigned.get(key)
    if (known !== undefined) return this.slots[known]!
    this.hashKey(key)
    return this.slots[this.walk(this.continuum.find(this.kh), this.placed + 1)]!
  }

  /** The keys placed so far, in placement order. */
  keys(): readonly string[] {
    return this.order
  }

  private walk(start: number, m: number): number {
    const c = this.continuum
    const n = c.size
    for (let k = 0, p = start; k < n; k++, p = p + 1 === n ? 0 : p + 1) {
      const o = c.owners[p]!
      if (this.loads[o]! < this.capacity(o, m)) return o
    }
    // Unreachable: the capacities add up to at least (1 + ε) · m > m − 1 placed keys.
    throw new Error('bounded loads: no node has room (a bug)')
  }

  protected pick(): number {
    throw new Error('bounded loads places by key, not by hash')
  }

  protected pickN(): void {
    throw new Error('bounded loads places by key, not by hash')
  }

  memoryBytes(): number {
    // The ring and the load counters; the remembered keys are counted by the caller who placed them.
    return this.continuum.memoryBytes() + this.loads.byteLength + this.share.byteLength
  }

  protected rebuild(config: RingConfig): Placement {
    const next = new BoundedPlacement(normalizeConfig(config), this.maxKeys)
    for (const key of this.order) next.lookupIndex(key)
    return next
  }
}

export const DEFAULT_MAX_KEYS = 5_000_000

/**
 * ceil((1 + ε) · m · share), computed so that a product that is an integer in exact arithmetic
 * (1.25 · 8 / 10 = 1) is not pushed past it by rounding.
 */
export function boundedCapacity(epsilon: number, m: number, share: number): number {
  const x = (1 + epsilon) * m * share
  return Math.ceil(x - 1e-9 * Math.max(1, x))
}
