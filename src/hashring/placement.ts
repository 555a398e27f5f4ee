import {UsageError} from '../errors/index.js'
import {addNode, removeNode, setWeight, type Algo, type NormalConfig, type RingConfig} from './config.js'
import {h64, murmur3Bytes, murmur3String} from './murmur3.js'

/**
 * The one interface every algorithm implements. A placement is immutable: `add`, `remove` and
 * `withWeight` return a new placement built from the next config (except bounded loads, whose
 * lookups also record where each key was placed; see bounded.ts).
 *
 * Lookups come in two shapes: by string (`lookup`, `lookupN`) for programs, and by node index
 * over a byte range (`lookupIndexBytes`) for `dtk ring lookup`'s stream, which hashes each line
 * where it lies in the input buffer. Both hash the same UTF-8 bytes, so they always agree.
 */
export abstract class Placement {
  abstract readonly algo: Algo
  /** Node id by index; `null` only for jump's empty buckets. */
  readonly slots: ReadonlyArray<string | null>
  /** The live node ids, in config order. */
  readonly nodes: readonly string[]
  /** The key hash of the lookup in progress (high and low 32 bits). */
  protected kh = 0
  protected kl = 0
  private readonly pickBuf: number[] = []

  constructor(readonly config: NormalConfig) {
    this.slots = config.nodes
    this.nodes = config.nodes.filter((n): n is string => n !== null)
  }

  /** Hashes a key into `kh`/`kl`; ketama overrides this with MD5. */
  protected hashKey(key: string): void {
    this.kh = murmur3String(key)
    this.kl = h64.lo
  }

  protected hashKeyBytes(b: Uint8Array, start: number, end: number): void {
    this.kh = murmur3Bytes(b, start, end)
    this.kl = h64.lo
  }

  /** The index of the node that owns the hashed key. */
  protected abstract pick(): number
  /** The first r distinct nodes for the hashed key, primary first, into `out[0..r)`. */
  protected abstract pickN(r: number, out: number[]): void
  /** Approximate bytes held by the lookup structure (points, tables, seeds). */
  abstract memoryBytes(): number
  /** A new placement of the same kind for another config. */
  protected abstract rebuild(config: RingConfig): Placement

  lookupIndex(key: string): number {
    this.hashKey(key)
    return this.pick()
  }

  lookupIndexBytes(b: Uint8Array, start: number, end: number): number {
    this.hashKeyBytes(b, start, end)
    return this.pick()
  }

  /** Where a key sits on the 32-bit circle: its hash's high 32 bits (ketama: MD5 word 0). */
  keyPosition(key: string): number {
    this.hashKey(key)
    return this.kh
  }

  lookup(key: string): string {
    return this.slots[this.lookupIndex(key)]!
  }

  /** The r distinct nodes that hold a key, primary first. */
  lookupN(key: string, r: number): string[] {
    this.checkReplicas(r)
    this.hashKey(key)
    const out = this.pickBuf
    this.pickN(r, out)
    const ids: string[] = []
    for (let i = 0; i < r; i++) ids.push(this.slots[out[i]!]!)
    return ids
  }

  /** The same over bytes, as node indexes into `out[0..r)`. */
  lookupNIndicesBytes(b: Uint8Array, start: number, end: number, r: number, out: number[]): void {
    this.hashKeyBytes(b, start, end)
    this.pickN(r, out)
  }

  checkReplicas(r: number): void {
    if (!Number.isInteger(r) || r < 1 || r > this.nodes.length) {
      throw new UsageError(`replicas must be from 1 to the number of nodes (${this.nodes.length}), not ${r}`)
    }
  }

  add(id: string, weight?: number): Placement {
    return this.rebuild(addNode(this.config, id, weight))
  }

  remove(id: string): Placement {
    return this.rebuild(removeNode(this.config, id))
  }

  withWeight(id: string, weight: number): Placement {
    return this.rebuild(setWeight(this.config, id, weight))
  }

  /** Each node's expected share of keys (weights normalised to sum to 1), by slot index. */
  shares(): Float64Array {
    const s = new Float64Array(this.slots.length)
    let total = 0
    this.slots.forEach((id, i) => {
      if (id === null) return
      s[i] = this.config.weights[id] ?? 1
      total += s[i]!
    })
    for (let i = 0; i < s.length; i++) s[i]! /= total
    return s
  }
}
