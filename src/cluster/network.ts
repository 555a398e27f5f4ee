import {UsageError} from '../errors/index.js'
import type {LinkFaults} from '../transport/index.js'
import type {ClusterState} from './state.js'

/**
 * What the cluster's network should look like, as data: partitions and per-link message faults
 * are recorded in the cluster state and compiled here into the exact rule table each node's
 * transport gets. Keeping it a pure function of the state means a restarted node gets the same
 * network it left, and the compilation is tested without processes.
 */

/**
 * `dtk partition A,B C,D,E`: each argument is a side. Nodes not named form one more side of their
 * own, so `dtk partition n1` isolates n1 from everyone else.
 */
export function parsePartition(sides: string[], allIds: string[]): string[][] {
  if (sides.length === 0) throw new UsageError('partition needs at least one side, e.g. dtk partition n1,n2 n3,n4,n5')
  const known = new Set(allIds)
  const seen = new Set<string>()
  const groups = sides.map((side) =>
    side
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  )
  for (const g of groups) {
    if (g.length === 0) throw new UsageError('partition: an empty side')
    for (const id of g) {
      if (!known.has(id)) throw new UsageError(`unknown node '${id}' (known: ${allIds.join(', ')})`)
      if (seen.has(id)) throw new UsageError(`partition: node '${id}' is on two sides`)
      seen.add(id)
    }
  }
  const rest = allIds.filter((id) => !seen.has(id))
  if (rest.length > 0) groups.push(rest)
  if (groups.length < 2) throw new UsageError('partition: every node is on one side, so nothing is cut')
  return groups
}

function merge(into: LinkFaults, add: LinkFaults | undefined): LinkFaults {
  return add ? {...into, ...add} : into
}

function isEmpty(f: LinkFaults): boolean {
  return !f.block && !f.drop && !f.delayMs && !f.jitterMs && !f.duplicate
}

/** The rule table for node `from`: one explicit entry per peer that has any fault. */
export function rulesFor(state: ClusterState, from: string): Record<string, LinkFaults> {
  const rules: Record<string, LinkFaults> = {}
  const side = state.partition?.find((g) => g.includes(from))
  const mine = state.linkFaults[from] ?? {}
  for (const peer of state.nodes) {
    if (peer.id === from) continue
    let f: LinkFaults = merge({}, mine['*'])
    f = merge(f, mine[peer.id])
    if (state.partition && !side?.includes(peer.id)) f = {...f, block: true}
    if (!isEmpty(f)) rules[peer.id] = f
  }
  return rules
}

/** Records message faults on the links from each of `from` to each of `to` ('*' = every peer). */
export function addLinkFaults(state: ClusterState, from: string[], to: string[], faults: LinkFaults): void {
  for (const f of from) {
    const table = (state.linkFaults[f] ??= {})
    for (const t of to) if (t !== f) table[t] = {...table[t], ...faults}
  }
}

export function clearLinkFaults(state: ClusterState, from?: string[], to?: string[]): void {
  if (!from && !to) {
    state.linkFaults = {}
    state.partition = null
    return
  }
  for (const f of from ?? Object.keys(state.linkFaults)) {
    const table = state.linkFaults[f]
    if (!table) continue
    if (!to) delete state.linkFaults[f]
    else for (const t of to) delete table[t]
  }
}
