import {join} from 'node:path'
import {AppendLog} from '../../storage/index.js'
import {UsageError} from '../../errors/index.js'
import type {Role, RoleContext} from './types.js'

type KvOp = {op: 'put'; key: string; value: unknown} | {op: 'get'; key: string} | {op: 'delete'; key: string} | {op: 'keys'}

function asKvOp(body: unknown): KvOp {
  const b = body as Partial<KvOp> | null
  if (!b || typeof b !== 'object' || typeof b.op !== 'string') throw new UsageError('kv: expected {op, key, value}')
  if (b.op === 'keys') return {op: 'keys'}
  if (typeof (b as {key?: unknown}).key !== 'string') throw new UsageError(`kv ${b.op}: key must be a string`)
  if (b.op === 'put' || b.op === 'get' || b.op === 'delete') return b as KvOp
  throw new UsageError(`kv: unknown op '${b.op}'`)
}

/**
 * A single-node key-value store whose writes are logged (checksummed, fsynced) before they are
 * acknowledged, so a crash loses nothing acknowledged: the machinery later replicated roles build
 * on, testable on its own. Reachable from peers (`kv.put`/`kv.get`) and from the CLI (`role`).
 */
export function kvLocalRole(): Role {
  const data = new Map<string, unknown>()
  let log: AppendLog | undefined
  let recovered = 0
  let truncated = 0

  const apply = (op: KvOp): unknown => {
    switch (op.op) {
      case 'put':
        log!.append(Buffer.from(JSON.stringify({k: op.key, v: op.value})))
        data.set(op.key, op.value)
        return {ok: true}
      case 'delete':
        log!.append(Buffer.from(JSON.stringify({k: op.key, d: true})))
        return {ok: data.delete(op.key)}
      case 'get':
        return {ok: true, found: data.has(op.key), value: data.get(op.key) ?? null}
      case 'keys':
        return {ok: true, keys: [...data.keys()].sort()}
    }
  }

  return {
    name: 'kv-local',
    async start(ctx: RoleContext) {
      const opened = AppendLog.open(join(ctx.dataDir, 'kv.log'))
      log = opened.log
      for (const rec of opened.records) {
        const r = JSON.parse(rec.toString('utf8')) as {k: string; v?: unknown; d?: boolean}
        if (r.d) data.delete(r.k)
        else data.set(r.k, r.v)
      }
      recovered = opened.records.length
      truncated = opened.truncatedBytes
      ctx.events.emit('kv.recovered', {records: recovered, keys: data.size, truncatedBytes: truncated})
    },
    onPeerRequest(msg) {
      if (msg.op === 'kv.put' || msg.op === 'kv.get' || msg.op === 'kv.delete') {
        return apply(asKvOp({...msg, op: msg.op.slice(3)}))
      }
      return undefined
    },
    onControl(body) {
      return apply(asKvOp(body))
    },
    status: () => ({keys: data.size, recoveredRecords: recovered, truncatedBytes: truncated, logBytes: log?.bytes ?? 0}),
    async stop() {
      log?.close()
    },
  }
}
