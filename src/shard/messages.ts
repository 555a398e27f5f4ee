import type {NodeId} from '../core/index.js'
import {validNodeId} from '../hashring/index.js'
import {KV_LIMITS, type KvMessage, type KvResult, type KvValue} from '../kv/index.js'
import {MAX_RING_ENTRIES, validTuple, type RingTuple} from './ring-state.js'

/**
 * What shard cores say to each other, beside the KV client protocol (`kv.req`/`kv.res`, which
 * they answer too). Every message travels on a stream (FIFO per pair of nodes; it can only
 * break, and both ends are told). Fields are short because a move sends many of them:
 * `p` partition, `e` epoch, `g` the sender's session with that copy, `s` a write sequence number.
 *
 * The authority of a partition (the one node that serves it) keeps each other copy — a holder —
 * up to date: `open` asks the holder where its copy stands (`state`); then either writes it
 * missed (`write`, from the backlog) or a full copy (`reset`, `batch`…, `filled`); from then on
 * every write (`write`), each acknowledged once durable (`ack`). `handoff` passes the authority
 * to an up-to-date holder, which answers `took` once that is durable (or `refuse`: it is
 * leaving); `drop` tells a copy the ring no longer wants to delete itself. `ask`/`where` let a
 * forgotten copy find its authority; `ring` exchanges ring entries.
 */

/** A client session entry: client, request number, server time, result. */
export type SessionTuple = [string, number, number, KvResult]

/** One write: its sequence number in the partition, its effect (none for a cas that did not match), its session entry. */
export interface WriteBody {
  s: number
  k?: string
  v?: KvValue
  del?: true
  c: SessionTuple
}

/** A key's copy as a move carries it: key, value, version (the sequence number of its write). */
export type KeyTuple = [string, KvValue, number]

export type ShardMessage =
  | {type: 'sh.open'; p: number; e: number; g: number; h?: number}
  | {type: 'sh.state'; p: number; e: number; g: number; s: number; c: boolean}
  | {type: 'sh.reset'; p: number; e: number; g: number; s: number; ss: SessionTuple[]}
  | {type: 'sh.batch'; p: number; e: number; g: number; n: number; kv: KeyTuple[]}
  | {type: 'sh.filled'; p: number; e: number; g: number; s: number}
  | {type: 'sh.write'; p: number; e: number; g: number; w: WriteBody}
  | {type: 'sh.ack'; p: number; e: number; g: number; s: number; c: boolean; n: number}
  | {type: 'sh.handoff'; p: number; e: number; g: number; s: number; holders: NodeId[]}
  | {type: 'sh.took'; p: number; e: number}
  | {type: 'sh.refuse'; p: number; e: number; gen: number}
  | {type: 'sh.drop'; p: number; e: number}
  | {type: 'sh.ask'; p: number; e: number}
  | {type: 'sh.where'; p: number; e: number; node: NodeId}
  | {type: 'sh.ring'; ring: RingTuple[]; pull: boolean}

export type ShardWire = ShardMessage | KvMessage

/** Bounds on what a message may carry. */
export const SHARD_LIMITS = {
  batchKeys: 100_000,
  sessions: 65_536,
  holders: 64,
} as const

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}

const nat = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0

function validKey(k: unknown): k is string {
  return typeof k === 'string' && k.length > 0 && k.length <= KV_LIMITS.key
}

/** A value a client could have stored: JSON, not null, within the size limit. */
export function validValue(v: unknown): v is KvValue {
  switch (typeof v) {
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(v)
    case 'string':
      return v.length <= KV_LIMITS.value
    case 'object': {
      if (v === null) return false
      try {
        const t = JSON.stringify(v)
        return t !== undefined && t.length <= KV_LIMITS.value
      } catch {
        return false
      }
    }
    default:
      return false
  }
}

function validResult(r: unknown): r is KvResult {
  return isObject(r) && (r.type === 'ok' || r.type === 'fail' || r.type === 'info')
}

function validSession(t: unknown): t is SessionTuple {
  return Array.isArray(t) && t.length === 4 && typeof t[0] === 'string' && t[0].length > 0 && t[0].length <= KV_LIMITS.client && nat(t[1]) && typeof t[2] === 'number' && Number.isFinite(t[2]) && validResult(t[3])
}

function validWrite(w: unknown): w is WriteBody {
  if (!isObject(w) || !nat(w.s) || w.s < 1 || !validSession(w.c)) return false
  if (w.k === undefined) return w.v === undefined && w.del === undefined
  if (!validKey(w.k)) return false
  return w.del === true ? w.v === undefined : w.del === undefined && validValue(w.v)
}

/**
 * Checks a shard message off the wire (never trust it): the message, or null when it is not a
 * well-formed shard message for a cluster of `partitions` partitions.
 */
export function parseShardMessage(msg: unknown, partitions: number): ShardMessage | null {
  if (!isObject(msg) || typeof msg.type !== 'string') return null
  if (msg.type === 'sh.ring') {
    const ring = msg.ring
    if (!Array.isArray(ring) || ring.length > MAX_RING_ENTRIES || !ring.every(validTuple) || typeof msg.pull !== 'boolean') return null
    return msg as unknown as ShardMessage
  }
  if (!nat(msg.p) || msg.p >= partitions || !nat(msg.e)) return null
  switch (msg.type) {
    case 'sh.open':
      return nat(msg.g) && (msg.h === undefined || nat(msg.h)) ? (msg as unknown as ShardMessage) : null
    case 'sh.state':
      return nat(msg.g) && nat(msg.s) && typeof msg.c === 'boolean' ? (msg as unknown as ShardMessage) : null
    case 'sh.reset':
      return nat(msg.g) && nat(msg.s) && Array.isArray(msg.ss) && msg.ss.length <= SHARD_LIMITS.sessions && msg.ss.every(validSession) ? (msg as unknown as ShardMessage) : null
    case 'sh.batch': {
      const kv = msg.kv
      if (!nat(msg.g) || !nat(msg.n) || msg.n < 1 || !Array.isArray(kv) || kv.length > SHARD_LIMITS.batchKeys) return null
      for (const t of kv) if (!Array.isArray(t) || t.length !== 3 || !validKey(t[0]) || !validValue(t[1]) || !nat(t[2])) return null
      return msg as unknown as ShardMessage
    }
    case 'sh.filled':
      return nat(msg.g) && nat(msg.s) ? (msg as unknown as ShardMessage) : null
    case 'sh.write':
      return nat(msg.g) && validWrite(msg.w) ? (msg as unknown as ShardMessage) : null
    case 'sh.ack':
      return nat(msg.g) && nat(msg.s) && typeof msg.c === 'boolean' && nat(msg.n) ? (msg as unknown as ShardMessage) : null
    case 'sh.handoff': {
      const h = msg.holders
      return nat(msg.g) && nat(msg.s) && Array.isArray(h) && h.length <= SHARD_LIMITS.holders && h.every((x) => typeof x === 'string' && validNodeId(x)) ? (msg as unknown as ShardMessage) : null
    }
    case 'sh.refuse':
      return nat(msg.gen) ? (msg as unknown as ShardMessage) : null
    case 'sh.where':
      return typeof msg.node === 'string' && validNodeId(msg.node) ? (msg as unknown as ShardMessage) : null
    case 'sh.took':
    case 'sh.drop':
    case 'sh.ask':
      return msg as unknown as ShardMessage
    default:
      return null
  }
}
