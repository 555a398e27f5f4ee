import type {KvOp, KvResult, KvValue} from './protocol.js'

/**
 * dtk's operation history format (the contract in ../shared/histories/README.md): one JSON
 * object per line, `invoke` then exactly one of `ok`, `fail` or `info` per operation, with
 * Jepsen's meaning. KV operations map onto its three functions: `get` is a `read`, `put` a
 * `write`, `delete` a `write` of `null` (absent, as a read of a never-written key returns),
 * `cas` a `cas` with `[expected, new]`.
 */
export interface HistoryEntry {
  process: number
  type: 'invoke' | 'ok' | 'fail' | 'info'
  f: 'read' | 'write' | 'cas'
  key?: string
  value: unknown
  time?: number
}

/** The history function and invoke value of a KV operation (`null` for ops histories do not cover). */
export function historyOf(op: KvOp): {f: HistoryEntry['f']; key: string; value: unknown} | null {
  switch (op.f) {
    case 'get':
      return {f: 'read', key: op.key, value: null}
    case 'put':
      return {f: 'write', key: op.key, value: op.value}
    case 'delete':
      return {f: 'write', key: op.key, value: null}
    case 'cas':
      return {f: 'cas', key: op.key, value: [op.expected, op.value]}
    case 'keys':
      return null
  }
}

/** The completion entry for `op` given its result (`value` of a read is what it read). */
export function completionOf(process: number, op: KvOp, result: KvResult, time: number): HistoryEntry | null {
  const h = historyOf(op)
  if (h === null) return null
  const value: unknown = op.f === 'get' && result.type === 'ok' ? ((result.value ?? null) as KvValue) : h.value
  // In a history a failed cas observed a value other than `expected` (../shared/histories/README.md).
  // One refused for another reason (not-leader, full, bad-request) observed nothing: it certainly
  // changed nothing, but `fail` would claim a mismatch, so it is written as `info`, which claims
  // neither (it may then be placed anywhere, or nowhere: weaker, never false).
  const type = result.type === 'fail' && op.f === 'cas' && result.error !== 'mismatch' ? 'info' : result.type
  return {process, type, f: h.f, key: h.key, value, time}
}

/** One JSON object per line, in order. */
export function historyJSONL(entries: readonly HistoryEntry[]): string {
  let s = ''
  for (const e of entries) s += JSON.stringify(e) + '\n'
  return s
}
