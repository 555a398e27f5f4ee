import type {DurableRecord, Envelope, Output, Recovered} from '../core/index.js'
import type {TraceRecord} from '../trace/index.js'
import {idealClock} from './clock.js'
import {resolveDisk, SimDisk, type ResolvedDisk} from './disk.js'
import {COMMAND, DELIVER, SYNC, TIMER, type CoreSlot, type EventListener, type SimulatorOptions, type Slot, type StartFailure} from './types.js'
import {SimWire} from './wire.js'

/**
 * A simulated node's lives and outputs: starting its cores with what their logs hold (or
 * refusing to, on a corrupt record), crashing them (a power loss), and applying what a core
 * returns under the Ready rule of `src/core` — timers at once, records to the node's disk
 * (group commit), sends and events held until everything the core persisted is durable, then
 * released in order, events routed to the node's other cores.
 */
export abstract class SimNodes<E> extends SimWire {
  /** Nodes that refused to start (a corrupt record), in order. */
  readonly failures: StartFailure[] = []
  protected readonly eventListeners: EventListener<E>[] = []
  protected readonly diskOpts: ResolvedDisk

  constructor(opts: SimulatorOptions) {
    super(opts)
    this.diskOpts = resolveDisk(opts.disk)
  }


  protected doStart(s: Slot): void {
    s.epoch++
    s.deferred = []
    const recovered: Recovered[] = []
    for (const cs of s.cores) {
      if (s.disk === null) {
        recovered.push({snapshot: null, records: [], truncatedBytes: 0})
        continue
      }
      const r = s.disk.recover(cs.name)
      if (!r.ok) {
        s.status = 'failed'
        for (const c of s.cores) c.core = null
        this.failures.push({at: this._now, node: s.id, core: cs.name, record: r.record})
        this.tracer?.record({k: 'start-failed', t: this._now, node: s.id, core: cs.name, reason: 'corrupt', record: r.record})
        return
      }
      recovered.push(r.recovered)
    }
    s.status = 'up'
    const now = this.local(s)
    const many = s.cores.length > 1
    for (const cs of s.cores) {
      cs.timers.clear()
      cs.pending = []
      cs.lastWrite = 0
      const label = `node:${s.id}#${s.restarts}` + (many ? `/${cs.name}` : '')
      cs.core = cs.factory({id: s.id, random: this.root.fork(label), now, restarts: s.restarts, core: cs.name})
      cs.onBreak = typeof cs.core.streamBroken === 'function'
    }
    if (this.tracer !== null) {
      const rec: Record<string, {snapshot: boolean; records: number; truncatedBytes: number}> = {}
      s.cores.forEach((cs, i) => (rec[cs.name] = {snapshot: recovered[i]!.snapshot !== null, records: recovered[i]!.records.length, truncatedBytes: recovered[i]!.truncatedBytes}))
      this.tracer.record({k: s.restarts === 0 ? 'start' : 'restart', t: this._now, lt: now, node: s.id, restarts: s.restarts, recovered: rec})
    }
    for (let i = 0; i < s.cores.length; i++) {
      const cs = s.cores[i]!
      // A core of the same node may have been crashed by an earlier core's start (a scheduled
      // control cannot run in between, but stay safe).
      if (cs.core === null) return
      this.apply(s, cs, cs.core.start(now, recovered[i]))
    }
  }

  protected doCrash(s: Slot): void {
    if (s.status !== 'up' && s.status !== 'paused') return
    s.epoch++
    s.status = 'crashed'
    for (const cs of s.cores) {
      cs.core = null
      cs.timers.clear()
      cs.pending = []
      cs.lastWrite = 0
    }
    for (const ev of s.deferred) {
      if (ev.kind === DELIVER) this.drop(ev, s, 'receiver-down')
      this.release(ev)
    }
    s.deferred = []
    s.syncing = false
    s.releaseOnResume = false
    const {lost, torn} = s.disk ? s.disk.crash() : {lost: 0, torn: 0}
    this.tracer?.record({k: 'crash', t: this._now, node: s.id, lost, torn})
    if (this.streams.size > 0) for (const c of [...this.streams.values()]) if (!c.broken && (c.a === s || c.b === s)) this.breakConn(c, 'crash')
  }

  // ---- internals: outputs (the Ready rule) ---------------------------------------------------

  protected apply(s: Slot, cs: CoreSlot, out: Output<unknown, unknown>): void {
    const now = this._now
    for (let i = 0; i < out.cancel.length; i++) cs.timers.delete(out.cancel[i]!)
    if (out.timers.length > 0) {
      const clock = s.clock
      for (let i = 0; i < out.timers.length; i++) {
        const t = out.timers[i]!
        const gen = ++s.timerGen
        cs.timers.set(t.key, gen)
        const g = clock === idealClock ? t.at : (t.at - clock.offset) / clock.rate
        const ev = this.alloc(g > now ? g : now, TIMER, s)
        ev.epoch = s.epoch
        ev.key = t.key
        ev.gen = gen
        ev.ci = cs.index
        ev.lat = t.at
        this.heap.push(ev)
      }
    }
    const persist = out.persist
    if (persist !== undefined && persist.length > 0) cs.lastWrite = this.write(s, cs, persist)
    const upTo = cs.lastWrite
    if (cs.pending.length === 0 && (upTo === 0 || upTo <= s.disk!.durable)) {
      this.emit(s, cs, out.send, out.events)
    } else if (out.send.length > 0 || out.events.length > 0) {
      // Held until durable: copy, since the core may reuse its arrays on the next call.
      cs.pending.push({send: out.send.slice(), events: out.events.slice(), upTo})
    }
  }

  protected write(s: Slot, cs: CoreSlot, recs: readonly DurableRecord[]): number {
    const d = this.diskOf(s)
    const upTo = d.write(cs.name, recs)
    this.stats.persisted += recs.length
    if (this.tracer !== null) {
      let bytes = 0
      let snapshot = false
      for (const r of recs) {
        bytes += r.data.length
        if (r.type === 'snapshot') snapshot = true
      }
      const rec: TraceRecord = {k: 'persist', t: this._now, lt: this.local(s), node: s.id, core: cs.name, records: recs.length, bytes, upTo}
      if (snapshot) rec.snapshot = true
      this.tracer.record(rec)
    }
    if (!s.syncing) {
      // Begins at this instant, after every input already due now: writes of the same instant share it.
      s.syncing = true
      const ev = this.alloc(this._now, SYNC, s)
      ev.epoch = s.epoch
      this.heap.push(ev)
    }
    return upTo
  }

  /** Releases every held output now durable, in order; starts the next sync if records wait. */
  protected afterSync(s: Slot): void {
    const d = s.disk!
    for (const cs of s.cores) {
      const q = cs.pending
      let n = 0
      while (n < q.length && q[n]!.upTo <= d.durable) n++
      if (n === 0) continue
      const ready = q.splice(0, n)
      for (const p of ready) {
        if (cs.core === null) break
        this.emit(s, cs, p.send, p.events)
      }
    }
    if (d.pending > 0 && !s.syncing && (s.status === 'up' || s.status === 'paused')) {
      s.syncing = true
      const ev = this.alloc(this._now, SYNC, s)
      ev.epoch = s.epoch
      this.heap.push(ev)
    }
  }

  /** Sends the messages and reports the events of one released output. */
  protected emit(s: Slot, cs: CoreSlot, send: Envelope<unknown>[], events: unknown[]): void {
    for (let i = 0; i < send.length; i++) this.transmit(s, cs, send[i]!)
    if (events.length === 0) return
    const now = this._now
    const route = s.route
    for (let i = 0; i < events.length; i++) {
      const e = events[i] as E
      if (this.tracer !== null) this.tracer.record({k: 'event', t: now, lt: this.local(s), node: s.id, core: cs.name, event: e})
      for (const l of this.eventListeners) l(now, s.id, e, cs.name)
      if (route !== null) {
        const routed = route(cs.name, e)
        if (routed) {
          for (const r of routed) {
            const target = s.byName.get(r.core)
            if (!target) throw new Error(`sim: node '${s.id}' routes to core '${r.core}', which it does not run`)
            const ev = this.alloc(now, COMMAND, s)
            ev.msg = r.cmd
            ev.ci = target.index
            ev.key = cs.name
            ev.epoch = s.epoch
            this.heap.push(ev)
          }
        }
      }
    }
  }

  // ---- internals: bookkeeping ----------------------------------------------------------------

  protected diskOf(s: Slot): SimDisk {
    if (s.disk === null) s.disk = new SimDisk(this.diskOpts, this.root.fork(`disk:${s.id}`))
    return s.disk
  }
}
