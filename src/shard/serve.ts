import type {NodeId} from '../core/index.js'
import {parseRequest, sameValue, type KvResult, type KvValue} from '../kv/index.js'
import type {ShardContext} from './context.js'
import {partitionOf} from './layout.js'
import type {WriteBody} from './messages.js'
import type {PendingWrites} from './pending.js'

/**
 * The client's side: `kv.req` in, `kv.res` out (src/kv/protocol.ts), so the workload client,
 * `dtk kv` and the history checker work unchanged against a sharded store.
 *
 * Only the authority of a key's partition answers, from its own copy: reads at once (a host
 * releases the reply only after the writes it saw are durable), writes once durable here and at
 * every copy being kept up to date. Any other node answers `fail` / `not-leader` with a
 * `redirect` to where it believes the authority is; that answer certainly changed nothing, and
 * the client retries there. While the authority is handing the partition over it serves nothing
 * of it: requests wait (bounded) and are redirected to the new authority once it has taken over.
 *
 * Writes are at most once per client session (Raft §6.3, as src/kv/store.ts): the session
 * table lives in each partition and moves with it, so a retry reaching the new authority after
 * a handoff gets the first answer instead of being applied twice.
 */
export interface ServeContext extends ShardContext {
  readonly pending: PendingWrites
  /** Holds a request while its partition is being handed over; false when full (the request is dropped: the client retries). */
  park(p: number, from: NodeId, msg: unknown): boolean
  /** Where this node believes the authority of `p` is (never itself), or null. */
  hint(p: number): NodeId | null
}

export function serveRequest(ctx: ServeContext, from: NodeId, msg: unknown): void {
  const q = parseRequest(msg)
  if (q === null) return
  const reply = (result: KvResult) => ctx.send(from, {type: 'kv.res', req: q.req, result})
  if (!q.op.ok) return reply({type: 'fail', error: 'bad-request', message: q.op.error})
  const op = q.op.value
  if (op.f === 'keys') return reply({type: 'fail', error: 'bad-request', message: 'keys lists one store, and a sharded store is many: ask each node, or use dtk ring verify'})
  const p = partitionOf(op.key, ctx.cfg.partitions)
  const part = ctx.parts[p]!
  if (part.role !== 'auth') {
    const to = ctx.hint(p)
    // Nowhere better to send it: no answer, and the client asks again after its retry interval.
    if (to !== null) reply({type: 'fail', error: 'not-leader', redirect: to, message: `partition ${p} is served by ${to}`})
    return
  }
  if (part.handing !== null) {
    ctx.park(p, from, msg)
    return
  }
  if (op.f === 'get') {
    if (q.req < part.sessions.latest(q.client)) return
    return reply({type: 'ok', value: part.data.get(op.key)?.v ?? null})
  }
  const seen = part.sessions.check(q.client, q.req)
  if (seen.kind === 'stale') return
  if (seen.kind === 'duplicate') {
    // Still waiting for its copies: it will be answered (here) when they have it.
    if (!ctx.pending.retarget(q.client, q.req, from)) reply(seen.result)
    return
  }
  if (ctx.pending.full) return
  const current: KvValue = part.data.get(op.key)?.v ?? null
  const isNew = current === null
  const full = isNew && part.data.size >= ctx.cfg.maxKeysPerPartition
  let result: KvResult = {type: 'ok'}
  const w: WriteBody = {s: part.seq + 1, c: [q.client, q.req, ctx.now, result]}
  switch (op.f) {
    case 'put':
      if (full) result = {type: 'fail', error: 'full', message: `partition ${p} holds ${part.data.size} keys`}
      else [w.k, w.v] = [op.key, op.value]
      break
    case 'cas':
      if (!sameValue(current, op.expected)) result = {type: 'fail', error: 'mismatch', value: current}
      else if (full) result = {type: 'fail', error: 'full', message: `partition ${p} holds ${part.data.size} keys`}
      else [w.k, w.v] = [op.key, op.value]
      break
    case 'delete':
      result = {type: 'ok', existed: !isNew}
      w.k = op.key
      w.del = true
      break
  }
  w.c[3] = result
  ctx.record({t: 'w', p, e: part.epoch, w})
  const waitFor = ctx.copies.forward(p, w)
  if (waitFor.size === 0) return reply(result)
  ctx.pending.add({p, seq: w.s, client: q.client, req: q.req, to: from, result, waitFor})
}
