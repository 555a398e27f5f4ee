import {join} from 'node:path'
import {EventLog} from '../events/index.js'
import {clusterDir} from './state.js'

/** Which cluster a command works on, and the supervisor's own event log in its state dir. */
export interface ClusterRef {
  stateDir: string
  name: string
}

const SUPERVISOR = 'dtk'

export function dirOf(ref: ClusterRef): string {
  return clusterDir(ref.stateDir, ref.name)
}

function eventLog(dir: string): EventLog {
  return new EventLog(join(dir, 'events.jsonl'), SUPERVISOR)
}

export function record(dir: string, type: string, fields: Record<string, unknown>): void {
  const log = eventLog(dir)
  log.emit(type, fields)
  log.close()
}
