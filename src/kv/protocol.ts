import type {NodeId} from '../core/index.js'

/**
 * The key-value protocol every KV-serving core answers (the single-node `kv` core now; the
 * replicated, Paxos and 2PC cores later), so that one client, one load generator and one history
 * checker serve them all.
 *
 * A request comes from a client session: `client` names the session (a client picks a fresh one
 * per life), `req` numbers its requests 1, 2, 3 … with one in flight at a time. A retry reuses the
 * same `req`, so a server applies each (client, req) at most once and answers a retry with the
 * first answer (Raft dissertation §6.3, client sessions). A request with a `req` older than the
 * session's latest is a stale duplicate and is ignored.
 *
 * A result says what certainly happened (Jepsen's vocabulary, ../shared/histories/README.md):
 * - `ok`: it took effect (for `get`, the value read; `null` when the key is absent);
 * - `fail`: it certainly changed nothing and never will (a cas whose `expected` did not match —
 *   that cas happened, it found `value` — a bad request, or a server that is not the leader);
 * - `info`: it may or may not have taken effect (a timeout, a server that went away).
 * `redirect` is a hint for replicated servers: "not me, try this node".
 */

/** A JSON value. `null` stands for "absent": it cannot be stored. */
export type KvValue = null | boolean | number | string | KvValue[] | {[k: string]: KvValue}

export type KvOp =
  | {f: 'get'; key: string}
  | {f: 'put'; key: string; value: KvValue}
  /** Sets `value` if the key holds `expected` (`null`: the key is absent). */
  | {f: 'cas'; key: string; expected: KvValue; value: KvValue}
  | {f: 'delete'; key: string}
  /** Every key, sorted (bounded by the store's key limit). */
  | {f: 'keys'}

export type KvOpName = KvOp['f']

export interface KvRequest {
  type: 'kv.req'
  client: string
  req: number
  op: KvOp
}

/** Why a request certainly did not take effect. */
export type KvFailure = 'mismatch' | 'bad-request' | 'full' | 'not-leader'
/** Why a request's outcome is unknown. */
export type KvUncertain = 'timeout' | 'unavailable'

export type KvResult =
  | {type: 'ok'; value?: KvValue; existed?: boolean; keys?: string[]}
  | {type: 'fail'; error: KvFailure; message?: string; value?: KvValue; redirect?: NodeId}
  | {type: 'info'; error: KvUncertain; redirect?: NodeId}

export interface KvResponse {
  type: 'kv.res'
  req: number
  result: KvResult
}

export type KvMessage = KvRequest | KvResponse

/** Limits on what a request may carry (never trust the wire). */
export const KV_LIMITS = {
  /** Characters in a key. */
  key: 256,
  /** Characters in a client session name. */
  client: 128,
  /** Characters of a value's JSON text. */
  value: 16 * 1024,
} as const

export type Parsed<T> = {ok: true; value: T} | {ok: false; error: string}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x)
}

function badValue(v: unknown, what: string): string | null {
  if (v === null || v === undefined) return `${what} must not be null (null means absent)`
  let text: string
  try {
    text = JSON.stringify(v)
  } catch {
    return `${what} is not JSON`
  }
  if (text === undefined) return `${what} is not JSON`
  if (text.length > KV_LIMITS.value) return `${what} is longer than ${KV_LIMITS.value} characters of JSON`
  return null
}

function badKey(k: unknown): string | null {
  if (typeof k !== 'string' || k.length === 0) return 'key must be a non-empty string'
  if (k.length > KV_LIMITS.key) return `key is longer than ${KV_LIMITS.key} characters`
  return null
}

/**
 * Checks a request off the wire. `null` when it is not a request at all (or has no usable
 * session and number, so it cannot be answered); an error when it can be answered with
 * `fail: bad-request`.
 */
export function parseRequest(msg: unknown): {client: string; req: number; op: Parsed<KvOp>} | null {
  if (!isObject(msg) || msg.type !== 'kv.req') return null
  const {client, req, op} = msg
  if (typeof client !== 'string' || client.length === 0 || client.length > KV_LIMITS.client) return null
  if (typeof req !== 'number' || !Number.isSafeInteger(req) || req < 1) return null
  return {client, req, op: parseOp(op)}
}

export function parseOp(op: unknown): Parsed<KvOp> {
  if (!isObject(op) || typeof op.f !== 'string') return {ok: false, error: 'op must be an object with f'}
  const fail = (error: string): Parsed<KvOp> => ({ok: false, error})
  switch (op.f) {
    case 'keys':
      return {ok: true, value: {f: 'keys'}}
    case 'get':
    case 'delete': {
      const e = badKey(op.key)
      return e ? fail(e) : {ok: true, value: {f: op.f, key: op.key as string}}
    }
    case 'put': {
      const e = badKey(op.key) ?? badValue(op.value, 'value')
      return e ? fail(e) : {ok: true, value: {f: 'put', key: op.key as string, value: op.value as KvValue}}
    }
    case 'cas': {
      if (!('expected' in op)) return fail('cas needs expected (null: absent)')
      const e = badKey(op.key) ?? badValue(op.value, 'value') ?? (op.expected === null ? null : badValue(op.expected, 'expected'))
      return e ? fail(e) : {ok: true, value: {f: 'cas', key: op.key as string, expected: op.expected as KvValue, value: op.value as KvValue}}
    }
    default:
      return fail(`unknown op '${String(op.f).slice(0, 32)}'`)
  }
}

/** Checks a response off the wire; null when malformed. */
export function parseResponse(msg: unknown): KvResponse | null {
  if (!isObject(msg) || msg.type !== 'kv.res') return null
  if (typeof msg.req !== 'number' || !Number.isSafeInteger(msg.req)) return null
  const r = msg.result
  if (!isObject(r) || (r.type !== 'ok' && r.type !== 'fail' && r.type !== 'info')) return null
  if (r.type !== 'ok' && typeof r.error !== 'string') return null
  if (r.redirect !== undefined && typeof r.redirect !== 'string') return null
  return msg as unknown as KvResponse
}

/** Two values are equal when their JSON texts are (keys in the same order). */
export function sameValue(a: KvValue | undefined, b: KvValue | undefined): boolean {
  if (a === b) return true
  if (a === undefined || b === undefined || a === null || b === null) return false
  if (typeof a !== 'object' || typeof b !== 'object') return false
  return JSON.stringify(a) === JSON.stringify(b)
}
