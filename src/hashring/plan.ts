import {UsageError} from '../errors/index.js'
import type {Algo} from './config.js'
import type {Continuum} from './continuum.js'
import {keyAt, type KeySet} from './keys.js'
import type {Placement} from './placement.js'

/**
 * What changes when a placement goes from one config to another: which keys move from which node
 * to which, computed as the difference of the two placements' lookups of the same keys in the
 * same order, so a plan is exactly what `dtk ring lookup` shows before and after. For the ring
 * algorithms (ring, ketama) a plan also lists the arcs of the 32-bit hash circle that change
 * hands, which covers every possible key, not only the sampled ones.
 */
export interface Transfer {
  from: string
  to: string
  keys: number
}

export interface MovedKey {
  key: string
  from: string[]
  to: string[]
}

/** Hashes `start`…`end` (inclusive) on the 32-bit circle, held by `from` before and `to` after. */
export interface HashRange {
  start: number
  end: number
  from: string[]
  to: string[]
}

export interface Plan {
  algo: Algo
  from: Array<string | null>
  to: Array<string | null>
  replicas: number
  keys: number
  /** Keys whose set of nodes changed. */
  moved: number
  /** New copies to make: the nodes each moved key gains, summed (= moved when replicas = 1). */
  copies: number
  /** The fewest copies any placement must make for this change, from the nodes' fair shares. */
  ideal: number
  /** copies / ideal (null when the change needs no movement at all). */
  ratio: number | null
  /** Copies by (node that drops the key → node that gains it), largest first. */
  transfers: Transfer[]
  movedKeys?: MovedKey[]
  ranges?: {fraction: number; count: number; list: HashRange[]}
}

export interface PlanOptions {
  replicas?: number
  /** Include every moved key (default true). */
  listKeys?: boolean
}

export function planChange(before: Placement, after: Placement, keys: KeySet, opts: PlanOptions = {}): Plan {
  if (before.algo !== after.algo) throw new UsageError(`a plan compares one algorithm before and after, not ${before.algo} and ${after.algo}`)
  const r = opts.replicas ?? 1
  before.checkReplicas(r)
  after.checkReplicas(r)
  const listKeys = opts.listKeys ?? true
  const pairs = new Map<string, number>()
  const movedKeys: MovedKey[] = []
  let moved = 0
  let copies = 0
  const a: number[] = []
  const b: number[] = []
  const {buf, starts, ends, count} = keys
  for (let i = 0; i < count; i++) {
    if (r === 1) {
      a[0] = before.lookupIndexBytes(buf, starts[i]!, ends[i]!)
      b[0] = after.lookupIndexBytes(buf, starts[i]!, ends[i]!)
      const x = before.slots[a[0]]!
      const y = after.slots[b[0]]!
      if (x === y) continue
      moved++
      copies++
      const k = `${x}\u0000${y}`
      pairs.set(k, (pairs.get(k) ?? 0) + 1)
      if (listKeys) movedKeys.push({key: keyAt(keys, i), from: [x], to: [y]})
      continue
    }
    before.lookupNIndicesBytes(buf, starts[i]!, ends[i]!, r, a)
    after.lookupNIndicesBytes(buf, starts[i]!, ends[i]!, r, b)
    const x = a.slice(0, r).map((j) => before.slots[j]!)
    const y = b.slice(0, r).map((j) => after.slots[j]!)
    const lost = x.filter((n) => !y.includes(n))
    if (lost.length === 0) continue
    const gained = y.filter((n) => !x.includes(n))
    moved++
    copies += gained.length
    for (let j = 0; j < gained.length; j++) {
      const k = `${lost[j]}\u0000${gained[j]}`
      pairs.set(k, (pairs.get(k) ?? 0) + 1)
    }
    if (listKeys) movedKeys.push({key: keyAt(keys, i), from: x, to: y})
  }
  const transfers = [...pairs.entries()]
    .map(([k, n]) => {
      const [from, to] = k.split('\u0000') as [string, string]
      return {from, to, keys: n}
    })
    .sort((p, q) => q.keys - p.keys || (p.from < q.from ? -1 : p.from > q.from ? 1 : p.to < q.to ? -1 : p.to > q.to ? 1 : 0))
  const ideal = idealCopies(before, after, count, r)
  const plan: Plan = {
    algo: before.algo,
    from: [...before.slots],
    to: [...after.slots],
    replicas: r,
    keys: count,
    moved,
    copies,
    ideal,
    ratio: ideal > 0 ? copies / ideal : null,
    transfers,
  }
  if (listKeys) plan.movedKeys = movedKeys
  const ca = continuumOf(before)
  const cb = continuumOf(after)
  if (ca && cb && before.algo !== 'bounded') plan.ranges = movedRanges(ca, cb, before.slots, after.slots, r)
  return plan
}

/**
 * The fewest copies a change forces: node i must end up with keys · min(1, r · share_i) copies,
 * so every node whose fair share grows must gain at least the difference.
 */
export function idealCopies(before: Placement, after: Placement, keys: number, replicas: number): number {
  const share = (p: Placement) => {
    const s = p.shares()
    const m = new Map<string, number>()
    p.slots.forEach((id, i) => id !== null && m.set(id, Math.min(1, replicas * s[i]!)))
    return m
  }
  const x = share(before)
  const y = share(after)
  let gain = 0
  for (const [id, e] of y) gain += Math.max(0, e - (x.get(id) ?? 0))
  return gain * keys
}

function continuumOf(p: Placement): Continuum | undefined {
  return (p as unknown as {continuum?: Continuum}).continuum
}

const HASH_SPACE = 4294967296

/** The arcs whose r owners change, from both continuums' points merged. */
export function movedRanges(a: Continuum, b: Continuum, slotsA: ReadonlyArray<string | null>, slotsB: ReadonlyArray<string | null>, r: number): {fraction: number; count: number; list: HashRange[]} {
  const points = new Float64Array(a.size + b.size)
  points.set(a.points)
  points.set(b.points, a.size)
  points.sort()
  const list: HashRange[] = []
  const oa: number[] = []
  const ob: number[] = []
  const owners = (c: Continuum, slots: ReadonlyArray<string | null>, at: number, out: number[]) => {
    c.distinctFrom(c.find(at), r, out)
    return out.slice(0, r).map((i) => slots[i]!)
  }
  const push = (start: number, end: number, from: string[], to: string[]) => {
    const last = list[list.length - 1]
    if (last && last.end + 1 === start && same(last.from, from) && same(last.to, to)) last.end = end
    else list.push({start, end, from, to})
  }
  let prev = -1
  let total = 0
  // The wrap-around arc (last point, 2^32 − 1] belongs to the first point, as [0, first] does.
  let wrap: {from: string[]; to: string[]} | undefined
  for (let k = 0; k < points.length; k++) {
    const u = points[k]!
    if (u === prev) continue
    const from = owners(a, slotsA, u, oa)
    const to = owners(b, slotsB, u, ob)
    if (!sameSet(from, to)) {
      push(prev + 1, u, from, to)
      total += u - prev
      if (prev === -1) wrap = {from, to}
    }
    prev = u
  }
  if (wrap && prev < HASH_SPACE - 1) {
    push(prev + 1, HASH_SPACE - 1, wrap.from, wrap.to)
    total += HASH_SPACE - 1 - prev
  }
  return {fraction: total / HASH_SPACE, count: list.length, list}
}

function same(x: string[], y: string[]): boolean {
  return x.length === y.length && x.every((v, i) => v === y[i])
}

function sameSet(x: string[], y: string[]): boolean {
  return x.length === y.length && x.every((v) => y.includes(v))
}
