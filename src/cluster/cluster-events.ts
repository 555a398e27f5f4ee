import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {UsageError} from '../errors/index.js'
import {readEvents, type EventRecord} from '../events/index.js'
import {dirOf, type ClusterRef} from './context.js'
import {requireState, type ClusterState} from './state.js'

/**
 * The data dir of each node asked for: recorded nodes, and nodes that have left (they are dropped
 * from the record, but their data dir and events stay, and their story is still worth reading).
 */
function nodeDirs(dir: string, state: ClusterState, ids: string[]): string[] {
  return ids.map((id) => {
    const rec = state.nodes.find((n) => n.id === id)
    if (rec) return rec.dataDir
    const left = join(dir, 'nodes', id)
    if (existsSync(join(left, 'events.jsonl'))) return left
    throw new UsageError(`unknown node '${id}' (cluster '${state.name}' has ${state.nodes.map((n) => n.id).join(', ')}, and no node by that name left it)`)
  })
}

export function eventFiles(ref: ClusterRef, nodeFilter?: string[]): string[] {
  const dir = dirOf(ref)
  const state = requireState(dir, ref.name)
  const files = nodeFilter
    ? nodeDirs(dir, state, nodeFilter).filter(Boolean).map((d) => join(d, 'events.jsonl'))
    : state.nodes.filter((n) => !n.remote).map((n) => join(n.dataDir, 'events.jsonl'))
  if (!nodeFilter) {
    // Nodes that joined and left this run are part of its story too.
    for (const id of state.departed ?? []) files.push(join(dir, 'nodes', id, 'events.jsonl'))
    files.push(join(dir, 'events.jsonl'))
  }
  return files
}

/**
 * Every event of the cluster's current run (since its last `cluster up`), in time order: a cluster
 * started again under the same name reuses its dir, and the previous run's events are not this one's.
 */
export function events(ref: ClusterRef, nodeFilter?: string[]): EventRecord[] {
  const state = requireState(dirOf(ref), ref.name)
  const since = runStart(state)
  const recs = readEvents(eventFiles(ref, nodeFilter)).filter((e) => e.ts >= since)
  // Supervisor events about a node (crash, pause…) belong to that node's story too.
  if (!nodeFilter) return recs
  const extra = readEvents([join(dirOf(ref), 'events.jsonl')]).filter((e) => e.ts >= since && nodeFilter.includes(e.target as string))
  return [...recs, ...extra].sort((a, b) => a.ts - b.ts)
}

/** When the current run began: the events of earlier runs are older. */
export function runStart(state: ClusterState): number {
  return state.createdAt ?? 0
}
