import {normalizeConfig, weightOf, type NormalConfig, type RingConfig} from './config.js'
import {h64, murmur3String} from './murmur3.js'
import {Placement} from './placement.js'
import {mod64} from './u64.js'

/**
 * Maglev hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load Balancer",
 * NSDI 2016, §3.4): a lookup table of prime size M (65537 by default, the paper's) filled from a
 * permutation per node: offset = h1(id) mod M, skip = h2(id) mod (M − 1) + 1, and
 * permutation[j] = (offset + j · skip) mod M. Nodes take turns claiming their next unclaimed slot
 * until the table is full, so every node gets M/N slots give or take one. A key goes to
 * table[hash64(key) mod M]: O(1), and the table is 2 bytes a slot.
 *
 * h1 and h2 are MurmurHash3 of the id with seeds 0 and 1. Nodes take turns in id order, so the
 * table depends on the node set, not the list order. Weighted nodes take turns in proportion to
 * their weight (a node with half the largest weight claims a slot every other round), as the
 * paper suggests.
 *
 * Removing any node rebuilds the table: its slots go to others, and because the turns change a
 * few other slots move too, a little more than the minimum (the paper measures this; `dtk ring
 * compare` prints it). Replicas walk the table forward from the key's slot collecting distinct
 * nodes; the table interleaves nodes finely, so that walk is short.
 */
export class MaglevPlacement extends Placement {
  readonly algo = 'maglev' as const
  readonly table: Uint16Array
  private readonly stamp: Uint32Array
  private gen = 0

  constructor(config: NormalConfig) {
    super(config)
    this.table = maglevTable(config)
    this.stamp = new Uint32Array(config.nodes.length)
  }

  protected pick(): number {
    return this.table[mod64(this.kh, this.kl, this.table.length)]!
  }

  protected pickN(r: number, out: number[]): void {
    const t = this.table
    const m = t.length
    const g = ++this.gen
    let found = 0
    let i = mod64(this.kh, this.kl, m)
    for (let k = 0; k < m && found < r; k++, i = i + 1 === m ? 0 : i + 1) {
      const o = t[i]!
      if (this.stamp[o] === g) continue
      this.stamp[o] = g
      out[found++] = o
    }
    // A node with a tiny weight may own no slot at all: the rest in slot order, deterministically.
    for (let s = 0; found < r && s < this.slots.length; s++) {
      if (this.slots[s] !== null && this.stamp[s] !== g) out[found++] = s
    }
  }

  memoryBytes(): number {
    return this.table.byteLength + this.stamp.byteLength
  }

  protected rebuild(config: RingConfig): Placement {
    return new MaglevPlacement(normalizeConfig(config))
  }
}

/** The paper's Populate(), with weighted turns. */
export function maglevTable(config: NormalConfig): Uint16Array {
  const m = config.tableSize
  const live = config.nodes.map((id, i) => ({id, i})).filter((x): x is {id: string; i: number} => x.id !== null)
  live.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const n = live.length
  const offset = new Float64Array(n)
  const skip = new Float64Array(n)
  const next = new Float64Array(n)
  const credit = new Float64Array(n)
  const share = new Float64Array(n)
  let maxW = 0
  for (const {id} of live) maxW = Math.max(maxW, weightOf(config, id))
  live.forEach(({id}, k) => {
    offset[k] = mod64(murmur3String(id, 0), h64.lo, m)
    skip[k] = mod64(murmur3String(id, 1), h64.lo, m - 1) + 1
    share[k] = weightOf(config, id) / maxW
  })
  const table = new Uint16Array(m)
  const taken = new Uint8Array(m)
  let filled = 0
  while (filled < m) {
    for (let k = 0; k < n && filled < m; k++) {
      credit[k]! += share[k]!
      if (credit[k]! < 1) continue
      credit[k]! -= 1
      let c = (offset[k]! + next[k]! * skip[k]!) % m
      while (taken[c] === 1) {
        next[k]!++
        c = (offset[k]! + next[k]! * skip[k]!) % m
      }
      taken[c] = 1
      table[c] = live[k]!.i
      next[k]!++
      filled++
    }
  }
  return table
}
