import type {NodeId} from '../core/index.js'
import {Layout, partitionOf, type LayoutSpec} from './layout.js'

/**
 * `dtk ring verify` as a pure function: given what each node holds and the ring, count the keys
 * per node against what the ring says. The command only gathers the key lists (each shard
 * core's `holdings()`) and prints this report; exit 1 when it is not clean.
 *
 * - misplaced: a copy on a node that is not one of the key's R owners;
 * - missing: an owner without a copy of a key some node holds;
 * - under-replicated: a key held by fewer of its owners than it should (min(R, members));
 * - lost: a key that must exist (`expected`, say what a loader wrote) held by no node at all;
 * - stale: an owner's copy with an older version than another copy (versions given).
 */
export interface VerifyInput {
  /** The ring's members. */
  members: readonly NodeId[]
  spec: LayoutSpec
  /** Each node's keys, with versions when known. Nodes outside the ring may be listed: their keys are misplaced. */
  holdings: Record<NodeId, Iterable<string | readonly [string, number]>>
  /** Keys that must exist. */
  expected?: Iterable<string>
  /** Members whose holdings could not be read: nothing is counted missing on them. */
  unreachable?: readonly NodeId[]
}

export interface NodeVerify {
  node: NodeId
  /** Copies it holds, and copies the ring wants it to hold (of the keys that exist somewhere). */
  keys: number
  owned: number
  misplaced: number
  missing: number
}

export interface VerifyReport {
  /** Distinct keys held anywhere. */
  keys: number
  nodes: NodeVerify[]
  misplaced: number
  missing: number
  underReplicated: number
  lost: number
  stale: number
  ok: boolean
  /** Up to 10 examples of each problem. */
  examples: {misplaced: [NodeId, string][]; missing: [NodeId, string][]; lost: string[]; stale: [NodeId, string][]}
}

const EXAMPLES = 10

export function verifyRing(input: VerifyInput): VerifyReport {
  const layout = new Layout(input.spec, input.members)
  const unreachable = new Set(input.unreachable ?? [])
  const copies = new Map<string, Map<NodeId, number>>()
  const nodes = new Map<NodeId, NodeVerify>()
  const nodeOf = (id: NodeId) => {
    let n = nodes.get(id)
    if (!n) nodes.set(id, (n = {node: id, keys: 0, owned: 0, misplaced: 0, missing: 0}))
    return n
  }
  for (const m of layout.members) if (!unreachable.has(m)) nodeOf(m)
  for (const [node, held] of Object.entries(input.holdings)) {
    const nv = nodeOf(node)
    for (const h of held) {
      const [key, ver] = typeof h === 'string' ? [h, -1] : h
      let c = copies.get(key)
      if (!c) copies.set(key, (c = new Map()))
      c.set(node, ver)
      nv.keys++
    }
  }
  const ex: VerifyReport['examples'] = {misplaced: [], missing: [], lost: [], stale: []}
  let misplaced = 0
  let missing = 0
  let underReplicated = 0
  let stale = 0
  const want = Math.min(input.spec.replicas, layout.members.length)
  for (const [key, c] of copies) {
    const owners = layout.ownersOf(partitionOf(key, input.spec.partitions))
    let newest = -1
    for (const v of c.values()) if (v > newest) newest = v
    let held = 0
    for (const o of owners) {
      if (unreachable.has(o)) continue
      const nv = nodeOf(o)
      nv.owned++
      const v = c.get(o)
      if (v === undefined) {
        nv.missing++
        missing++
        if (ex.missing.length < EXAMPLES) ex.missing.push([o, key])
        continue
      }
      held++
      if (v < newest) {
        stale++
        if (ex.stale.length < EXAMPLES) ex.stale.push([o, key])
      }
    }
    if (held + owners.filter((o) => unreachable.has(o)).length < want) underReplicated++
    for (const node of c.keys()) {
      if (owners.includes(node)) continue
      nodeOf(node).misplaced++
      misplaced++
      if (ex.misplaced.length < EXAMPLES) ex.misplaced.push([node, key])
    }
  }
  let lost = 0
  for (const key of input.expected ?? []) {
    if (copies.has(key)) continue
    lost++
    if (ex.lost.length < EXAMPLES) ex.lost.push(key)
  }
  const list = [...nodes.values()].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))
  return {keys: copies.size, nodes: list, misplaced, missing, underReplicated, lost, stale, ok: misplaced + missing + lost + stale === 0, examples: ex}
}
