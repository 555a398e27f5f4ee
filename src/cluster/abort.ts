import {join} from 'node:path'
import {dirOf, type ClusterRef} from './context.js'
import {down} from './lifecycle.js'
import {sweep} from './procs.js'
import {liveNodes} from './spawn.js'
import {loadState, saveState} from './state.js'

/**
 * Undoing what an interrupted command started (see src/cli/interrupt.ts): every node process of
 * the cluster, found through its record and then through /proc (a node spawned after the record
 * was read is still found by its data dir on its command line). Returns how many were stopped.
 */
export async function abortCluster(ref: ClusterRef): Promise<number> {
  const dir = dirOf(ref)
  let stopped = 0
  try {
    const state = loadState(dir)
    if (state && liveNodes(state).length > 0) {
      const res = await down({...ref, graceMs: 1000})
      stopped = res.stopped.length + res.killed.length
    }
  } catch {
    // an unreadable record: the sweep below still finds the processes
  }
  return stopped + (await sweep(join(dir, 'nodes') + '/'))
}

/** Stops the nodes a join started (every node not among `existing`, the ids recorded before it), and forgets them. */
export async function abortJoin(ref: ClusterRef, existing: string[]): Promise<number> {
  const dir = dirOf(ref)
  const state = loadState(dir)
  const keep = (state?.nodes ?? []).filter((n) => existing.includes(n.id) && n.pid !== undefined && liveNodes({...state!, nodes: [n]}).length > 0).map((n) => n.pid!)
  const n = await sweep(join(dir, 'nodes') + '/', keep)
  if (state) {
    state.nodes = state.nodes.filter((node) => existing.includes(node.id))
    saveState(dir, state)
  }
  return n
}
