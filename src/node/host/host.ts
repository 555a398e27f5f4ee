import {join} from 'node:path'
import {unpack} from 'msgpackr'
import type {Core, Recovered} from '../../core/index.js'
import {Rng} from '../../random/index.js'
import type {DropReason, TraceSink, TraceWriter} from '../../trace/index.js'
import {UdpEndpoint, type IncomingContext, type StreamBreak} from '../../transport/index.js'
import {ClientRequests, DEFAULT_CLIENT_LIMITS, reqOf} from './clients.js'
import {HostClocks} from './clock.js'
import {datagramEnvelopeBytes, isCoreName, parseDatagram, parseStream} from './envelope.js'
import {beginLife, type Identity} from './identity.js'
import {HostOutputs} from './outputs.js'
import {RejectLog} from './rejects.js'
import {CoreSlot} from './slot.js'
import {HostTracer} from './tracer.js'
import type {HostHooks, HostOptions, HostedComposition} from './types.js'

const EMPTY: Recovered = {snapshot: null, records: [], truncatedBytes: 0}

/** Client endpoints name themselves `client-…` (docs/architecture.md, Client requests): never members. */
export function isClientId(id: string): boolean {
  return id.startsWith('client-')
}

/** A real node's trace is written at least this often (and whenever 64 KiB are gathered). */
const TRACE_FLUSH_MS = 1000

/** How a transport's break reason reads in a trace's drop records. */
const LOST_REASON: Record<StreamBreak['reason'], DropReason> = {
  lost: 'stream-broken',
  fault: 'stream-broken',
  stalled: 'partition',
  unreachable: 'receiver-down',
  'peer-changed': 'receiver-down',
}
const BREAK_CAUSE = {lost: 'crash', fault: 'fault', stalled: 'partition', unreachable: 'refused', 'peer-changed': 'refused'} as const

/**
 * The one host that drives sans-IO cores on real processes (docs/architecture.md, The node
 * host): a composition of named cores on the node's transport (streams over TCP) and a UDP
 * socket (datagrams), real timers on each core's clock, a seeded Random per core, a DurableLog
 * per durable core, client requests held open until the core answers, and an optional trace.
 * The simulator (src/sim) is the other host of the same contract; the two must agree.
 *
 * Life: `new NodeHost(…)`, `bind()` (the UDP socket, so a role knows its address), `start()`
 * (the identity file, the logs, then the cores in order), `stop()`.
 */
export class NodeHost extends HostOutputs {
  readonly rejects: RejectLog
  /** The node's clocks; `wall` is the `t` of its trace records. */
  clocks: HostClocks = new HostClocks(Date.now(), Date.now())
  identity: Identity | null = null
  readonly seed: number
  private started = false
  private writer: TraceWriter | null = null
  private flushTimer: NodeJS.Timeout | null = null
  private readonly comp: HostedComposition

  constructor(opts: HostOptions, comp: HostedComposition, hooks: HostHooks = {}) {
    super(opts, hooks, comp.route ?? null, new ClientRequests({...DEFAULT_CLIENT_LIMITS, ttlMs: opts.transport.requestTimeoutMs, ...opts.clients}))
    this.comp = comp
    // Not a core: the host may draw its seed from Math.random (it is logged, so a run can be replayed).
    this.seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31)
    Object.entries(comp.cores).forEach(([name, spec], index) => {
      if (!isCoreName(name)) throw new Error(`core name '${name}' must be 1–32 letters, digits, '_' or '-'`)
      const slot = new CoreSlot(name, index, spec, this.clocks.node)
      this.slots.push(slot)
      this.byName.set(name, slot)
    })
    const type = opts.rejectEvent ?? 'node.rejected'
    this.rejects = new RejectLog((fields) => opts.events.emit(type, fields))
  }

  /** The core serving clients, if the role names one. */
  get clientCore(): string | undefined {
    return this.comp.clientCore
  }

  /** Core `name` of this life (for a role's status and control), or undefined before the start. */
  core<T = Core<unknown, unknown, unknown>>(name: string): T | undefined {
    return (this.byName.get(name)?.core ?? undefined) as T | undefined
  }

  /** Bytes a datagram envelope from this node adds to a message of core `core`, seal included. */
  datagramOverhead(core: string): number {
    const ring = this.opts.keyring?.()
    return datagramEnvelopeBytes(this.id, core) + (ring ? ring.seal(Buffer.alloc(0)).length : 0)
  }

  get maxDatagramBytes(): number {
    return this.udp?.maxDatagramBytes ?? 1400
  }

  /** Binds the UDP socket (when the role sends datagrams) on the transport's port number, as memberlist does. */
  async bind(): Promise<void> {
    const t = this.opts.transport
    t.onMessage((msg, ctx) => this.onStream(msg, ctx))
    t.onStreamBroken((peer, info) => this.onBreak(peer, info))
    if (!this.opts.datagrams) return
    const ring = this.opts.keyring
    const seal = ring?.() ? (b: Buffer) => ring()!.seal(b) : undefined
    const open = ring?.()
      ? (b: Buffer) => {
          const plain = ring()!.open(b)
          if (plain === null) this.rejects.add('unopened')
          return plain
        }
      : undefined
    this.udp = await UdpEndpoint.bind({
      id: this.id,
      host: t.address.host,
      port: t.address.port,
      faults: t.faults,
      seal,
      open,
      log: (level, msg, fields) => {
        if (level === 'warn' || level === 'error') this.opts.events.emit(`node.udp-${level}`, {msg, ...fields})
      },
    })
    this.udp.onMessage((raw, from) => this.onDatagram(raw, from))
  }

  /**
   * Starts this life: the identity file (restart count), the trace, each durable core's log
   * (a corrupt one stops the start, naming the file and offset), then the cores in order.
   */
  async start(): Promise<void> {
    const id = (this.identity = beginLife(this.opts.dataDir, this.id))
    this.clocks = new HostClocks(id.bootWall, id.origin)
    for (const s of this.slots) s.now = this.clocks.of(s.spec.clock ?? 'node')
    this.seqBase = id.restarts * 2 ** 32
    // Lamport clocks start above every earlier life's: from the wall clock in microseconds.
    this.lc = Math.floor(this.clocks.wall() * 1000)
    await this.openTrace()
    // Loaded only by nodes that persist: a node's memory is mostly the code it loaded (docs/architecture.md, Memory).
    const storage = this.slots.some((s) => s.spec.durable) ? await import('../../storage/index.js') : null
    const recovered: Recovered[] = []
    for (const s of this.slots) {
      if (!s.spec.durable) {
        recovered.push(EMPTY)
        continue
      }
      try {
        const opened = await storage!.DurableLog.open(join(this.opts.dataDir, s.name), {...this.opts.storage, name: s.name})
        s.log = opened.log
        recovered.push(opened.recovered)
      } catch (error) {
        if (error instanceof storage!.CorruptLogError) {
          this.tracer?.record({k: 'start-failed', t: this.clocks.wall(), node: this.id, core: s.name, reason: 'corrupt', file: error.file, offset: error.offset})
          this.opts.events.emit('node.start-failed', {core: s.name, file: error.file, offset: error.offset, reason: error.reason})
        }
        await this.stop()
        throw error
      }
    }
    const root = new Rng(this.seed)
    const many = this.slots.length > 1
    for (const s of this.slots) {
      const label = `node:${this.id}#${id.restarts}` + (many ? `/${s.name}` : '')
      s.core = s.spec.factory({id: this.id, random: root.fork(label), now: s.now(), restarts: id.restarts, core: s.name})
    }
    const tr = this.tracer
    if (tr !== null) {
      const rec: Record<string, {snapshot: boolean; records: number; truncatedBytes: number}> = {}
      this.slots.forEach((s, i) => (rec[s.name] = {snapshot: recovered[i]!.snapshot !== null, records: recovered[i]!.records.length, truncatedBytes: recovered[i]!.truncatedBytes}))
      tr.record({k: id.restarts === 0 ? 'start' : 'restart', t: tr.t(), lt: this.clocks.node(), node: this.id, restarts: id.restarts, recovered: rec})
    }
    this.started = true
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i]!
      if (s.core !== null) this.apply(s, s.core.start(s.now(), recovered[i]))
    }
    this.drain()
  }

  private async openTrace(): Promise<void> {
    const t = this.opts.trace
    if (t === undefined) return
    let sink: TraceSink
    if (typeof t === 'string') {
      const {TraceWriter} = await import('../../trace/writer.js')
      this.writer = new TraceWriter(t, {append: true})
      sink = this.writer
      // Buffered, but never for long: a node killed with SIGKILL loses at most the last second of
      // its trace. Not shorter: each flush is a write through the thread pool, and at gossip's
      // message rate those dominated what tracing cost a node (docs/trace.md).
      this.flushTimer = setInterval(() => this.writer?.flush(), TRACE_FLUSH_MS).unref()
    } else sink = t
    this.tracer = new HostTracer(sink, this.id, this.clocks.wall)
  }

  /** Hands a local command (the operator's) to core `name`; false when it takes none. */
  command(name: string, cmd: unknown): boolean {
    const s = this.byName.get(name)
    const core = s?.core
    if (!s || !core?.command || this.stopped) return false
    const now = s.now()
    if (this.tracer !== null) this.tracer.record({k: 'command', t: this.tracer.t(), lt: now, node: this.id, core: name, cmd})
    this.apply(s, core.command(cmd, now))
    this.drain()
    return true
  }

  // ---- inputs ------------------------------------------------------------------------------------

  private onDatagram(raw: unknown, from: {host: string; port: number}): void {
    if (!this.started || this.stopped) return
    const env = parseDatagram(raw)
    if (env === null) return this.rejects.add('envelope')
    const [sender, core, seq, lc, msg] = env
    const s = this.byName.get(core)
    if (s === undefined) {
      this.rejects.add('no-core', sender)
      return this.traceDropHere(core, sender, seq, 'datagram', 'receiver-down')
    }
    this.heard({id: sender, host: from.host, port: from.port})
    this.deliver(s, sender, seq, lc, msg, 'datagram')
  }

  private onStream(raw: unknown, ctx: IncomingContext): void {
    if (!this.started || this.stopped) return
    const env = parseStream(raw)
    if (env === null || ctx.control || isClientId(ctx.from)) return this.rejects.add('envelope', ctx.from)
    const [core, seq, lc, body] = env
    let msg = body
    const ring = this.opts.keyring?.()
    if (ring) {
      if (!(body instanceof Uint8Array)) return this.rejects.add('unsealed', ctx.from)
      const plain = ring.open(Buffer.from(body.buffer, body.byteOffset, body.byteLength))
      if (plain === null) return this.rejects.add('unopened', ctx.from)
      try {
        msg = unpack(plain)
      } catch {
        return this.rejects.add('unopened', ctx.from)
      }
    }
    const s = this.byName.get(core)
    if (s === undefined) {
      this.rejects.add('no-core', ctx.from)
      return this.traceDropHere(core, ctx.from, seq, 'stream', 'receiver-down')
    }
    this.deliver(s, ctx.from, seq, lc, msg, 'stream')
  }

  /** A message from `from` passed the envelope: validated, then handed to the core. */
  private deliver(s: CoreSlot, from: string, seq: number, lc: number, raw: unknown, ch: 'datagram' | 'stream'): void {
    const core = s.core
    if (core === null) return
    let msg = raw
    const validate = s.spec.validate
    if (validate !== undefined) {
      const v = validate(raw)
      if (!v.ok) return this.rejects.add(v.reason, from)
      msg = v.msg
    }
    this.lc = (lc > this.lc ? lc : this.lc) + 1
    const now = s.now()
    const tr = this.tracer
    if (tr !== null) {
      const dup = ch === 'datagram' && tr.isDuplicate(from, seq)
      tr.record({k: 'deliver', t: tr.t(), lt: now, node: this.id, core: s.name, id: `${from}:${seq}`, from, ch, lc: this.lc, ...(dup ? {dup: true as const} : {})})
    }
    this.counters.messagesIn++
    this.hooks.received?.(s.name, from, msg)
    let out
    try {
      out = core.receive(from, msg, now)
    } catch (error) {
      // Validated input must never make a core throw; should one, the node lives on and says so.
      this.rejects.add('core-error', from)
      this.opts.events.emit('node.core-error', {core: s.name, from, error: String(error).slice(0, 200)})
      return
    }
    this.apply(s, out)
    this.hooks.afterReceive?.(s.name)
    this.drain()
  }

  /**
   * A client request (`{op: 'client', core, msg}`, docs/architecture.md): answered with the
   * core's reply once released, or at once with `fail: bad-request` / `full` when it cannot
   * reach the core (a REMOTE_ERROR when the message has no readable `req` to answer).
   */
  clientRequest(from: string, request: unknown): Promise<unknown> | unknown {
    const r = (typeof request === 'object' && request !== null ? request : {}) as {core?: unknown; msg?: unknown}
    const req = reqOf(r.msg)
    const refuse = (error: 'bad-request' | 'full', message: string): unknown => {
      this.rejects.add(error === 'full' ? 'full' : 'envelope', from)
      if (req === undefined) throw new Error(`${error}: ${message}; the request reached no core`)
      return {type: 'kv.res', req, result: {type: 'fail', error, message}}
    }
    if (!isCoreName(r.core)) return refuse('bad-request', 'a client request is {op: "client", core, msg}')
    const s = this.byName.get(r.core)
    if (s === undefined || s.core === null) return refuse('bad-request', `node ${this.id} runs no core '${r.core}' (it runs ${this.slots.map((x) => x.name).join(', ') || 'none'})`)
    if (!this.started || this.stopped) return refuse('bad-request', `node ${this.id} is ${this.stopped ? 'stopping' : 'starting'}`)
    let msg = r.msg
    if (s.spec.validate) {
      const v = s.spec.validate(msg)
      if (!v.ok) return refuse('bad-request', `refused before reaching core '${s.name}': ${v.reason}`)
      msg = v.msg
    }
    const held = this.clients.hold(from, msg)
    if (held === null) return refuse('full', `more than ${this.clients.limits.maxPending} requests wait on node ${this.id}, or ${this.clients.limits.maxPerClient} of this client's`)
    const now = s.now()
    this.lc++
    const tr = this.tracer
    if (tr !== null) tr.record({k: 'deliver', t: tr.t(), lt: now, node: this.id, core: s.name, id: `${from}:${this.id}.${this.nextId()}`, from, ch: 'stream', lc: this.lc})
    this.counters.messagesIn++
    this.hooks.received?.(s.name, from, msg)
    this.apply(s, s.core.receive(from, msg, now))
    this.drain()
    return held
  }

  private onBreak(peer: string, info: StreamBreak): void {
    if (info.control || isClientId(peer) || !this.started || this.stopped) return
    const tr = this.tracer
    if (tr !== null) {
      if (info.direction === 'outbound') tr.lostOnBreak(peer, info.lostMessages, LOST_REASON[info.reason])
      const t = tr.t()
      for (const s of this.slots) tr.record({k: 'break', t, node: this.id, peer, core: s.name, conn: tr.conn(peer), cause: BREAK_CAUSE[info.reason], reason: info.reason, direction: info.direction})
    }
    for (const s of this.slots) {
      const core = s.core
      if (core === null || typeof core.streamBroken !== 'function') continue
      const now = s.now()
      if (tr !== null) tr.record({k: 'stream-broken', t: tr.t(), lt: now, node: this.id, peer, core: s.name, conn: tr.conn(peer)})
      this.apply(s, core.streamBroken(peer, now))
    }
    this.drain()
  }

  protected fatal(slot: CoreSlot, error: Error): void {
    if (this.stopped) return
    this.opts.events.emit('node.fatal', {core: slot.name, error: error.message})
    process.stderr.write(`Error: node ${this.id}: core '${slot.name}' could not persist: ${error.message}\n`)
    this.opts.onFatal?.(error)
  }

  // ---- inspection and the end ----------------------------------------------------------------

  status(): Record<string, unknown> {
    const cores: Record<string, unknown> = {}
    for (const s of this.slots) {
      cores[s.name] = {durable: Boolean(s.spec.durable), held: s.pending.length, timers: s.timers.size, ...(s.log ? {log: {...s.log.stats, persisting: s.written - s.durable}} : {})}
    }
    return {
      restarts: this.identity?.restarts ?? 0,
      seed: this.seed,
      cores,
      ...this.counters,
      rejects: this.rejectCounts(),
      clients: {pending: this.clients.size, answered: this.clients.answered, unanswered: this.clients.unanswered, expired: this.clients.expired},
      ...(this.udp ? {udp: this.udp.stats()} : {}),
    }
  }

  /** The UDP endpoint's counters (undefined for a role without datagrams). */
  udpStats(): ReturnType<UdpEndpoint['stats']> | undefined {
    return this.udp?.stats()
  }

  /**
   * Inputs dropped before any core, by reason: the host's and the validators' (rejects.ts), and
   * `undecodable`, datagrams the UDP endpoint could not decode (it counts those it could not
   * open too, which the host counted as `unopened`).
   */
  rejectCounts(): Record<string, number> {
    const out = {...this.rejects.counts}
    const undecodable = (this.udp?.stats().badDatagrams ?? 0) - (out.unopened ?? 0)
    if (undecodable > 0) out.undecodable = undecodable
    return out
  }

  /** Sizes of the host's own tables (for tests that check they stay bounded). */
  tableSizes(): {timers: number; held: number; clients: number} {
    let timers = 0
    let held = 0
    for (const s of this.slots) {
      timers += s.timers.size
      held += s.pending.length
    }
    return {timers, held, clients: this.clients.size}
  }

  /** Stops timers and inputs, fails waiting client requests, waits for the logs, closes UDP and the trace. */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    for (const s of this.slots) {
      for (const t of s.timers.values()) clearTimeout(t)
      s.timers.clear()
    }
    this.clients.failAll(`node ${this.id} stopped before the core answered; the outcome is unknown`)
    this.rejects.flush()
    this.rejects.stop()
    await this.udp?.close()
    for (const s of this.slots) await s.log?.close()
    if (this.flushTimer) clearInterval(this.flushTimer)
    await this.writer?.close()
  }
}
