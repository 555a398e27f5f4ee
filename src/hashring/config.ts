import {UsageError} from '../errors/index.js'

/**
 * A placement's whole definition as plain, serialisable data: the same config gives the same
 * placement in every process, on every run. This is what a shard core keeps, sends and persists;
 * `createPlacement(config)` turns it into lookups.
 */
export const ALGOS = ['ring', 'ketama', 'jump', 'rendezvous', 'maglev', 'bounded'] as const
export type Algo = (typeof ALGOS)[number]

export interface RingConfig {
  algo: Algo
  /**
   * Node ids. For every algorithm except jump the placement depends only on the set (and the
   * weights), not on the order. For jump the order is the bucket numbering, and `null` is an
   * empty bucket left by a node removed from the middle (its keys are rehashed to live buckets).
   */
  nodes: Array<string | null>
  /** Relative weights (default 1). Jump hash has none: every bucket is equal. */
  weights?: Record<string, number>
  /** ring and bounded: points on the circle per unit of weight (default 160). */
  vnodes?: number
  /** maglev: lookup table size, a prime (default 65537, the paper's). */
  tableSize?: number
  /** bounded: no node holds more than ceil((1 + epsilon) · its fair share) (default 0.25). */
  epsilon?: number
  /**
   * ketama: how a server's share of the 160·N points is rounded. `hashring` computes it in double
   * precision as the npm package does; `libketama` in single precision as ketama.c does. They
   * differ for a few cluster sizes (7 equal servers: 156 points each in hashring, 160 in libketama).
   */
  ketama?: 'hashring' | 'libketama'
}

export const DEFAULT_VNODES = 160
export const DEFAULT_TABLE_SIZE = 65537
export const DEFAULT_EPSILON = 0.25
export const MAX_NODES = 10_000
/** Ring points are sorted with a 21-bit tie-break sequence number, so at most 2^21 of them. */
export const MAX_POINTS = 2_097_152
export const MAX_TABLE_SIZE = 2_097_143 // the largest prime below 2^21, so slot arithmetic stays exact

/** What a node id may contain: anything printable but whitespace, ',' and '=' (the list syntax). */
const ID = /^[^\s,=]+$/

export function validNodeId(id: string): boolean {
  return id.length > 0 && id.length <= 256 && ID.test(id) && id !== '~'
}

export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false
  if (n % 2 === 0) return n === 2
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false
  return true
}

/** The config with every default filled in, checked; throws a UsageError naming what is wrong. */
export function normalizeConfig(c: RingConfig): Required<Omit<RingConfig, 'weights'>> & {weights: Record<string, number>} {
  if (!(ALGOS as readonly string[]).includes(c.algo)) throw new UsageError(`unknown algorithm '${c.algo}' (known: ${ALGOS.join(', ')})`)
  if (!Array.isArray(c.nodes) || c.nodes.length === 0) throw new UsageError('no nodes: a placement needs at least one node')
  const seen = new Set<string>()
  let live = 0
  for (const id of c.nodes) {
    if (id === null) {
      if (c.algo !== 'jump') throw new UsageError(`an empty slot (~) only means something for jump hash, not ${c.algo}`)
      continue
    }
    if (typeof id !== 'string' || !validNodeId(id)) throw new UsageError(`bad node id '${String(id)}': ids are 1-256 characters without spaces, ',' or '='`)
    if (seen.has(id)) throw new UsageError(`node '${id}' is listed twice`)
    seen.add(id)
    live++
  }
  if (live === 0) throw new UsageError('no nodes: every slot is empty')
  if (c.nodes.length > MAX_NODES) throw new UsageError(`${c.nodes.length} nodes: at most ${MAX_NODES}`)
  const weights: Record<string, number> = {}
  for (const [id, w] of Object.entries(c.weights ?? {})) {
    if (!seen.has(id)) throw new UsageError(`weight for '${id}', which is not a node`)
    if (typeof w !== 'number' || !Number.isFinite(w) || w <= 0 || w > 1e6) throw new UsageError(`weight of '${id}' must be a number > 0 and <= 1000000, not ${String(w)}`)
    if (w !== 1) weights[id] = w
  }
  if (c.algo === 'jump' && Object.keys(weights).length > 0) throw new UsageError('jump hash has no weights (every bucket is equal); use rendezvous, maglev or ring for weighted nodes')
  const vnodes = c.vnodes ?? DEFAULT_VNODES
  if (!Number.isInteger(vnodes) || vnodes < 1 || vnodes > 100_000) throw new UsageError(`vnodes must be a whole number from 1 to 100000, not ${vnodes}`)
  if (c.algo === 'ring' || c.algo === 'bounded') {
    let points = 0
    for (const id of seen) points += Math.max(1, Math.round(vnodes * (weights[id] ?? 1)))
    if (points > MAX_POINTS) throw new UsageError(`${points} ring points (vnodes × weights over ${live} nodes): at most ${MAX_POINTS}; use fewer vnodes`)
  }
  const tableSize = c.tableSize ?? DEFAULT_TABLE_SIZE
  if (!isPrime(tableSize) || tableSize > MAX_TABLE_SIZE) throw new UsageError(`maglev table size must be a prime <= ${MAX_TABLE_SIZE}, not ${tableSize}`)
  if (c.algo === 'maglev' && tableSize <= live) throw new UsageError(`maglev table size ${tableSize} must be larger than the number of nodes (${live}); the paper uses M >= 100·N`)
  const epsilon = c.epsilon ?? DEFAULT_EPSILON
  if (typeof epsilon !== 'number' || !(epsilon > 0) || epsilon > 100) throw new UsageError(`epsilon must be a number > 0 and <= 100, not ${epsilon}`)
  const ketama = c.ketama ?? 'hashring'
  if (ketama !== 'hashring' && ketama !== 'libketama') throw new UsageError(`ketama compatibility must be hashring or libketama, not ${String(ketama)}`)
  return {algo: c.algo, nodes: [...c.nodes], weights, vnodes, tableSize, epsilon, ketama}
}

export type NormalConfig = ReturnType<typeof normalizeConfig>

export function weightOf(c: {weights: Record<string, number>}, id: string): number {
  return c.weights[id] ?? 1
}

/**
 * Parses a node list as typed on the command line: `a,b,c`. For jump, `~` marks an empty bucket.
 * Empty entries and duplicates are errors.
 */
export function parseNodeList(text: string, what = '--nodes'): Array<string | null> {
  const parts = text.split(',').map((s) => s.trim())
  if (text.trim() === '' || parts.some((p) => p === '')) throw new UsageError(`${what}: '${text}' has an empty node name (write a,b,c)`)
  const seen = new Set<string>()
  const out: Array<string | null> = []
  for (const p of parts) {
    if (p === '~') {
      out.push(null)
      continue
    }
    if (!validNodeId(p)) throw new UsageError(`${what}: bad node name '${p}' (no spaces, ',' or '=')`)
    if (seen.has(p)) throw new UsageError(`${what}: node '${p}' is listed twice`)
    seen.add(p)
    out.push(p)
  }
  return out
}

/** Parses `a=2,b=1.5` into weights for the given nodes. */
export function parseWeights(text: string, nodes: ReadonlyArray<string | null>, what = '--weights'): Record<string, number> {
  const known = new Set(nodes.filter((n): n is string => n !== null))
  const out: Record<string, number> = {}
  for (const part of text.split(',')) {
    const m = /^\s*([^\s,=]+)\s*=\s*([0-9]*\.?[0-9]+(?:e[+-]?\d+)?)\s*$/i.exec(part)
    if (!m) throw new UsageError(`${what}: '${part.trim()}' is not NODE=WEIGHT (e.g. a=2,b=1)`)
    const [, id, v] = m as unknown as [string, string, string]
    if (!known.has(id)) throw new UsageError(`${what}: '${id}' is not one of the nodes`)
    if (id in out) throw new UsageError(`${what}: '${id}' has two weights`)
    const w = Number(v)
    if (!(w > 0) || w > 1e6) throw new UsageError(`${what}: weight of '${id}' must be > 0 and <= 1000000, not ${v}`)
    out[id] = w
  }
  return out
}

/** The next config after adding a node: at the end, or for jump into the first empty bucket. */
export function addNode(c: RingConfig, id: string, weight?: number): RingConfig {
  if (c.nodes.includes(id)) throw new UsageError(`node '${id}' is already there`)
  const nodes = [...c.nodes]
  const hole = c.algo === 'jump' ? nodes.indexOf(null) : -1
  if (hole >= 0) nodes[hole] = id
  else nodes.push(id)
  const weights = {...(c.weights ?? {})}
  if (weight !== undefined && weight !== 1) weights[id] = weight
  return {...c, nodes, weights}
}

/**
 * The next config after removing a node. For jump a node in the middle leaves an empty bucket
 * (only its keys move); trailing empty buckets are dropped, which is jump's own shrink.
 */
export function removeNode(c: RingConfig, id: string): RingConfig {
  const i = c.nodes.indexOf(id)
  if (i < 0) throw new UsageError(`node '${id}' is not there`)
  let nodes: Array<string | null>
  if (c.algo === 'jump') {
    nodes = [...c.nodes]
    nodes[i] = null
    while (nodes.length > 0 && nodes[nodes.length - 1] === null) nodes.pop()
  } else {
    nodes = c.nodes.filter((n) => n !== id)
  }
  const weights = {...(c.weights ?? {})}
  delete weights[id]
  return {...c, nodes, weights}
}

export function setWeight(c: RingConfig, id: string, weight: number): RingConfig {
  if (!c.nodes.includes(id)) throw new UsageError(`node '${id}' is not there`)
  const weights = {...(c.weights ?? {})}
  if (weight === 1) delete weights[id]
  else weights[id] = weight
  return {...c, weights}
}
