import type {Core, CoreContext, NodeId, Output} from '../core/index.js'
import {completionOf, historyOf, parseResponse, type KvClientEvent, type KvMessage, type KvOp, type KvResult} from '../kv/index.js'

/**
 * A KV client that runs a fixed list of operations (load every key, then read every key back)
 * with `sessions` operations in flight, each its own session and its own history process
 * (`process`, `process + 1`, …), so the history stays one operation in flight per process.
 * It follows redirects and retries like src/kv's client (same request number, so the server's
 * sessions keep writes at most once), and records every operation in dtk's history format.
 * Used by the shard scenario to load keys before the workload and to read them all at the end.
 */
export interface KvBulkConfig {
  ops: KvOp[]
  servers: NodeId[]
  /** History process of the first session. */
  process: number
  /** Operations in flight at once. Default 8. */
  sessions?: number
  /** Sessions start spread over the first this many servers. Default all. */
  spread?: number
  retryAfter?: number
  giveUpAfter?: number
}

type Out = Output<KvMessage, KvClientEvent>

interface Slot {
  session: string
  process: number
  server: number
  op: KvOp | null
  req: number
  invokedAt: number
}

export class KvBulkClient implements Core<KvMessage, KvClientEvent, never> {
  readonly id: NodeId
  completed = 0
  private next = 0
  /** Request numbers are unique over all sessions (each session's still increase), so an answer names its session. */
  private lastReq = 0
  private readonly slots: Slot[]
  private readonly retryAfter: number
  private readonly giveUpAfter: number

  constructor(
    ctx: CoreContext,
    private readonly cfg: KvBulkConfig,
  ) {
    this.id = ctx.id
    if (cfg.servers.length === 0) throw new Error('kv bulk client: no server to talk to')
    this.retryAfter = cfg.retryAfter ?? 250
    this.giveUpAfter = cfg.giveUpAfter ?? 5000
    const n = cfg.sessions ?? 8
    this.slots = Array.from({length: n}, (_, i) => ({session: `${ctx.id}#${ctx.restarts}/${i}`, process: cfg.process + i, server: i % Math.min(cfg.spread ?? cfg.servers.length, cfg.servers.length), op: null, req: 0, invokedAt: 0}))
  }

  start(now: number): Out {
    const out = output()
    for (let i = 0; i < this.slots.length; i++) this.invoke(out, i, now)
    return out
  }

  tick(key: string, now: number): Out {
    const out = output()
    const i = Number(key.slice(6))
    const s = this.slots[i]
    if (s?.op) {
      if (now - s.invokedAt >= this.giveUpAfter) this.complete(out, i, {type: 'info', error: 'timeout'}, now)
      else this.send(out, i, now)
    }
    return out
  }

  receive(_from: NodeId, msg: KvMessage, now: number): Out {
    const out = output()
    const res = parseResponse(msg)
    if (res === null) return out
    const i = this.slots.findIndex((s) => s.op !== null && s.req === res.req)
    if (i < 0) return out
    const r = res.result
    if (r.type !== 'ok' && r.redirect !== undefined) {
      const j = this.cfg.servers.indexOf(r.redirect)
      if (j >= 0) this.slots[i]!.server = j
      this.send(out, i, now)
      return out
    }
    this.complete(out, i, r, now)
    return out
  }

  streamBroken(peer: NodeId, now: number): Out {
    const out = output()
    this.slots.forEach((s, i) => s.op && this.cfg.servers[s.server] === peer && this.send(out, i, now))
    return out
  }

  get done(): boolean {
    return this.completed === this.cfg.ops.length
  }

  private invoke(out: Out, i: number, now: number): void {
    if (this.next >= this.cfg.ops.length) return
    const s = this.slots[i]!
    const op = this.cfg.ops[this.next++]!
    s.op = op
    s.req = ++this.lastReq
    s.invokedAt = now
    const h = historyOf(op)!
    out.events.push({type: 'history', entry: {process: s.process, type: 'invoke', f: h.f, key: h.key, value: h.value, time: now}})
    this.send(out, i, now)
  }

  private send(out: Out, i: number, now: number): void {
    const s = this.slots[i]!
    out.send.push({to: this.cfg.servers[s.server]!, msg: {type: 'kv.req', client: s.session, req: s.req, op: s.op!}, channel: 'stream'})
    out.timers.push({key: `retry:${i}`, at: now + this.retryAfter})
  }

  private complete(out: Out, i: number, result: KvResult, now: number): void {
    const s = this.slots[i]!
    const entry = completionOf(s.process, s.op!, result, now)
    if (entry) out.events.push({type: 'history', entry})
    s.op = null
    out.cancel.push(`retry:${i}`)
    this.completed++
    if (this.done) out.events.push({type: 'done', ops: this.completed})
    this.invoke(out, i, now)
  }
}

function output(): Out {
  return {send: [], timers: [], cancel: [], events: []}
}

export function kvBulkFactory(config: KvBulkConfig): (ctx: CoreContext) => KvBulkClient {
  return (ctx) => new KvBulkClient(ctx, config)
}
