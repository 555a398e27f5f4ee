import {MAIN_CORE, type Composition, type Core, type CoreFactory, type NodeId} from '../core/index.js'
import {Rng} from '../random/index.js'
import type {TraceRecord} from '../trace/index.js'
import {makeClock, skewedClock, type ClockSkewOptions} from './clock.js'
import type {SimDisk} from './disk.js'
import {resolveLink, defaultLink, type LinkOptions} from './network.js'
import type {Conn} from './streams.js'
import {BROKEN, COMMAND, CONTROL, DELIVER, START, SYNC, SYNCED, TIMER, type CoreSlot, type DeliveryListener, type EventListener, type NodeOptions, type NodeStats, type NodeStatus, type SimEvent, type SimulatorOptions, type Slot} from './types.js'
import {SimNodes} from './nodes.js'

/**
 * A deterministic discrete-event simulator for sans-IO cores (see `src/core`). N nodes run in one
 * process against a virtual clock; every input (message delivery, timer, start, command, sync,
 * stream break, fault) is an entry in one binary heap ordered by (time, sequence number). All
 * randomness — network delays, loss, duplication, sync latencies, torn writes, clock skew, and
 * each core's own `Random` — comes from streams derived from one seed, so a seed reproduces a run
 * exactly, faults and disk included (FoundationDB/TigerBeetle-style deterministic simulation).
 *
 * A node runs one core (`addNode(id, factory)`) or several (`addNode(id, {cores, route})`), has
 * its own clock (`clock.ts`), its own disk (`disk.ts`) and its own streams (`streams.ts`), and
 * follows the Ready rule of `src/core`: timers at once, records to the disk, and a core's sends
 * and events released only once everything it persisted so far is durable.
 */

export type {CoreFactory}
export type {NodeStatus, SimulatorOptions, NodeOptions, SimStats, NodeStats, StartFailure, EventListener, DeliveryListener} from './types.js'

export class Simulator<M, E, C = never> extends SimNodes<E> {
  /** A stream for scenario code (choosing victims, etc.), independent of node and network streams. */
  readonly random: Rng
  /** With `trace: true`, every trace record so far. */
  readonly trace: TraceRecord[] | undefined
  private readonly deliveryListeners: DeliveryListener<M>[] = []
  private readonly skew: ClockSkewOptions | undefined

  constructor(opts: SimulatorOptions) {
    super(opts)
    this.random = this.root.fork('scenario')
    this.skew = opts.clocks
    this.trace = this.memory
    // Drawn once so that a bad option fails here, not at the first sync.
    skewedClock(this.skew, () => new Rng(0))
  }

  get now(): number {
    return this._now
  }

  // ---- setup -------------------------------------------------------------------------------

  /**
   * Adds a node that starts at `at` (default now): one core from `factory` (named `main`), or
   * the cores of a composition, started in order, with `route` turning one core's events into
   * another's commands.
   */
  addNode(id: NodeId, what: CoreFactory<M, E, C> | Composition, at = this._now, opts: NodeOptions = {}): void {
    if (this.slots.has(id)) throw new Error(`sim: node '${id}' already exists`)
    const comp: Composition = typeof what === 'function' ? {cores: {[MAIN_CORE]: what}} : what
    const names = Object.keys(comp.cores)
    if (names.length === 0) throw new Error(`sim: node '${id}' runs no core`)
    const cores = names.map((name, index): CoreSlot => ({name, index, factory: comp.cores[name]!, core: null, timers: new Map(), pending: [], lastWrite: 0, onBreak: false}))
    const slot: Slot = {
      id,
      status: 'pending',
      cores,
      byName: new Map(cores.map((c) => [c.name, c])),
      route: comp.route ?? null,
      epoch: 0,
      timerGen: 0,
      deferred: [],
      side: 0,
      restarts: 0,
      stats: {sentUdp: 0, sentTcp: 0, bytesUdp: 0, bytesTcp: 0, received: 0},
      clock: opts.clock ? makeClock(opts.clock) : skewedClock(this.skew, () => this.root.fork(`clock:${id}`)),
      lastLocal: -Infinity,
      msgSeq: 0,
      lc: 0,
      disk: null,
      syncing: false,
      releaseOnResume: false,
    }
    this.slots.set(id, slot)
    this.heap.push(this.alloc(at, START, slot))
  }

  nodeIds(): NodeId[] {
    return [...this.slots.keys()]
  }

  status(id: NodeId): NodeStatus {
    return this.slotOf(id).status
  }

  /** A core of the node (the first when `name` is omitted; a new object after each restart), or undefined when down. */
  core<T extends Core<M, E, C> = Core<M, E, C>>(id: NodeId, name?: string): T | undefined {
    const s = this.slotOf(id)
    const cs = name === undefined ? s.cores[0] : s.byName.get(name)
    return (cs?.core ?? undefined) as T | undefined
  }

  /** The node's clock reading at the current global time. */
  localTime(id: NodeId): number {
    const s = this.slotOf(id)
    return this._now * s.clock.rate + s.clock.offset
  }

  nodeStats(id: NodeId): NodeStats {
    return this.slotOf(id).stats
  }

  /** The node's disk (null until one of its cores first persisted). For inspection. */
  disk(id: NodeId): SimDisk | null {
    return this.slotOf(id).disk
  }

  onEvent(fn: EventListener<E>): void {
    this.eventListeners.push(fn)
  }

  onDeliver(fn: DeliveryListener<M>): void {
    this.deliveryListeners.push(fn)
  }

  /** Replaces the default link for every pair without an override. */
  setNetwork(opts: LinkOptions): void {
    this.link = resolveLink(opts, defaultLink)
  }

  /** Overrides the link `from → to` (one direction); `null` removes the override. */
  setLink(from: NodeId, to: NodeId, opts: LinkOptions | null): void {
    const k = from + '\u0000' + to
    if (opts === null) this.overrides.delete(k)
    else this.overrides.set(k, resolveLink(opts, this.link))
  }

  // ---- faults and commands (all take effect when the clock reaches `at`, default now) -------

  /** Runs `fn` at logical time `at`, in order with every other input due then. */
  at(at: number, fn: () => void): void {
    const ev = this.alloc(at, CONTROL, null)
    ev.fn = fn
    this.heap.push(ev)
  }

  /**
   * The node stops dead (power loss): its cores, pending timers, held inputs and unreleased
   * outputs are discarded, unsynced records are lost (the first maybe torn), its streams break,
   * and messages to it are lost.
   */
  crash(id: NodeId, at = this._now): void {
    this.at(at, () => this.doCrash(this.slotOf(id)))
  }

  /** Like SIGSTOP: timers and messages due while paused are held and delivered on resume. */
  pause(id: NodeId, at = this._now): void {
    this.at(at, () => {
      const s = this.slotOf(id)
      if (s.status !== 'up') return
      s.status = 'paused'
      this.tracer?.record({k: 'fault', t: this._now, fault: 'pause', node: id})
    })
  }

  /** Like SIGCONT: everything held is replayed now, in the order it fell due. */
  resume(id: NodeId, at = this._now): void {
    this.at(at, () => {
      const s = this.slotOf(id)
      if (s.status !== 'paused') return
      s.status = 'up'
      this.tracer?.record({k: 'fault', t: this._now, fault: 'resume', node: id})
      if (s.releaseOnResume) {
        s.releaseOnResume = false
        this.afterSync(s)
      }
      const held = s.deferred
      s.deferred = []
      for (const ev of held) {
        ev.at = this._now
        this.heap.push(ev)
      }
    })
  }

  /** Fresh cores with the same id, handed what their logs hold (crashing the old ones first if still running). */
  restart(id: NodeId, at = this._now): void {
    this.at(at, () => {
      const s = this.slotOf(id)
      if (s.status === 'up' || s.status === 'paused') this.doCrash(s)
      s.restarts++
      this.doStart(s)
    })
  }

  /**
   * Splits the network into sides: nodes on different sides cannot exchange anything (messages
   * already in flight are lost on arrival; streams between sides break). Nodes in no listed
   * group form one more side.
   */
  partition(groups: NodeId[][], at = this._now): void {
    this.at(at, () => {
      const rest = groups.length + 1
      for (const s of this.slots.values()) s.side = rest
      groups.forEach((g, i) => {
        for (const id of g) this.slotOf(id).side = i + 1
      })
      this.tracer?.record({k: 'fault', t: this._now, fault: 'partition', sides: groups.map((g) => [...g])})
      if (this.streams.size > 0) for (const c of [...this.streams.values()]) if (!c.broken && c.a.side !== c.b.side) this.breakConn(c, 'partition')
    })
  }

  heal(at = this._now): void {
    this.at(at, () => {
      for (const s of this.slots.values()) s.side = 0
      this.tracer?.record({k: 'fault', t: this._now, fault: 'heal'})
    })
  }

  /** Breaks the streams between `a` and `b` (of `core`, or of every core), as a cut connection would. */
  breakStreams(a: NodeId, b: NodeId, core?: string, at = this._now): void {
    this.at(at, () => {
      for (const c of [...this.streams.values()]) {
        if (c.broken || (core !== undefined && c.core !== core)) continue
        if ((c.a.id === a && c.b.id === b) || (c.a.id === b && c.b.id === a)) this.breakConn(c, 'fault')
      }
    })
  }

  /**
   * Flips a byte of one synced record on the node's disk (of `core`, or of any core), chosen by
   * the disk's seeded stream. The node refuses its next start. Nothing happens when the disk
   * holds no synced record.
   */
  corrupt(id: NodeId, opts: {core?: string; at?: number} = {}): void {
    this.at(opts.at ?? this._now, () => {
      const s = this.slotOf(id)
      const hit = this.diskOf(s).corrupt(opts.core)
      if (hit) this.tracer?.record({k: 'fault', t: this._now, fault: 'corrupt', node: id, core: hit.core, record: hit.record})
    })
  }

  /** Replaces the node's disk with an empty one (of `core` only, when given): the operator's way out of a corrupt log. */
  wipeDisk(id: NodeId, core?: string, at = this._now): void {
    this.at(at, () => this.slotOf(id).disk?.wipe(core))
  }

  /** Hands a core of the node (the first when `core` is omitted) a local command at `at` (ignored if the node is not up then). */
  command(id: NodeId, cmd: C, at = this._now, core?: string): void {
    const slot = this.slotOf(id)
    const cs = core === undefined ? slot.cores[0]! : slot.byName.get(core)
    if (!cs) throw new Error(`sim: node '${id}' runs no core '${core}'`)
    const ev = this.alloc(at, COMMAND, slot)
    ev.msg = cmd
    ev.ci = cs.index
    ev.epoch = 0
    this.heap.push(ev)
  }

  // ---- running -----------------------------------------------------------------------------

  /** Processes every input due at or before `t`, then sets the clock to `t`. Returns inputs processed. */
  runUntil(t: number): number {
    const start = this.stats.processed
    const heap = this.heap
    for (;;) {
      const ev = heap.peek()
      if (ev === undefined || ev.at > t) break
      heap.pop()
      if (ev.at > this._now) this._now = ev.at
      this.stats.processed++
      this.dispatch(ev)
    }
    if (t > this._now) this._now = t
    return this.stats.processed - start
  }

  runFor(ms: number): number {
    return this.runUntil(this._now + ms)
  }

  /** Ids (`from:seq`) of messages sent and neither delivered nor dropped yet: in flight, or held by a paused node. */
  inFlight(): string[] {
    const ids: string[] = []
    const add = (ev: SimEvent) => ev.kind === DELIVER && ids.push(`${ev.from}:${ev.mid}`)
    for (const ev of this.heap.items()) add(ev)
    for (const s of this.slots.values()) for (const ev of s.deferred) add(ev)
    return ids.sort()
  }

  // ---- internals: inputs ---------------------------------------------------------------------

  private dispatch(ev: SimEvent): void {
    switch (ev.kind) {
      case DELIVER: {
        const s = ev.slot!
        if (s.status === 'paused') return void s.deferred.push(ev)
        const conn = ev.conn
        if (conn !== null && conn.broken) this.drop(ev, s, 'stream-broken')
        else if (s.status !== 'up' || ev.ci < 0) this.drop(ev, s, 'receiver-down')
        else if (this.cut(ev.from, s)) this.drop(ev, s, 'partition')
        else if (conn !== null && !this.inOrder(ev, conn, s)) return
        else this.deliver(ev, s)
        break
      }
      case TIMER: {
        const s = ev.slot!
        if (s.epoch !== ev.epoch) break
        if (s.status === 'paused') return void s.deferred.push(ev)
        const cs = s.cores[ev.ci]!
        if (s.status !== 'up' || cs.timers.get(ev.key) !== ev.gen) break
        cs.timers.delete(ev.key)
        let now = this.local(s)
        if (now < ev.lat) now = s.lastLocal = ev.lat
        if (this.tracer !== null) this.tracer.record({k: 'timer', t: this._now, lt: now, node: s.id, core: cs.name, key: ev.key})
        this.apply(s, cs, cs.core!.tick(ev.key, now))
        break
      }
      case START:
        this.doStart(ev.slot!)
        break
      case COMMAND: {
        const s = ev.slot!
        if (s.status === 'paused') return void s.deferred.push(ev)
        if (ev.epoch !== 0 && ev.epoch !== s.epoch) break
        const cs = s.cores[ev.ci]!
        if (s.status === 'up' && cs.core!.command) {
          const now = this.local(s)
          if (this.tracer !== null) this.tracer.record(ev.key === '' ? {k: 'command', t: this._now, lt: now, node: s.id, core: cs.name, cmd: ev.msg} : {k: 'command', t: this._now, lt: now, node: s.id, core: cs.name, from: ev.key, cmd: ev.msg})
          this.apply(s, cs, cs.core!.command(ev.msg, now))
        }
        break
      }
      case CONTROL:
        ev.fn!()
        break
      case SYNC: {
        const s = ev.slot!
        if (s.epoch !== ev.epoch) break
        if (s.status === 'paused') return void s.deferred.push(ev)
        const d = s.disk!
        const latency = d.syncLatency()
        const done = this.alloc(this._now + latency, SYNCED, s)
        done.epoch = s.epoch
        done.gen = d.written
        done.lat = latency
        this.heap.push(done)
        break
      }
      case SYNCED: {
        const s = ev.slot!
        if (s.epoch !== ev.epoch) break
        const n = s.disk!.completeSync(ev.gen)
        this.stats.syncs++
        s.syncing = false
        if (this.tracer !== null) this.tracer.record({k: 'synced', t: this._now, node: s.id, upTo: ev.gen, records: n, latency: ev.lat})
        // The disk finished while the process was stopped: it acts on it when resumed.
        if (s.status === 'paused') s.releaseOnResume = true
        else this.afterSync(s)
        break
      }
      case BROKEN: {
        const s = ev.slot!
        if (s.epoch !== ev.epoch) break
        if (s.status === 'paused') return void s.deferred.push(ev)
        const c = ev.conn!
        const peer = c.a === s ? c.b.id : c.a.id
        if (c.a === s) c.toldA = true
        else c.toldB = true
        this.streams.settle(c)
        const cs = s.cores[ev.ci]!
        const now = this.local(s)
        if (this.tracer !== null) this.tracer.record({k: 'stream-broken', t: this._now, lt: now, node: s.id, peer, core: cs.name, conn: c.id})
        if (s.status === 'up' && cs.core!.streamBroken) this.apply(s, cs, cs.core!.streamBroken(peer, now))
        break
      }
    }
    this.release(ev)
  }

  /**
   * A stream message is delivered only after every earlier one of its direction. Arrival times
   * already keep that order; this guard covers the one case they cannot: messages held by a
   * paused node are replayed at the resume instant, after anything already due then. A message
   * that comes too early goes back into the heap at the same instant, behind its predecessor.
   */
  private inOrder(ev: SimEvent, c: Conn<Slot>, s: Slot): boolean {
    const toA = c.a === s
    const next = (toA ? c.deliveredBA : c.deliveredAB) + 1
    if (ev.gen > next) {
      this.heap.push(ev)
      return false
    }
    if (toA) c.deliveredBA = ev.gen
    else c.deliveredAB = ev.gen
    return true
  }

  private deliver(ev: SimEvent, s: Slot): void {
    this.stats.delivered++
    s.stats.received++
    s.lc = (ev.lc > s.lc ? ev.lc : s.lc) + 1
    const cs = s.cores[ev.ci]!
    const msg = ev.msg as M
    const now = this.local(s)
    if (this.tracer !== null) {
      const r: TraceRecord = {k: 'deliver', t: this._now, lt: now, node: s.id, core: cs.name, id: `${ev.from}:${ev.mid}`, from: ev.from, ch: ev.udp ? 'datagram' : 'stream', lc: s.lc}
      if (ev.dup) r.dup = true
      this.tracer.record(r)
    }
    for (const l of this.deliveryListeners) l(this._now, ev.from, s.id, msg, ev.udp ? 'datagram' : 'stream', cs.name)
    this.apply(s, cs, cs.core!.receive(ev.from, msg, now))
  }

  private slotOf(id: NodeId): Slot {
    const s = this.slots.get(id)
    if (!s) throw new Error(`sim: unknown node '${id}'`)
    return s
  }
}
