import type {KeySet} from './keys.js'
import type {Placement} from './placement.js'

/**
 * How evenly a placement spreads a key set: keys (or replica copies) per node against each node's
 * fair share, the weights taken into account.
 */
export interface NodeLoad {
  node: string
  keys: number
  /** The node's fair share of the copies: keys · min(1, replicas · weight / Σweight). */
  expected: number
  /** keys / expected. */
  ratio: number
}

export interface LoadStats {
  keys: number
  replicas: number
  nodes: NodeLoad[]
  /** The mean copies per node (keys · replicas / nodes). */
  mean: number
  min: number
  max: number
  /** The largest keys / expected over the nodes: 1 is perfect balance. */
  maxOverMean: number
  /** The standard deviation of keys − expected over the nodes, in keys and as a % of the mean. */
  stddev: number
  stddevPct: number
}

/** Places every key of the set (r copies each) and counts the copies per node. */
export function countLoads(p: Placement, keys: KeySet, replicas = 1): Float64Array {
  const counts = new Float64Array(p.slots.length)
  const {buf, starts, ends, count} = keys
  if (replicas === 1) {
    for (let i = 0; i < count; i++) counts[p.lookupIndexBytes(buf, starts[i]!, ends[i]!)]!++
  } else {
    p.checkReplicas(replicas)
    const out: number[] = []
    for (let i = 0; i < count; i++) {
      p.lookupNIndicesBytes(buf, starts[i]!, ends[i]!, replicas, out)
      for (let j = 0; j < replicas; j++) counts[out[j]!]!++
    }
  }
  return counts
}

export function loadStats(p: Placement, keys: KeySet, replicas = 1): LoadStats {
  return summarizeLoads(p, countLoads(p, keys, replicas), keys.count, replicas)
}

export function summarizeLoads(p: Placement, counts: Float64Array, keys: number, replicas: number): LoadStats {
  const shares = p.shares()
  const nodes: NodeLoad[] = []
  p.slots.forEach((node, i) => {
    if (node === null) return
    const expected = keys * Math.min(1, replicas * shares[i]!)
    nodes.push({node, keys: counts[i]!, expected, ratio: expected > 0 ? counts[i]! / expected : 0})
  })
  const n = nodes.length
  const mean = (keys * replicas) / n
  let sq = 0
  for (const x of nodes) sq += (x.keys - x.expected) ** 2
  const stddev = Math.sqrt(sq / n)
  return {
    keys,
    replicas,
    nodes,
    mean,
    min: Math.min(...nodes.map((x) => x.keys)),
    max: Math.max(...nodes.map((x) => x.keys)),
    maxOverMean: Math.max(...nodes.map((x) => x.ratio)),
    stddev,
    stddevPct: mean > 0 ? (100 * stddev) / mean : 0,
  }
}

/** Every key's node index, in key order (one pass of lookups). */
export function assignAll(p: Placement, keys: KeySet): Uint16Array {
  const out = new Uint16Array(keys.count)
  const {buf, starts, ends, count} = keys
  for (let i = 0; i < count; i++) out[i] = p.lookupIndexBytes(buf, starts[i]!, ends[i]!)
  return out
}

/** Loads from an assignment made by `assignAll`. */
export function loadsOf(p: Placement, assignment: Uint16Array): Float64Array {
  const counts = new Float64Array(p.slots.length)
  for (let i = 0; i < assignment.length; i++) counts[assignment[i]!]!++
  return counts
}

/** How many keys change node between two placements, given the first's assignment. */
export function movedBetween(before: Placement, assignment: Uint16Array, after: Placement, keys: KeySet): number {
  const {buf, starts, ends, count} = keys
  let moved = 0
  for (let i = 0; i < count; i++) {
    if (before.slots[assignment[i]!] !== after.slots[after.lookupIndexBytes(buf, starts[i]!, ends[i]!)]) moved++
  }
  return moved
}
