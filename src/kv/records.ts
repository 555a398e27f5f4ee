import type {KvResult, KvValue} from './protocol.js'
import type {Session} from './sessions.js'

/**
 * What the kv core persists, as UTF-8 JSON (the host frames and checksums each record; these
 * bytes are the payload). One `append` per write (put, cas, delete: applied or not, since its
 * result is what a retry must get back), carrying the effect and the session entry together so
 * that both survive or neither does; a `snapshot` every N writes replaces the log before it.
 */
export interface WriteRecord {
  /** Session, request number, server time, result. */
  s: string
  r: number
  t: number
  res: KvResult
  /** The effect: a key set to a value, or a key removed (neither for a cas that did not match). */
  set?: [string, KvValue]
  del?: string
}

export interface SnapshotRecord {
  v: 1
  /** Every key and value, in insertion order. */
  data: [string, KvValue][]
  /** Every session, oldest write first: [client, req, at, result]. */
  sessions: [string, number, number, KvResult][]
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', {fatal: true})

export function encodeWrite(r: WriteRecord): Uint8Array {
  return encoder.encode(JSON.stringify(r))
}

export function encodeSnapshot(data: Map<string, KvValue>, sessions: [string, Session][]): Uint8Array {
  const snap: SnapshotRecord = {v: 1, data: [...data], sessions: sessions.map(([c, s]) => [c, s.req, s.at, s.result])}
  return encoder.encode(JSON.stringify(snap))
}

function parse(bytes: Uint8Array, what: string): Record<string, unknown> {
  let x: unknown
  try {
    x = JSON.parse(decoder.decode(bytes))
  } catch {
    throw new Error(`kv: a ${what} record in the log is not JSON (the log passed its checksum, so it was written by something else)`)
  }
  if (typeof x !== 'object' || x === null) throw new Error(`kv: a ${what} record in the log is not an object`)
  return x as Record<string, unknown>
}

export function decodeWrite(bytes: Uint8Array): WriteRecord {
  const x = parse(bytes, 'write')
  if (typeof x.s !== 'string' || typeof x.r !== 'number' || typeof x.t !== 'number' || typeof x.res !== 'object') throw new Error('kv: a write record in the log lacks its session fields')
  return x as unknown as WriteRecord
}

export function decodeSnapshot(bytes: Uint8Array): SnapshotRecord {
  const x = parse(bytes, 'snapshot')
  if (x.v !== 1 || !Array.isArray(x.data) || !Array.isArray(x.sessions)) throw new Error('kv: the snapshot in the log is not a version-1 kv snapshot')
  return x as unknown as SnapshotRecord
}
