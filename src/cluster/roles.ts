import {DtkError} from '../errors/index.js'
import {dirOf, type ClusterRef} from './context.js'
import {withControl} from './control-client.js'
import {processState} from './procs.js'
import {findNode, requireState} from './state.js'

/** Sends a role command (`{op: 'role', body}`) to one node and returns its answer. */
export async function roleCall<T>(ref: ClusterRef, id: string, body: unknown, timeoutMs = 3000): Promise<T> {
  const state = requireState(dirOf(ref), ref.name)
  const node = findNode(state, id)
  if (!node.remote && processState(node) !== 'up') throw new DtkError(`node ${id} is ${processState(node)}: it cannot answer`)
  return withControl((c) => c.call<T>(node, {op: 'role', body}, timeoutMs))
}

/** Asks every node that runs now; nodes that are down or do not answer are listed apart. */
export async function roleCallAll<T>(ref: ClusterRef, body: unknown, timeoutMs = 2000): Promise<{answers: Array<{node: string; answer: T}>; missing: string[]}> {
  const state = requireState(dirOf(ref), ref.name)
  const answers: Array<{node: string; answer: T}> = []
  const missing: string[] = []
  await withControl(async (c) => {
    await Promise.all(
      state.nodes.map(async (n) => {
        if (!n.remote && processState(n) !== 'up') return missing.push(n.id)
        try {
          answers.push({node: n.id, answer: await c.call<T>(n, {op: 'role', body}, timeoutMs)})
        } catch {
          missing.push(n.id)
        }
      }),
    )
  })
  const order = (id: string) => state.nodes.findIndex((n) => n.id === id)
  answers.sort((a, b) => order(a.node) - order(b.node))
  return {answers, missing: missing.sort((a, b) => order(a) - order(b))}
}
