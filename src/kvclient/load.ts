import {completionOf, historyOf, type HistoryEntry, type KvOp, type KvResult, type KvValue} from '../kv/index.js'
import {Rng} from '../random/index.js'
import type {KvClient} from './client.js'
import {LatencyHistogram} from './latency.js'

/**
 * The load generator behind `dtk kv load` (docs/kv.md, "dtk kv load"): `concurrency` workers,
 * each a Jepsen process with one operation in flight, share one client endpoint, so requests of
 * all workers are pipelined on one connection per node. Every invocation and completion goes to
 * the history as it happens.
 *
 * - Processes: worker w starts as process w. After an `info` (outcome unknown) the worker takes
 *   the next unused process number and a new session, Jepsen's rule: a process whose operation
 *   may still take effect never issues another, or the history could not say which came first.
 * - Keys: `<prefix>k0` … `<prefix>k<K-1>`, chosen uniformly; the prefix is fresh per run, so every
 *   key starts absent, as the checker assumes. Many keys keep each key's history short, which is
 *   what keeps checking cheap (the search is exponential in unknown operations per key).
 * - Values: a counter over the whole run, so every write writes a value no other write did and a
 *   read names the write it saw. A cas expects the last value this run saw for its key.
 * - Pacing: closed loop by default (each worker invokes its next operation as soon as the last
 *   completes); with `rate`, operation i is due at start + i/rate and waits for its time (open
 *   loop, as far as `concurrency` workers can keep up: the summary's rate says if they did not).
 */
export interface LoadOptions {
  /** Node ids operations go to, in turn. */
  nodes: string[]
  concurrency: number
  /** Operations to invoke in all; unlimited when absent (then `durationMs` ends the run). */
  ops?: number
  /** Stop invoking after this long (ms). */
  durationMs?: number
  /** Operations per second to aim at (open loop); closed loop when absent. */
  rate?: number
  keys: number
  keyPrefix: string
  readRatio: number
  casRatio: number
  deleteRatio?: number
  /** One operation's budget (ms); the client's default when absent. */
  timeoutMs?: number
  seed: number | string
  history?: {push(e: HistoryEntry): void; backlog?(): Promise<void> | null}
}

type F = 'read' | 'write' | 'cas'
type Counts = {ok: number; fail: number; info: number}

export interface LoadProgress {
  invoked: number
  completed: number
  ok: number
  fail: number
  info: number
  elapsedMs: number
}

export interface LoadSummary extends LoadProgress {
  /** Invoked and not completed when the run ended (an interrupt): invokes without completion in the history. */
  pending: number
  opsPerSec: number
  latencyMs: {p50: number; p90: number; p99: number; max: number; mean: number}
  byFunction: Record<F, Counts>
  /** Why operations failed or were unknown: error name → count. */
  errors: Record<string, number>
  /** Redirects followed, summed over operations. */
  redirects: number
  processes: number
  keys: number
  nodes: string[]
  interrupted: boolean
}

const F_OF: Record<KvOp['f'], F | null> = {get: 'read', put: 'write', delete: 'write', cas: 'cas', keys: null}

export class KvLoad {
  private readonly rng: Rng
  private readonly keyNames: string[]
  private readonly known = new Map<string, KvValue>()
  private readonly latency = new LatencyHistogram()
  private readonly byFunction: Record<F, Counts> = {read: {ok: 0, fail: 0, info: 0}, write: {ok: 0, fail: 0, info: 0}, cas: {ok: 0, fail: 0, info: 0}}
  private readonly errors: Record<string, number> = {}
  private readonly maxOps: number
  private readonly interval: number
  private readonly thresholds: [number, number, number]
  private t0 = 0n
  private endNs = 0
  private tickets = 0
  private invoked = 0
  private completed = 0
  private counts: Counts = {ok: 0, fail: 0, info: 0}
  private redirects = 0
  private nextProcess: number
  private nextValue = 1
  private rr = 0
  private stopped = false
  private interrupted = false
  private wake: (() => void) | null = null

  constructor(
    private readonly client: KvClient,
    private readonly opts: LoadOptions,
  ) {
    if (opts.nodes.length === 0) throw new Error('kv load: no node to send to')
    if (!(Number.isInteger(opts.concurrency) && opts.concurrency >= 1)) throw new Error('kv load: concurrency must be a whole number >= 1')
    if (opts.ops === undefined && opts.durationMs === undefined) throw new Error('kv load: give ops, a duration, or both')
    const del = opts.deleteRatio ?? 0
    for (const r of [opts.readRatio, opts.casRatio, del]) if (!(r >= 0 && r <= 1)) throw new Error('kv load: ratios lie in [0, 1]')
    if (opts.readRatio + opts.casRatio + del > 1 + 1e-9) throw new Error('kv load: read, cas and delete ratios add up to more than 1')
    this.rng = new Rng(opts.seed)
    this.keyNames = Array.from({length: opts.keys}, (_, i) => `${opts.keyPrefix}k${i}`)
    this.maxOps = opts.ops ?? Infinity
    this.interval = opts.rate ? 1e9 / opts.rate : 0
    this.thresholds = [opts.readRatio, opts.readRatio + opts.casRatio, opts.readRatio + opts.casRatio + del]
    this.nextProcess = opts.concurrency
  }

  /** Runs to the end (ops done, duration over) or until `stop()`; never rejects for a failed operation. */
  async run(): Promise<LoadSummary> {
    this.t0 = process.hrtime.bigint()
    const workers = Array.from({length: this.opts.concurrency}, (_, w) => this.worker(w))
    const stoppedEarly = new Promise<void>((r) => (this.wake = r))
    await Promise.race([Promise.all(workers), stoppedEarly])
    this.stopped = true
    if (this.endNs === 0) this.endNs = this.now()
    return this.summary()
  }

  /** Ctrl-C: stop at once. Operations in flight stay invokes without completion. */
  stop(): void {
    if (this.stopped) return
    this.interrupted = true
    this.stopped = true
    this.endNs = this.now()
    this.wake?.()
  }

  progress(): LoadProgress {
    return {invoked: this.invoked, completed: this.completed, ...this.counts, elapsedMs: (this.endNs || this.now()) / 1e6}
  }

  private now(): number {
    return Number(process.hrtime.bigint() - this.t0)
  }

  private async worker(w: number): Promise<void> {
    let proc = w
    let session = this.client.session(`p${proc}`)
    const deadline = this.opts.durationMs === undefined ? Infinity : this.opts.durationMs * 1e6
    const history = this.opts.history
    const nodes = this.opts.nodes
    while (!this.stopped) {
      if (this.tickets >= this.maxOps) break
      const ticket = this.tickets++
      if (this.interval > 0) {
        // A timer may fire a little early (it counts whole ms of loop time): sleep until less than 1 ms is left.
        for (let wait = ticket * this.interval - this.now(); wait >= 1e6 && !this.stopped; wait = ticket * this.interval - this.now()) {
          await new Promise((r) => setTimeout(r, Math.ceil(wait / 1e6)))
        }
        if (this.stopped) break
      }
      if (history?.backlog) {
        const behind = history.backlog()
        if (behind) await behind
      }
      if (this.now() >= deadline || this.stopped) break
      const op = this.pick()
      const f = F_OF[op.f]!
      const node = nodes.length === 1 ? nodes[0]! : nodes[this.rr++ % nodes.length]!
      const t1 = this.now()
      this.invoked++
      if (history) {
        const h = historyOf(op)!
        history.push({process: proc, type: 'invoke', f: h.f, key: h.key, value: h.value, time: t1})
      }
      const res = await this.client.call(session, op, node, this.opts.timeoutMs)
      if (this.stopped && this.interrupted) return
      const t2 = this.now()
      const o = res.outcome
      const entry = completionOf(proc, op, o as KvResult, t2)!
      if (history) history.push(entry)
      this.latency.record(t2 - t1)
      this.completed++
      this.counts[o.type]++
      this.byFunction[f][o.type]++
      this.redirects += res.hops
      if (o.type !== 'ok') this.errors[o.error] = (this.errors[o.error] ?? 0) + 1
      this.learn(op, o)
      if (t2 > this.endNs) this.endNs = t2
      // A cas refused before comparing is `info` in the history (src/kv/history.ts): its process ends there too.
      if (o.type === 'info' || entry.type === 'info') {
        proc = this.nextProcess++
        session = this.client.session(`p${proc}`)
      }
    }
  }

  private pick(): KvOp {
    const key = this.keyNames[this.rng.int(this.keyNames.length)]!
    const x = this.rng.next()
    const [read, cas, del] = this.thresholds
    if (x < read) return {f: 'get', key}
    if (x < cas) return {f: 'cas', key, expected: this.known.get(key) ?? null, value: this.nextValue++}
    if (x < del) return {f: 'delete', key}
    return {f: 'put', key, value: this.nextValue++}
  }

  /** The last value seen per key, for the next cas to expect. */
  private learn(op: KvOp, o: {type: string; value?: KvValue; error?: string}): void {
    if (op.f === 'keys') return
    if (o.type === 'ok') {
      if (op.f === 'get') this.known.set(op.key, o.value ?? null)
      else if (op.f === 'delete') this.known.delete(op.key)
      else this.known.set(op.key, op.value)
    } else if (o.type === 'fail' && op.f === 'cas' && o.error === 'mismatch') {
      this.known.set(op.key, o.value ?? null)
    }
  }

  private summary(): LoadSummary {
    const p = this.progress()
    const ms = (ns: number) => ns / 1e6
    const secs = p.elapsedMs / 1000
    return {
      ...p,
      pending: p.invoked - p.completed,
      opsPerSec: secs > 0 ? p.completed / secs : 0,
      latencyMs: {
        p50: ms(this.latency.quantile(0.5)),
        p90: ms(this.latency.quantile(0.9)),
        p99: ms(this.latency.quantile(0.99)),
        max: ms(this.latency.max),
        mean: ms(this.latency.mean()),
      },
      byFunction: this.byFunction,
      errors: this.errors,
      redirects: this.redirects,
      processes: this.nextProcess,
      keys: this.keyNames.length,
      nodes: this.opts.nodes,
      interrupted: this.interrupted,
    }
  }
}
