import {DtkError, UsageError} from '../errors/index.js'
import {MEMBERSHIP_ROLES} from '../node/roles/index.js'
import {dirOf, type ClusterRef} from './context.js'
import {withClusterControl} from './control-client.js'
import {processState} from './procs.js'
import {findNode, requireState} from './state.js'

/**
 * Refuses, before any request, a command that needs a role the cluster's nodes do not run: "runs
 * role 'echo'; 'cluster members' needs role 'gossip'" rather than a remote error from every node.
 */
export function requireRole(ref: ClusterRef, role: string, command: string): void {
  const state = requireState(dirOf(ref), ref.name)
  // Every role that runs the membership core answers what the gossip role answers (members, keys).
  const serves = (r: string) => r === role || (role === 'gossip' && MEMBERSHIP_ROLES.includes(r))
  if (state.nodes.length === 0 || state.nodes.some((n) => serves(n.role))) return
  const roles = [...new Set(state.nodes.map((n) => n.role))]
  throw new UsageError(
    `cluster '${ref.name}' runs role ${roles.map((r) => `'${r}'`).join(', ')}; 'dtk ${command}' needs role '${role}' (start one with: dtk cluster up --role ${role} --name NAME)`,
  )
}

/** Sends a role command (`{op: 'role', body}`) to one node and returns its answer. */
export async function roleCall<T>(ref: ClusterRef, id: string, body: unknown, timeoutMs = 3000): Promise<T> {
  const state = requireState(dirOf(ref), ref.name)
  const node = findNode(state, id)
  if (!node.remote && processState(node) !== 'up') throw new DtkError(`node ${id} is ${processState(node)}: it cannot answer`)
  return withClusterControl(dirOf(ref), (c) => c.call<T>(node, {op: 'role', body}, timeoutMs))
}

/** Asks every node that runs now; nodes that are down or do not answer are listed apart. */
export async function roleCallAll<T>(
  ref: ClusterRef,
  body: unknown,
  timeoutMs = 2000,
): Promise<{answers: Array<{node: string; answer: T}>; missing: string[]; refused: Array<{node: string; reason: string}>}> {
  const state = requireState(dirOf(ref), ref.name)
  const answers: Array<{node: string; answer: T}> = []
  const missing: string[] = []
  const refused: Array<{node: string; reason: string}> = []
  await withClusterControl(dirOf(ref), async (c) => {
    await Promise.all(
      state.nodes.map(async (n) => {
        if (!n.remote && processState(n) !== 'up') return missing.push(n.id)
        try {
          answers.push({node: n.id, answer: await c.call<T>(n, {op: 'role', body}, timeoutMs)})
        } catch (error) {
          // A node that answered with an error is up: say what it said, apart from those that are silent.
          const m = /refused '[^']+': (.*)$/.exec((error as Error).message)
          if (m) refused.push({node: n.id, reason: m[1]!})
          else missing.push(n.id)
        }
      }),
    )
  })
  const order = (id: string) => state.nodes.findIndex((n) => n.id === id)
  answers.sort((a, b) => order(a.node) - order(b.node))
  refused.sort((a, b) => order(a.node) - order(b.node))
  return {answers, missing: missing.sort((a, b) => order(a) - order(b)), refused}
}
