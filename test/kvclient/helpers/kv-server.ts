import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {saveState, type ClusterState} from '../../../src/cluster/state.js'
import {KvCore, type KvValue} from '../../../src/kv/index.js'
import {Transport, type IncomingContext} from '../../../src/transport/index.js'

/**
 * A test double of a node that serves KV clients per the client contract (/work/wt/CONTRACT-
 * client.md, docs/kv.md): a real transport endpoint that answers `{op: 'client', core, msg}`
 * requests with a real KvCore (src/kv/store.ts), applying its outputs at once (no disk), and
 * `status` from control endpoints with `roleStatus.clientCore`. Variants:
 * - `staleReadsMs`: a broken server that answers gets from a copy of its data refreshed only
 *   every so often (a follower read without a lease, a cache): its histories are not linearizable;
 * - `redirectTo`: answers every client request "not here, try <node>" (fail with a redirect);
 * - `drop`: a predicate on the request's number; requests it picks are never answered (the
 *   client's timeout: outcome unknown), though writes among them ARE applied first.
 */
export interface KvDoubleOptions {
  id?: string
  port?: number
  core?: string
  staleReadsMs?: number
  redirectTo?: string
  drop?: (n: number) => boolean
  /** Answer with this instead (a handler that throws gives REMOTE_ERROR). */
  answer?: (msg: Record<string, unknown>, ctx: IncomingContext) => unknown
}

export interface Seen {
  from: string
  core: unknown
  client: string
  req: number
  f: string
}

export class KvDouble {
  readonly core: KvCore
  /** Every client request, as received. */
  readonly seen: Seen[] = []
  private lagged = new Map<string, KvValue>()
  private timers: NodeJS.Timeout[] = []

  private constructor(
    readonly transport: Transport,
    readonly opts: KvDoubleOptions,
  ) {
    this.core = new KvCore(transport.id)
    this.core.start(performance.now())
  }

  static async start(opts: KvDoubleOptions = {}): Promise<KvDouble> {
    const t = await Transport.listen({id: opts.id ?? 'n1', port: opts.port ?? 0, requestTimeoutMs: 5000})
    const d = new KvDouble(t, opts)
    t.onRequest((msg, ctx) => d.handle(msg, ctx))
    if (opts.staleReadsMs) {
      const refresh = setInterval(() => (d.lagged = new Map(d.core.entries())), opts.staleReadsMs)
      d.timers.push(refresh)
    }
    return d
  }

  get id(): string {
    return this.transport.id
  }

  get address(): {host: string; port: number} {
    return this.transport.address
  }

  get coreName(): string {
    return this.opts.core ?? 'kv'
  }

  private handle(msg: unknown, ctx: IncomingContext): unknown {
    const m = (typeof msg === 'object' && msg !== null ? msg : {}) as Record<string, unknown>
    if (m.op === 'status') {
      if (!ctx.control) throw new Error(`control op 'status' refused from peer ${ctx.from}`)
      return {id: this.id, role: 'kv-local', roleStatus: {clientCore: this.coreName}}
    }
    if (m.op !== 'client') throw new Error(`unknown op '${String(m.op)}'`)
    const inner = (typeof m.msg === 'object' && m.msg !== null ? m.msg : {}) as {client?: unknown; req?: unknown; op?: {f?: unknown; key?: unknown}}
    const req = typeof inner.req === 'number' ? inner.req : undefined
    this.seen.push({from: ctx.from, core: m.core, client: String(inner.client), req: req ?? -1, f: String(inner.op?.f)})
    if (this.opts.answer) return this.opts.answer(m, ctx)
    if (m.core !== this.coreName) {
      if (req === undefined) throw new Error('bad-request: a client request without a req')
      return {type: 'kv.res', req, result: {type: 'fail', error: 'bad-request', message: `this node runs no core named '${String(m.core)}'`}}
    }
    if (this.opts.redirectTo !== undefined && req !== undefined) return {type: 'kv.res', req, result: {type: 'fail', error: 'not-leader', redirect: this.opts.redirectTo}}
    if (this.opts.staleReadsMs && req !== undefined && inner.op?.f === 'get' && typeof inner.op.key === 'string') {
      return {type: 'kv.res', req, result: {type: 'ok', value: this.lagged.get(inner.op.key) ?? null}}
    }
    const out = this.core.receive(ctx.from, m.msg as never, performance.now())
    const reply = out.send.find((e) => e.to === ctx.from && (e.msg as {req?: unknown}).req === req)
    if (reply && !(req !== undefined && this.opts.drop?.(req))) return reply.msg
    // Never answered (a stale duplicate, or dropped): the client's own timeout ends it. The host
    // forgets a pending entry after a while; so does this double.
    return new Promise((_, reject) => {
      const t = setTimeout(() => reject(new Error('no answer')), 10_000)
      t.unref()
    })
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t)
    await this.transport.close()
  }
}

/** Records a cluster whose nodes are these doubles (as nodes added by address), for the CLI. */
export function recordCluster(stateDir: string, name: string, nodes: Array<{id: string; address: {host: string; port: number}}>, role = 'kv-local'): void {
  const dir = join(stateDir, name)
  mkdirSync(dir, {recursive: true})
  const state: ClusterState = {
    version: 1,
    name,
    createdAt: Date.now(),
    nodes: nodes.map((n) => ({id: n.id, host: n.address.host, port: n.address.port, role, dataDir: join(dir, n.id), remote: true})),
    partition: null,
    linkFaults: {},
  }
  saveState(dir, state)
}
