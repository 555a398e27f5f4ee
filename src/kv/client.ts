import type {Channel, Core, CoreContext, NodeId, Output, Random} from '../core/index.js'
import {completionOf, historyOf, type HistoryEntry} from './history.js'
import {parseResponse, type KvMessage, type KvOp, type KvRequest, type KvResult, type KvValue} from './protocol.js'

/**
 * A KV client as a sans-IO core: a closed-loop workload generator (one operation in flight, a
 * think time between operations) that records what it saw as a history (`history.ts`), so a
 * checker can judge the server afterwards. In the simulator, client nodes run it; run it under
 * the core name of the server's core (`kv`), since a message goes to the core of the same name.
 *
 * Every operation is one request (`client` = this life's session, `req` = 1, 2, 3 …). It is sent
 * again, with the same number, every `retryAfter` ms without an answer and at once when the
 * stream to the server breaks, so the server's sessions make the retries safe; after
 * `giveUpAfter` ms the operation is recorded as `info` (outcome unknown) and the next one
 * begins. A redirect hint switches servers and retries. Written values are unique (process ·
 * 1 000 000 + n), so every value read names the write it came from.
 */
export interface KvClientConfig {
  /** The history's process number. */
  process: number
  /** Servers, the first tried first. */
  servers: NodeId[]
  /** Keys operated on, chosen uniformly. Default k0, k1, k2. */
  keys?: string[]
  /** Operations to run, then stop. Default 100. */
  ops?: number
  /** Relative weights of each operation. Default get 2, put 2, cas 1, delete 0. */
  mix?: Partial<Record<'get' | 'put' | 'cas' | 'delete', number>>
  /** Channel for requests (answers always come on a stream). Default `stream`. */
  channel?: Channel
  /** Resend an unanswered request after this long, ms. Default 250. */
  retryAfter?: number
  /** Record `info` and move on after this long, ms. Default 5000. */
  giveUpAfter?: number
  /** Mean pause between operations (exponential), ms. Default 20. */
  think?: number
}

export type KvClientEvent = {type: 'history'; entry: HistoryEntry} | {type: 'done'; ops: number}

type Out = Output<KvMessage, KvClientEvent>

interface InFlight {
  req: KvRequest
  invokedAt: number
}

const OPS = ['get', 'put', 'cas', 'delete'] as const

export class KvClientCore implements Core<KvMessage, KvClientEvent, never> {
  readonly id: NodeId
  /** Operations completed (ok, fail or info). */
  completed = 0
  private readonly session: string
  private readonly cfg: Required<Omit<KvClientConfig, 'mix'>>
  private readonly weights: number[]
  private readonly random: Random
  private server = 0
  private nextReq = 1
  private nextValue = 1
  private current: InFlight | null = null
  /** The last value this client knows per key (what it wrote or read): a cas expects it. */
  private readonly known = new Map<string, KvValue>()

  constructor(ctx: CoreContext, config: KvClientConfig) {
    this.id = ctx.id
    this.random = ctx.random
    this.session = `${ctx.id}#${ctx.restarts}`
    this.cfg = {keys: ['k0', 'k1', 'k2'], ops: 100, channel: 'stream', retryAfter: 250, giveUpAfter: 5000, think: 20, ...config}
    if (this.cfg.servers.length === 0) throw new Error('kv client: no server to talk to')
    const mix = {get: 2, put: 2, cas: 1, delete: 0, ...config.mix}
    this.weights = OPS.map((f) => mix[f])
    if (!this.weights.some((w) => w > 0)) throw new Error('kv client: the operation mix is empty')
  }

  start(now: number): Out {
    const out = output()
    out.timers.push({key: 'next', at: now + this.think()})
    return out
  }

  tick(key: string, now: number): Out {
    const out = output()
    if (key === 'next') this.invoke(out, now)
    else if (key === 'retry' && this.current) {
      if (now - this.current.invokedAt >= this.cfg.giveUpAfter) this.complete(out, {type: 'info', error: 'timeout'}, now)
      else this.send(out, now)
    }
    return out
  }

  receive(_from: NodeId, msg: KvMessage, now: number): Out {
    const out = output()
    const res = parseResponse(msg)
    if (res === null || this.current === null || res.req !== this.current.req.req) return out
    const r = res.result
    if (r.type !== 'ok' && r.redirect !== undefined) {
      const i = this.cfg.servers.indexOf(r.redirect)
      this.server = i >= 0 ? i : this.server
      this.send(out, now)
      return out
    }
    this.complete(out, r, now)
    return out
  }

  /** The stream to the server broke: the request or its answer may be lost, so send it again. */
  streamBroken(peer: NodeId, now: number): Out {
    const out = output()
    if (this.current && peer === this.cfg.servers[this.server]) this.send(out, now)
    return out
  }

  private invoke(out: Out, now: number): void {
    if (this.completed >= this.cfg.ops) return
    const op = this.pick()
    const req: KvRequest = {type: 'kv.req', client: this.session, req: this.nextReq++, op}
    this.current = {req, invokedAt: now}
    const h = historyOf(op)!
    out.events.push({type: 'history', entry: {process: this.cfg.process, type: 'invoke', f: h.f, key: h.key, value: h.value, time: now}})
    this.send(out, now)
  }

  private send(out: Out, now: number): void {
    out.send.push({to: this.cfg.servers[this.server]!, msg: this.current!.req, channel: this.cfg.channel})
    out.timers.push({key: 'retry', at: now + this.cfg.retryAfter})
  }

  private complete(out: Out, result: KvResult, now: number): void {
    const op = this.current!.req.op
    this.current = null
    out.cancel.push('retry')
    const entry = completionOf(this.cfg.process, op, result, now)
    if (entry) out.events.push({type: 'history', entry})
    if (result.type === 'ok') {
      if (op.f === 'put' || op.f === 'cas') this.known.set(op.key, op.value)
      else if (op.f === 'delete') this.known.delete(op.key)
      else if (op.f === 'get') this.known.set(op.key, result.value ?? null)
    } else if (result.type === 'fail' && op.f === 'cas' && result.error === 'mismatch') {
      this.known.set(op.key, result.value ?? null)
    }
    this.completed++
    if (this.completed >= this.cfg.ops) out.events.push({type: 'done', ops: this.completed})
    else out.timers.push({key: 'next', at: now + this.think()})
  }

  private pick(): KvOp {
    const total = this.weights.reduce((a, b) => a + b, 0)
    let x = this.random.next() * total
    let i = 0
    while (i < OPS.length - 1 && x >= this.weights[i]!) x -= this.weights[i++]!
    const key = this.cfg.keys[this.random.int(this.cfg.keys.length)]!
    const value = this.cfg.process * 1_000_000 + this.nextValue++
    switch (OPS[i]!) {
      case 'get':
        return {f: 'get', key}
      case 'put':
        return {f: 'put', key, value}
      case 'cas':
        return {f: 'cas', key, expected: this.known.get(key) ?? null, value}
      case 'delete':
        return {f: 'delete', key}
    }
  }

  private think(): number {
    return -this.cfg.think * Math.log(1 - this.random.next())
  }
}

function output(): Out {
  return {send: [], timers: [], cancel: [], events: []}
}

/** A factory for hosts: `addNode('c1', {cores: {kv: kvClientFactory({process: 1, servers: ['s1']})}})`. */
export function kvClientFactory(config: KvClientConfig): (ctx: CoreContext) => KvClientCore {
  return (ctx) => new KvClientCore(ctx, config)
}
