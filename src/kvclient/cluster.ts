import {DtkError, UsageError} from '../errors/index.js'
import {dirOf, type ClusterRef} from '../cluster/context.js'
import {withClusterControl} from '../cluster/control-client.js'
import {processState} from '../cluster/procs.js'
import {findNode, requireState, type NodeRecord} from '../cluster/state.js'
import type {KvNode, NodeLookup} from './client.js'

/**
 * Which nodes of a recorded cluster a `dtk kv` command talks to, and where each node is. A node
 * names the core that serves clients in its status (`roleStatus.clientCore`: `kv` for the
 * kv-local role); a node that cannot be asked (down, or not answering) is assumed to run its
 * role's usual one. Redirect hints name nodes by id: every node of the cluster can be looked up.
 */
const CORE_OF_ROLE: Record<string, string> = {'kv-local': 'kv', shard: 'kv'}

export interface KvTargets {
  /** Node ids operations go to, in turn. */
  targets: string[]
  lookup: NodeLookup
}

function usable(n: NodeRecord): boolean {
  return n.remote === true || processState(n) === 'up'
}

/**
 * `chosen`: the `--node` flags (each must exist, and must not be down); none: every node that is
 * up (`all`) or one of them at random.
 */
export async function kvTargets(ref: ClusterRef, chosen: string[], opts: {all: boolean}): Promise<KvTargets> {
  const state = requireState(dirOf(ref), ref.name)
  let targets: NodeRecord[]
  if (chosen.length > 0) {
    targets = [...new Set(chosen)].map((id) => findNode(state, id))
    const down = targets.filter((n) => !n.remote && processState(n) === 'down')
    if (down.length > 0) throw new DtkError(`node ${down.map((n) => n.id).join(', ')} of cluster '${ref.name}' is down (start it with: dtk restart ${down[0]!.id} --name ${ref.name})`)
  } else {
    const up = state.nodes.filter(usable)
    if (up.length === 0) throw new DtkError(`no node of cluster '${ref.name}' is up`)
    targets = opts.all ? up : [up[Math.floor(Math.random() * up.length)]!]
  }
  const cores = await clientCores(ref, targets)
  const byId = new Map<string, KvNode>()
  for (const n of state.nodes) {
    const core = cores.get(n.role) ?? CORE_OF_ROLE[n.role]
    if (core !== undefined) byId.set(n.id, {id: n.id, host: n.host, port: n.port, core})
  }
  // A node that joined after the command started (a redirect to it): the cluster's record is read again.
  const lookup = (id: string): KvNode | undefined => {
    const known = byId.get(id)
    if (known !== undefined) return known
    const n = requireState(dirOf(ref), ref.name).nodes.find((x) => x.id === id)
    const core = n && (cores.get(n.role) ?? CORE_OF_ROLE[n.role])
    if (n === undefined || core === undefined) return undefined
    const found = {id: n.id, host: n.host, port: n.port, core}
    byId.set(id, found)
    return found
  }
  return {targets: targets.map((n) => n.id), lookup}
}

/** Asks one node of each role among `targets` which core serves clients. */
async function clientCores(ref: ClusterRef, targets: NodeRecord[]): Promise<Map<string, string>> {
  const byRole = new Map<string, NodeRecord>()
  for (const n of targets) if (!byRole.has(n.role) && usable(n)) byRole.set(n.role, n)
  const cores = new Map<string, string>()
  await withClusterControl(dirOf(ref), async (c) => {
    await Promise.all(
      [...byRole.values()].map(async (n) => {
        const status = await c.tryCall<{roleStatus?: {clientCore?: unknown}}>(n, {op: 'status'}, 2000)
        if (status === undefined) return
        const core = status.roleStatus?.clientCore
        if (typeof core === 'string' && core !== '') cores.set(n.role, core)
        else throw new UsageError(`node ${n.id} runs role '${n.role}', which serves no KV clients (roles that do: ${Object.keys(CORE_OF_ROLE).join(', ')})`)
      }),
    )
  })
  for (const n of targets) {
    if (!cores.has(n.role) && CORE_OF_ROLE[n.role] === undefined) {
      throw new UsageError(`node ${n.id} runs role '${n.role}', which serves no KV clients (roles that do: ${Object.keys(CORE_OF_ROLE).join(', ')})`)
    }
  }
  return cores
}
