import {join} from 'node:path'
import {readEvents, type EventRecord} from '../events/index.js'
import {dirOf, type ClusterRef} from './context.js'
import {findNode, requireState} from './state.js'

export function eventFiles(ref: ClusterRef, nodeFilter?: string[]): string[] {
  const dir = dirOf(ref)
  const state = requireState(dir, ref.name)
  const nodes = nodeFilter ? nodeFilter.map((id) => findNode(state, id)) : state.nodes
  const files = nodes.filter((n) => !n.remote).map((n) => join(n.dataDir, 'events.jsonl'))
  if (!nodeFilter) files.push(join(dir, 'events.jsonl'))
  return files
}

export function events(ref: ClusterRef, nodeFilter?: string[]): EventRecord[] {
  const recs = readEvents(eventFiles(ref, nodeFilter))
  // Supervisor events about a node (crash, pause…) belong to that node's story too.
  if (!nodeFilter) return recs
  const extra = readEvents([join(dirOf(ref), 'events.jsonl')]).filter((e) => nodeFilter.includes(e.target as string))
  return [...recs, ...extra].sort((a, b) => a.ts - b.ts)
}
