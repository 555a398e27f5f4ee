import type {Core, CoreContext, NodeId, Output, Recovered} from '../core/index.js'
import {parseRequest, sameValue, type KvMessage, type KvOp, type KvResult, type KvValue} from './protocol.js'
import {decodeSnapshot, decodeWrite, encodeSnapshot, encodeWrite, type WriteRecord} from './records.js'
import {Sessions} from './sessions.js'

/**
 * The single-node key-value store as a sans-IO core: the first stateful core, and what the
 * `kv-local` role serves. It answers the protocol of `protocol.ts` and follows the Ready rule:
 * every write (put, cas, delete) is one `append` record — effect and session entry together —
 * in the same output as its reply, so the host sends the reply only once the record is durable.
 * Reads are answered from memory, but a host releases a core's outputs in order, so a read's
 * reply never leaves before the writes it saw are durable. Every `snapshotEvery` writes the
 * record is a `snapshot` of the whole state instead, which bounds the log. `start` rebuilds the
 * state from what the host recovered.
 */
export interface KvConfig {
  /** Writes between snapshots (the log holds at most this many records after one). Default 64. */
  snapshotEvery?: number
  /** Client sessions kept for at-most-once writes. Default 1024. */
  maxSessions?: number
  /** A session idle this long (ms of server time) is dropped. Default 300 000 (5 min). */
  sessionTtl?: number
  /** Keys the store holds at most; a put of a new key beyond fails with `full`. Default 100 000. */
  maxKeys?: number
}

export type KvEvent =
  /** What `start` rebuilt from the durable log. */
  | {type: 'recovered'; snapshot: boolean; records: number; keys: number; sessions: number; truncatedBytes: number}
  /** A write and its result, reported once its record is durable (a cas that did not match included). */
  | {type: 'applied'; client: string; req: number; op: KvOp; result: KvResult}

export type KvOutput = Output<KvMessage, KvEvent>

export class KvCore implements Core<KvMessage, KvEvent, never> {
  readonly id: NodeId
  private readonly data = new Map<string, KvValue>()
  private readonly sessions: Sessions
  private readonly snapshotEvery: number
  private readonly maxKeys: number
  /** Writes logged since the last snapshot. */
  private sinceSnapshot = 0

  constructor(id: NodeId, config: KvConfig = {}) {
    this.id = id
    this.snapshotEvery = config.snapshotEvery ?? 64
    this.maxKeys = config.maxKeys ?? 100_000
    if (!(Number.isInteger(this.snapshotEvery) && this.snapshotEvery >= 1)) throw new Error('kv: snapshotEvery must be a whole number ≥ 1')
    if (!(Number.isInteger(this.maxKeys) && this.maxKeys >= 1)) throw new Error('kv: maxKeys must be a whole number ≥ 1')
    this.sessions = new Sessions(config.maxSessions ?? 1024, config.sessionTtl ?? 300_000)
  }

  start(now: number, recovered?: Recovered): KvOutput {
    const out = output()
    let records = 0
    if (recovered) {
      if (recovered.snapshot) {
        const snap = decodeSnapshot(recovered.snapshot)
        for (const [k, v] of snap.data) this.data.set(k, v)
        for (const [client, req, at, result] of snap.sessions) this.sessions.record(client, req, result, at)
      }
      for (const bytes of recovered.records) this.replay(decodeWrite(bytes))
      records = recovered.records.length
      this.sinceSnapshot = records
    }
    this.sessions.expire(now)
    out.events.push({type: 'recovered', snapshot: !!recovered?.snapshot, records, keys: this.data.size, sessions: this.sessions.size, truncatedBytes: recovered?.truncatedBytes ?? 0})
    return out
  }

  receive(from: NodeId, msg: KvMessage, now: number): KvOutput {
    const out = output()
    const p = parseRequest(msg)
    // Not a request, or one without a session and number to answer: nothing to do.
    if (p === null) return out
    const reply = (result: KvResult) => out.send.push({to: from, msg: {type: 'kv.res', req: p.req, result}, channel: 'stream'})
    if (!p.op.ok) {
      reply({type: 'fail', error: 'bad-request', message: p.op.error})
      return out
    }
    const op = p.op.value
    if (op.f === 'get' || op.f === 'keys') {
      if (p.req < this.sessions.latest(p.client)) return out
      reply(op.f === 'get' ? {type: 'ok', value: this.data.get(op.key) ?? null} : {type: 'ok', keys: [...this.data.keys()].sort()})
      return out
    }
    const seen = this.sessions.check(p.client, p.req)
    if (seen.kind === 'stale') return out
    if (seen.kind === 'duplicate') {
      reply(seen.result)
      return out
    }
    const rec: WriteRecord = {s: p.client, r: p.req, t: now, res: {type: 'ok'}}
    switch (op.f) {
      case 'put':
        if (!this.data.has(op.key) && this.data.size >= this.maxKeys) rec.res = {type: 'fail', error: 'full'}
        else rec.set = [op.key, op.value]
        break
      case 'cas': {
        const current = this.data.get(op.key) ?? null
        if (!sameValue(current, op.expected)) rec.res = {type: 'fail', error: 'mismatch', value: current}
        else if (current === null && this.data.size >= this.maxKeys) rec.res = {type: 'fail', error: 'full'}
        else rec.set = [op.key, op.value]
        break
      }
      case 'delete':
        rec.res = {type: 'ok', existed: this.data.has(op.key)}
        rec.del = op.key
        break
    }
    this.replay(rec)
    if (++this.sinceSnapshot >= this.snapshotEvery) {
      this.sinceSnapshot = 0
      out.persist!.push({type: 'snapshot', data: encodeSnapshot(this.data, this.sessions.entries())})
    } else {
      out.persist!.push({type: 'append', data: encodeWrite(rec)})
    }
    out.events.push({type: 'applied', client: p.client, req: p.req, op, result: rec.res})
    reply(rec.res)
    return out
  }

  tick(): KvOutput {
    return output()
  }

  // ---- inspection (tests, status) ----------------------------------------------------------

  get(key: string): KvValue {
    return this.data.get(key) ?? null
  }

  entries(): [string, KvValue][] {
    return [...this.data]
  }

  get size(): number {
    return this.data.size
  }

  get sessionCount(): number {
    return this.sessions.size
  }

  /** Applies a write's effect and session entry (live, or replayed from the log). */
  private replay(rec: WriteRecord): void {
    if (rec.set) this.data.set(rec.set[0], rec.set[1])
    if (rec.del !== undefined) this.data.delete(rec.del)
    this.sessions.record(rec.s, rec.r, rec.res, rec.t)
  }
}

function output(): KvOutput {
  return {send: [], timers: [], cancel: [], events: [], persist: []}
}

/** A factory for hosts: `addNode('s1', kvCoreFactory({snapshotEvery: 16}))`. */
export function kvCoreFactory(config: KvConfig = {}): (ctx: CoreContext) => KvCore {
  return (ctx) => new KvCore(ctx.id, config)
}
