import {UsageError} from '../../errors/index.js'
import {kvCoreFactory, parseRequest, type KvCore, type KvEvent, type KvOp, type KvResponse} from '../../kv/index.js'
import type {Validator} from '../host/types.js'
import type {NodeHost} from '../host/host.js'
import type {Role, RoleContext} from './types.js'

/** Off the wire: a kv request with a session and a number (its op is the core's to judge: it answers bad-request). */
export const validateKvRequest: Validator = (x) => (parseRequest(x) === null ? {ok: false, reason: 'malformed'} : {ok: true, msg: x})

/** The CLI's `role` commands of a kv-local node (`dtk cluster` role ops, test/commands/kv-local.test.ts). */
type KvControl = {op: 'put'; key: string; value: unknown} | {op: 'get'; key: string} | {op: 'delete'; key: string} | {op: 'keys'}

function asOp(body: unknown): KvOp {
  const b = body as Partial<KvControl> | null
  if (!b || typeof b !== 'object' || typeof b.op !== 'string') throw new UsageError('kv: expected {op, key, value}')
  if (b.op === 'keys') return {f: 'keys'}
  const key = (b as {key?: unknown}).key
  if (typeof key !== 'string') throw new UsageError(`kv ${b.op}: key must be a string`)
  if (b.op === 'get' || b.op === 'delete') return {f: b.op, key}
  if (b.op === 'put') return {f: 'put', key, value: (b as {value?: unknown}).value as never}
  throw new UsageError(`kv: unknown op '${b.op}'`)
}

/**
 * The `kv-local` role: the kv store (src/kv, `KvCore`) as core `kv` on the node host. Every
 * write is persisted through the core contract before its reply leaves (the Ready rule), so a
 * crash loses nothing acknowledged; clients reach it through the client-request contract
 * (`{op: 'client', core: 'kv', msg}`), and the CLI's role commands (`put`, `get`, `delete`,
 * `keys`) go the same way, as requests of a session of the node's own.
 */
export function kvLocalRole(): Role {
  let host: NodeHost | undefined
  let ctx: RoleContext | undefined
  let recovered: Extract<KvEvent, {type: 'recovered'}> | undefined
  let applied = 0
  // One session per life of the node: its request numbers start again at 1.
  const session = `ctl-${process.pid}-${Date.now().toString(36)}`
  let req = 0

  const control = async (body: unknown): Promise<unknown> => {
    const op = asOp(body)
    if (!host) throw new Error('kv: the node is not started')
    const answer = (await host.clientRequest(session, {core: 'kv', msg: {type: 'kv.req', client: session, req: ++req, op}})) as KvResponse
    const r = answer.result
    if (r.type !== 'ok') throw new Error(`kv ${op.f}: ${r.type === 'fail' ? r.error : 'unknown outcome'}${r.type === 'fail' && r.message ? `: ${r.message}` : ''}`)
    switch (op.f) {
      case 'get':
        return {ok: true, found: r.value !== null && r.value !== undefined, value: r.value ?? null}
      case 'delete':
        return {ok: r.existed === true}
      case 'keys':
        return {ok: true, keys: r.keys ?? []}
      default:
        return {ok: true}
    }
  }

  return {
    name: 'kv-local',
    composition: {cores: {kv: {factory: kvCoreFactory(), durable: true, validate: validateKvRequest}}, clientCore: 'kv'},
    hooks: {
      event(_core, e) {
        const ev = e as KvEvent
        if (ev.type === 'applied') applied++
        else if (ev.type === 'recovered') {
          recovered = ev
          ctx?.events.emit('kv.recovered', {records: ev.records, snapshot: ev.snapshot, keys: ev.keys, sessions: ev.sessions, truncatedBytes: ev.truncatedBytes})
        }
      },
    },
    async start(c) {
      ctx = c
      host = c.host
    },
    onControl: control,
    status: () => {
      const core = host?.core<KvCore>('kv')
      return {keys: core?.size ?? 0, sessions: core?.sessionCount ?? 0, writes: applied, recoveredRecords: recovered?.records ?? 0, truncatedBytes: recovered?.truncatedBytes ?? 0}
    },
  }
}
