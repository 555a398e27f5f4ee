import type {NodeId} from '../core/index.js'
import type {KeyTuple, SessionTuple, WriteBody} from './messages.js'
import type {Role} from './part.js'
import type {RingTuple} from './ring-state.js'

/**
 * What a shard core persists, as UTF-8 JSON (the host frames and checksums each record). One
 * `append` per change of durable state — a write applied, a batch of a move applied, a copy
 * reset, completed or dropped, authority claimed or handed over, ring entries learnt — and now
 * and then a `snapshot` of everything, which replaces the log before it.
 *
 * What is not persisted is recomputed after a restart: which copies the authority keeps up to
 * date and how far each got (it asks them again: `sh.open`), and the moves in progress (they
 * start again from the copy's own state). The backlog of recent writes is rebuilt by replaying
 * the writes logged since the last snapshot; a copy further behind gets a full move instead.
 */
export type ShardRecord =
  /** A write applied by the authority, or by a copy (epoch `e` is the authority's). */
  | {t: 'w'; p: number; e: number; w: WriteBody}
  /** A full copy begins: the copy is emptied and will be complete at `s` plus what follows. */
  | {t: 'r'; p: number; e: number; g: number; s: number; ss: SessionTuple[]; from: NodeId}
  | {t: 'b'; p: number; e: number; g: number; n: number; kv: KeyTuple[]}
  | {t: 'f'; p: number}
  /** This node is the authority of `p` from epoch `e` (a handoff it accepted). */
  | {t: 'c'; p: number; e: number}
  /** The partitions this node is the first owner of, at epoch 1 (first start of an initial node). */
  | {t: 'boot'; ps: number[]}
  /** Handing `p` over to `to`, who will hold epoch `e`: from here on this node serves none of it. */
  | {t: 'h'; p: number; to: NodeId; e: number}
  /** `to` acknowledged durably: it is the authority; this node keeps a plain copy. */
  | {t: 'hd'; p: number; to: NodeId; e: number}
  /** `to` refused (it is leaving): authority again, at epoch `e`. */
  | {t: 'x'; p: number; e: number}
  | {t: 'd'; p: number; e: number; from: NodeId}
  | {t: 'ring'; ring: RingTuple[]}
  /** The operator asked this node to leave: it moves everything away and accepts nothing new. */
  | {t: 'leave'}

export interface PartSnapshot {
  p: number
  r: Role
  e: number
  s: number
  c: boolean
  g: number
  n: number
  lt: number
  h?: [NodeId, number]
  ptr?: [NodeId, number]
  kv: KeyTuple[]
  ss: SessionTuple[]
}

export interface ShardSnapshot {
  v: 1
  ring: RingTuple[]
  leave: boolean
  parts: PartSnapshot[]
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', {fatal: true})

export function encodeRecord(r: ShardRecord | ShardSnapshot): Uint8Array {
  return encoder.encode(JSON.stringify(r))
}

function parse(bytes: Uint8Array, what: string): Record<string, unknown> {
  let x: unknown
  try {
    x = JSON.parse(decoder.decode(bytes))
  } catch {
    throw new Error(`shard: a ${what} in the log is not JSON (it passed its checksum, so something else wrote it)`)
  }
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new Error(`shard: a ${what} in the log is not an object`)
  return x as Record<string, unknown>
}

const KINDS = new Set(['w', 'r', 'b', 'f', 'c', 'boot', 'h', 'hd', 'x', 'd', 'ring', 'leave'])

export function decodeRecord(bytes: Uint8Array): ShardRecord {
  const x = parse(bytes, 'record')
  if (typeof x.t !== 'string' || !KINDS.has(x.t)) throw new Error(`shard: a record in the log has unknown kind '${String(x.t).slice(0, 16)}'`)
  return x as unknown as ShardRecord
}

export function decodeSnapshot(bytes: Uint8Array): ShardSnapshot {
  const x = parse(bytes, 'snapshot')
  if (x.v !== 1 || !Array.isArray(x.ring) || !Array.isArray(x.parts)) throw new Error('shard: the snapshot in the log is not a version-1 shard snapshot')
  return x as unknown as ShardSnapshot
}
