import {pack} from 'msgpackr'
import type {DurableRecord, Envelope, Output, Route} from '../../core/index.js'
import type {DropReason} from '../../trace/index.js'
import {TransportError, type PeerAddress, type UdpEndpoint} from '../../transport/index.js'
import type {ClientRequests} from './clients.js'
import type {CoreSlot} from './slot.js'
import type {HostTracer} from './tracer.js'
import type {HostHooks, HostOptions} from './types.js'

/** Addresses kept for peers the role cannot place (datagram senders), beyond the seeds. */
const MAX_STRANGERS = 256

export interface HostCounters {
  /** Messages cores sent (once released) and messages handed to cores. */
  messagesOut: number
  messagesIn: number
  /** Not sent: no address for the peer; too large for a datagram even split; refused by the transport. */
  unroutable: number
  oversize: number
  sendFailed: number
  /** Datagrams too large for one, sent as two. */
  splits: number
}

/**
 * The outputs half of the node host: the Ready rule of src/core, applied exactly as the
 * simulator applies it (src/sim/nodes.ts). `cancel` and `timers` at once; `persist` to the
 * core's DurableLog; `send` and `events` released only once that output's records and every
 * earlier output's of the same core are durable, in the order the core produced them; events
 * routed to the node's other cores as commands, after the current input. A core that never
 * persists takes the direct path: no promise, no copy.
 */
export abstract class HostOutputs {
  readonly id: string
  readonly counters: HostCounters = {messagesOut: 0, messagesIn: 0, unroutable: 0, oversize: 0, sendFailed: 0, splits: 0}
  protected readonly slots: CoreSlot[] = []
  protected readonly byName = new Map<string, CoreSlot>()
  protected tracer: HostTracer | null = null
  protected udp: UdpEndpoint | null = null
  protected stopped = false
  /** Message ids: `<node>:<seqBase + n>`; the base grows with every start (identity.ts). */
  protected seqBase = 0
  protected seqN = 0
  /** The node's Lamport clock. */
  protected lc = 0
  /** Records handed to any core's log in this life (a trace's `upTo`). */
  private recordsWritten = 0
  private readonly routed: Array<{slot: CoreSlot; cmd: unknown; from: string}> = []
  private draining = false
  /** Where peers are, for roles that place none themselves: the seeds, then datagram senders. */
  private readonly book = new Map<string, PeerAddress>()
  private readonly seeds: Set<string>

  constructor(
    protected readonly opts: HostOptions,
    protected readonly hooks: HostHooks,
    protected readonly route: Route | null,
    protected readonly clients: ClientRequests,
  ) {
    this.id = opts.id
    this.seeds = new Set(opts.seedPeers.map((p) => p.id))
    for (const p of opts.seedPeers) this.book.set(p.id, p)
  }

  /** Persisting failed: the node cannot go on (its memory is ahead of its disk). */
  protected abstract fatal(slot: CoreSlot, error: Error): void

  // ---- the Ready rule --------------------------------------------------------------------------

  protected apply(slot: CoreSlot, out: Output<unknown, unknown>): void {
    const cancel = out.cancel
    for (let i = 0; i < cancel.length; i++) {
      const t = slot.timers.get(cancel[i]!)
      if (t !== undefined) {
        clearTimeout(t)
        slot.timers.delete(cancel[i]!)
      }
    }
    const timers = out.timers
    for (let i = 0; i < timers.length; i++) this.setTimer(slot, timers[i]!.key, timers[i]!.at)
    const persist = out.persist
    if (persist !== undefined && persist.length > 0) this.persist(slot, persist)
    if (out.send.length === 0 && out.events.length === 0) return
    if (slot.pending.length === 0 && slot.durable === slot.written) this.emit(slot, out.send, out.events)
    // Held until durable: copied, since the core may reuse its arrays on the next call.
    else slot.pending.push({send: out.send.slice(), events: out.events.slice(), upTo: slot.written})
  }

  protected setTimer(slot: CoreSlot, key: string, at: number): void {
    const old = slot.timers.get(key)
    if (old !== undefined) clearTimeout(old)
    const delay = at - slot.now()
    slot.timers.set(key, setTimeout(() => this.fire(slot, key, at), delay > 0 ? delay : 0))
  }

  /** A timer fell due (Node may run it a fraction of a millisecond early: then it waits the rest). */
  private fire(slot: CoreSlot, key: string, at: number): void {
    slot.timers.delete(key)
    if (this.stopped || slot.core === null) return
    const now = slot.now()
    if (now < at) {
      slot.timers.set(key, setTimeout(() => this.fire(slot, key, at), Math.ceil(at - now)))
      return
    }
    if (this.tracer !== null) this.tracer.record({k: 'timer', t: this.tracer.t(), lt: now, node: this.id, core: slot.name, key})
    this.apply(slot, slot.core.tick(key, now))
    this.drain()
  }

  private persist(slot: CoreSlot, recs: readonly DurableRecord[]): void {
    const log = slot.log
    if (log === null) throw new Error(`core '${slot.name}' persisted records, but its role did not declare it durable`)
    const upTo = ++slot.written
    this.recordsWritten += recs.length
    const tr = this.tracer
    let t0 = 0
    if (tr !== null) {
      let bytes = 0
      let snapshot = false
      for (const r of recs) {
        bytes += r.data.length
        if (r.type === 'snapshot') snapshot = true
      }
      tr.record({k: 'persist', t: (t0 = tr.t()), lt: slot.now(), node: this.id, core: slot.name, records: recs.length, bytes, upTo: this.recordsWritten, ...(snapshot ? {snapshot: true as const} : {})})
    }
    const nodeUpTo = this.recordsWritten
    log.persist(recs).then(
      () => {
        slot.durable = upTo
        if (tr !== null) {
          const t = tr.t()
          tr.record({k: 'synced', t, node: this.id, upTo: nodeUpTo, records: recs.length, latency: t - t0})
        }
        this.release(slot)
        this.drain()
      },
      (error: Error) => this.fatal(slot, error),
    )
  }

  /** Releases every held output of `slot` that is durable now, in order. */
  private release(slot: CoreSlot): void {
    if (this.stopped || slot.core === null) return
    const q = slot.pending
    let n = 0
    while (n < q.length && q[n]!.upTo <= slot.durable) n++
    if (n === 0) return
    for (const h of q.splice(0, n)) this.emit(slot, h.send, h.events)
  }

  /** Sends the messages and reports the events of one released output. */
  private emit(slot: CoreSlot, send: Envelope<unknown>[], events: unknown[]): void {
    for (let i = 0; i < send.length; i++) this.transmit(slot, send[i]!)
    if (events.length === 0) return
    const tr = this.tracer
    for (let i = 0; i < events.length; i++) {
      const e = events[i]
      if (tr !== null) tr.record({k: 'event', t: tr.t(), lt: slot.now(), node: this.id, core: slot.name, event: e})
      this.hooks.event?.(slot.name, e)
      if (this.route === null) continue
      const routed = this.route(slot.name, e)
      if (!routed) continue
      for (const r of routed) {
        const target = this.byName.get(r.core)
        if (!target) throw new Error(`node '${this.id}' routes to core '${r.core}', which it does not run`)
        this.routed.push({slot: target, cmd: r.cmd, from: slot.name})
      }
    }
  }

  /** Hands routed commands to their cores, after the input that produced them, in order. */
  protected drain(): void {
    if (this.draining || this.routed.length === 0) return
    this.draining = true
    try {
      for (let i = 0; i < this.routed.length; i++) {
        const {slot, cmd, from} = this.routed[i]!
        const core = slot.core
        if (this.stopped || core === null || !core.command) continue
        const now = slot.now()
        if (this.tracer !== null) this.tracer.record({k: 'command', t: this.tracer.t(), lt: now, node: this.id, core: slot.name, from, cmd})
        this.apply(slot, core.command(cmd, now))
      }
    } finally {
      this.routed.length = 0
      this.draining = false
    }
  }

  // ---- the wire --------------------------------------------------------------------------------

  protected nextId(): number {
    return this.seqBase + ++this.seqN
  }

  private transmit(slot: CoreSlot, env: Envelope<unknown>): void {
    const to = env.to
    const tr = this.tracer
    if (this.clients.waiting(to)) {
      // A client's request: the answer goes back on its RPC.
      const seq = this.nextId()
      const lc = ++this.lc
      this.counters.messagesOut++
      if (tr !== null) tr.record({k: 'send', t: tr.t(), lt: slot.now(), node: this.id, core: slot.name, id: `${this.id}:${seq}`, to, ch: 'stream', lc, bytes: env.bytes ?? 0, msg: env.msg})
      if (!this.clients.answer(to, env.msg) && tr !== null) tr.drop(to, slot.name, `${this.id}:${seq}`, this.id, 'stream', 'receiver-down')
      return
    }
    const addr = this.addressOf(to)
    if (addr === undefined) {
      this.counters.unroutable++
      this.hooks.unroutable?.(slot.name, to)
      return
    }
    this.counters.messagesOut++
    this.hooks.sent?.(slot.name, env)
    if (env.channel === 'stream') this.sendStream(slot, addr, env)
    else if (!this.sendDatagram(slot, addr, env.msg, env.bytes ?? 0)) {
      this.counters.oversize++
      this.hooks.oversize?.(slot.name, to, env.msg)
    }
  }

  private sendStream(slot: CoreSlot, addr: PeerAddress, env: Envelope<unknown>): void {
    const seq = this.nextId()
    const lc = ++this.lc
    const tr = this.tracer
    let id = ''
    if (tr !== null) {
      id = `${this.id}:${seq}`
      tr.record({k: 'send', t: tr.t(), lt: slot.now(), node: this.id, core: slot.name, id, to: addr.id, ch: 'stream', lc, bytes: env.bytes ?? 0, conn: tr.conn(addr.id), msg: env.msg})
    }
    const ring = this.opts.keyring?.()
    try {
      this.opts.transport.send(addr, [slot.name, seq, lc, ring ? ring.seal(pack(env.msg)) : env.msg])
      if (tr !== null) tr.noteStream(addr.id, id, slot.name)
    } catch (error) {
      // Never sent (a full queue toward a peer that does not drain, a frame too large): lost, as
      // a broken stream loses it. Cores that need it retry on their own schedule.
      this.counters.sendFailed++
      if (tr !== null) tr.drop(addr.id, slot.name, id, this.id, 'stream', 'receiver-down')
      if (!(error instanceof TransportError)) throw error
    }
  }

  /** One datagram per message; one that does not fit is split by the core's spec. False: not sent. */
  private sendDatagram(slot: CoreSlot, addr: PeerAddress, msg: unknown, bytes: number): boolean {
    const udp = this.udp
    if (udp === null) throw new Error(`core '${slot.name}' sent a datagram, but its role binds no UDP socket`)
    const seq = this.nextId()
    const lc = ++this.lc
    const tr = this.tracer
    const dropped = tr !== null ? udp.stats().dropped : 0
    if (udp.send(addr, [this.id, slot.name, seq, lc, msg])) {
      if (tr !== null) {
        const id = `${this.id}:${seq}`
        const t = tr.t()
        tr.record({k: 'send', t, lt: slot.now(), node: this.id, core: slot.name, id, to: addr.id, ch: 'datagram', lc, bytes, msg})
        // The fault layer decided its fate at the send: a cut (`block`, what partitions compile to) or a drop rule.
        if (udp.stats().dropped > dropped) tr.drop(addr.id, slot.name, id, this.id, 'datagram', udp.faults.isCut(addr.id) ? 'partition' : 'fault-rule')
      }
      return true
    }
    const halves = slot.spec.split?.(msg) ?? null
    if (halves === null) return false
    this.counters.splits++
    const a = this.sendDatagram(slot, addr, halves[0], 0)
    return this.sendDatagram(slot, addr, halves[1], 0) && a
  }

  // ---- addresses -------------------------------------------------------------------------------

  protected addressOf(peer: string): PeerAddress | undefined {
    return this.hooks.resolve?.(peer) ?? this.book.get(peer)
  }

  /** A datagram from `p.id` came from `p` (UDP and TCP share the port number). */
  protected heard(p: PeerAddress): void {
    this.hooks.heard?.(p)
    if (this.hooks.resolve || this.book.has(p.id)) return
    if (this.book.size >= this.seeds.size + MAX_STRANGERS) {
      for (const id of this.book.keys()) {
        if (!this.seeds.has(id)) {
          this.book.delete(id)
          break
        }
      }
    }
    this.book.set(p.id, p)
  }

  /** A trace drop record for a message that reached this node and no core. */
  protected traceDropHere(core: string, from: string, seq: number, ch: 'datagram' | 'stream', reason: DropReason): void {
    this.tracer?.drop(this.id, core, `${from}:${seq}`, from, ch, reason)
  }
}
