import {MAIN_CORE, type Channel, type Composition, type Core, type CoreFactory, type DurableRecord, type Envelope, type NodeId, type Output, type Recovered, type Route} from '../core/index.js'
import {Rng} from '../random/index.js'
import {MemoryTrace, type DropReason, type TraceRecord, type TraceSink} from '../trace/index.js'
import {idealClock, makeClock, skewedClock, type ClockOptions, type ClockSkewOptions, type NodeClock} from './clock.js'
import {resolveDisk, SimDisk, type DiskOptions, type ResolvedDisk} from './disk.js'
import {EventHeap, type Scheduled} from './heap.js'
import {defaultLink, resolveLink, sampleDelay, type LinkOptions, type ResolvedLink} from './network.js'
import {resolveStreams, StreamTable, type Conn, type StreamOptions} from './streams.js'

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

export type NodeStatus = 'pending' | 'up' | 'paused' | 'crashed' | 'failed'

export type {CoreFactory}

export interface SimulatorOptions {
  /** One seed for the whole run: same seed, same inputs → the same run, byte for byte. */
  seed: number | string
  /** The default link between any two nodes. */
  network?: LinkOptions
  /**
   * Trace every send, delivery, drop, timer, event, crash, start, persist and sync (schema in
   * src/trace, docs/trace.md): `true` keeps the records in `sim.trace`; a sink (a `TraceWriter`)
   * receives them. Off by default, and then nothing is built.
   */
  trace?: boolean | TraceSink
  /** Every node's disk (sync latency, torn writes). */
  disk?: DiskOptions
  /** Seeded clock skew for every node; default none (every clock reads global time). */
  clocks?: ClockSkewOptions
  /** Stream break detection and idle timeout. */
  streams?: StreamOptions
}

export interface NodeOptions {
  /** This node's clock, instead of one drawn from `clocks`. */
  clock?: ClockOptions
}

export interface SimStats {
  /** Heap entries processed (including stale timers skipped), the simulator's unit of work. */
  processed: number
  delivered: number
  /** Messages lost: random loss, partition, the receiver down, or a broken stream. */
  dropped: number
  duplicated: number
  sentUdp: number
  sentTcp: number
  bytesUdp: number
  bytesTcp: number
  /** Records written to disks, syncs completed, streams broken. */
  persisted: number
  syncs: number
  streamBreaks: number
}

export interface NodeStats {
  sentUdp: number
  sentTcp: number
  bytesUdp: number
  bytesTcp: number
  received: number
}

/** A node that refused to start because a synced record of `core` failed its checksum. */
export interface StartFailure {
  at: number
  node: NodeId
  core: string
  record: 'snapshot' | number
}

export type EventListener<E> = (now: number, node: NodeId, event: E, core: string) => void
export type DeliveryListener<M> = (now: number, from: NodeId, to: NodeId, msg: M, channel: Channel, core: string) => void

const START = 0
const DELIVER = 1
const TIMER = 2
const CONTROL = 3
const COMMAND = 4
const SYNC = 5
const SYNCED = 6
const BROKEN = 7

interface SimEvent extends Scheduled {
  kind: number
  slot: Slot | null
  epoch: number
  from: NodeId
  msg: unknown
  /** Timer key; for a routed command, the core it came from. */
  key: string
  /** Timer generation; for a sync, the write sequence number it covers. */
  gen: number
  udp: boolean
  fn: (() => void) | null
  /** Index of the target core on the node (−1: the node does not run it). */
  ci: number
  /** Message sequence number (the id is `from:mid`) and the sender's Lamport clock. */
  mid: number
  lc: number
  conn: Conn<Slot> | null
  dup: boolean
  /** For a timer: the local instant asked for; for a sync: its latency. */
  lat: number
}

interface Pending {
  send: Envelope<unknown>[]
  events: unknown[]
  upTo: number
}

interface CoreSlot {
  name: string
  index: number
  factory: CoreFactory
  core: Core<unknown, unknown, unknown> | null
  timers: Map<string, number>
  /** Outputs waiting for their records (or an earlier output's) to be durable, in order. */
  pending: Pending[]
  /** Write sequence number of this core's last record in this life (0: none). */
  lastWrite: number
  onBreak: boolean
}

interface Slot {
  id: NodeId
  status: NodeStatus
  cores: CoreSlot[]
  byName: Map<string, CoreSlot>
  route: Route | null
  /** Bumped on crash/restart: timers, syncs and streams of an earlier life are discarded. */
  epoch: number
  timerGen: number
  /** Inputs held while paused (SIGSTOP), replayed in order on resume. */
  deferred: SimEvent[]
  /** Partition side; equal sides (0 = no partition) can talk. */
  side: number
  restarts: number
  stats: NodeStats
  clock: NodeClock
  /** The last local time a core of this node saw (its clock never goes back). */
  lastLocal: number
  /** Message sequence and Lamport clock: kept across restarts, so ids stay unique in a run. */
  msgSeq: number
  lc: number
  disk: SimDisk | null
  /** A sync is scheduled or running. */
  syncing: boolean
  /** A sync completed while paused: release on resume. */
  releaseOnResume: boolean
}

export class Simulator<M, E, C = never> {
  /** A stream for scenario code (choosing victims, etc.), independent of node and network streams. */
  readonly random: Rng
  readonly stats: SimStats = {processed: 0, delivered: 0, dropped: 0, duplicated: 0, sentUdp: 0, sentTcp: 0, bytesUdp: 0, bytesTcp: 0, persisted: 0, syncs: 0, streamBreaks: 0}
  /** With `trace: true`, every trace record so far. */
  readonly trace: TraceRecord[] | undefined
  /** Nodes that refused to start (a corrupt record), in order. */
  readonly failures: StartFailure[] = []
  private _now = 0
  private readonly root: Rng
  private readonly netRng: Rng
  private readonly heap = new EventHeap<SimEvent>()
  private readonly slots = new Map<NodeId, Slot>()
  private readonly pool: SimEvent[] = []
  private link: ResolvedLink
  private readonly overrides = new Map<string, ResolvedLink>()
  private readonly eventListeners: EventListener<E>[] = []
  private readonly deliveryListeners: DeliveryListener<M>[] = []
  private readonly tracer: TraceSink | null
  private readonly diskOpts: ResolvedDisk
  private readonly skew: ClockSkewOptions | undefined
  private readonly streams: StreamTable<Slot>
  /** The delivery `schedule` made last (to stamp a stream message's position). */
  private lastEvent: SimEvent | null = null

  constructor(opts: SimulatorOptions) {
    this.root = new Rng(opts.seed)
    this.random = this.root.fork('scenario')
    this.netRng = this.root.fork('network')
    this.link = resolveLink(opts.network, defaultLink)
    this.diskOpts = resolveDisk(opts.disk)
    this.skew = opts.clocks
    this.streams = new StreamTable(resolveStreams(opts.streams))
    if (opts.trace === true) {
      const m = new MemoryTrace()
      this.tracer = m
      this.trace = m.records
    } else {
      this.tracer = opts.trace || null
      this.trace = undefined
    }
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

  private drop(ev: SimEvent, s: Slot, reason: DropReason): void {
    this.stats.dropped++
    const c = ev.conn
    if (c !== null) {
      // Its successors need not wait for it (they are dropped too: only a broken stream drops).
      if (c.a === s) c.deliveredBA = Math.max(c.deliveredBA, ev.gen)
      else c.deliveredAB = Math.max(c.deliveredAB, ev.gen)
    }
    if (this.tracer === null) return
    const core = ev.ci >= 0 ? s.cores[ev.ci]!.name : ev.key
    const r: TraceRecord = {k: 'drop', t: this._now, node: s.id, core, id: `${ev.from}:${ev.mid}`, from: ev.from, ch: ev.udp ? 'datagram' : 'stream', reason}
    if (ev.dup) r.dup = true
    this.tracer.record(r)
  }

  private doStart(s: Slot): void {
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

  private doCrash(s: Slot): void {
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

  private apply(s: Slot, cs: CoreSlot, out: Output<unknown, unknown>): void {
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

  private write(s: Slot, cs: CoreSlot, recs: readonly DurableRecord[]): number {
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
  private afterSync(s: Slot): void {
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
  private emit(s: Slot, cs: CoreSlot, send: Envelope<unknown>[], events: unknown[]): void {
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

  // ---- internals: the network ----------------------------------------------------------------

  private transmit(from: Slot, cs: CoreSlot, env: Envelope<unknown>): void {
    const udp = env.channel !== 'stream'
    const bytes = env.bytes ?? 0
    const st = this.stats
    if (udp) {
      st.sentUdp++
      st.bytesUdp += bytes
      from.stats.sentUdp++
      from.stats.bytesUdp += bytes
    } else {
      st.sentTcp++
      st.bytesTcp += bytes
      from.stats.sentTcp++
      from.stats.bytesTcp += bytes
    }
    const mid = ++from.msgSeq
    const lc = ++from.lc
    const to = env.to
    const target = this.slots.get(to)
    let ci = -1
    if (target !== undefined) {
      const tc = target.cores
      ci = cs.index < tc.length && tc[cs.index]!.name === cs.name ? cs.index : (target.byName.get(cs.name)?.index ?? -1)
    }
    if (!udp) return this.transmitStream(from, cs, target, ci, env, mid, lc, bytes)
    if (this.tracer !== null) this.traceSend(from, cs, env, mid, lc, bytes, 'datagram', undefined)
    if (target === undefined || from.side !== target.side) {
      st.dropped++
      if (this.tracer !== null) this.traceSendDrop(from, cs, to, mid, 'datagram', target === undefined ? 'receiver-down' : 'partition')
      return
    }
    const override = this.overrides.size > 0 ? this.overrides.get(from.id + '\u0000' + to) : undefined
    const link = override ?? this.link
    const rng = this.netRng
    if (link.loss > 0 && rng.next() < link.loss) {
      st.dropped++
      if (this.tracer !== null) this.traceSendDrop(from, cs, to, mid, 'datagram', override === undefined ? 'loss' : 'fault-rule')
      return
    }
    this.schedule(from.id, target, ci, cs.name, env.msg, true, this._now + sampleDelay(link, rng), mid, lc, null, false)
    if (link.duplicate > 0 && rng.next() < link.duplicate) {
      st.duplicated++
      this.schedule(from.id, target, ci, cs.name, env.msg, true, this._now + sampleDelay(link, rng), mid, lc, null, true)
    }
  }

  private transmitStream(from: Slot, cs: CoreSlot, target: Slot | undefined, ci: number, env: Envelope<unknown>, mid: number, lc: number, bytes: number): void {
    const now = this._now
    const to = env.to
    // The delay is drawn exactly when it was before streams could break, so that the network's
    // random stream (and every datagram after) is the same with or without breaks.
    let delay = 0
    if (target !== undefined && from.side === target.side) {
      const link = this.overrides.size > 0 ? (this.overrides.get(from.id + '\u0000' + to) ?? this.link) : this.link
      delay = sampleDelay(link, this.netRng)
    }
    if (target === undefined) {
      if (this.tracer !== null) this.traceSend(from, cs, env, mid, lc, bytes, 'stream', undefined)
      this.stats.dropped++
      if (this.tracer !== null) this.traceSendDrop(from, cs, to, mid, 'stream', 'receiver-down')
      return
    }
    const key = StreamTable.keyOf(cs.name, from.id, to)
    let conn = this.streams.get(key)
    let reason: DropReason | null = null
    if (conn !== undefined) {
      const isA = conn.a === from
      const mine = isA ? conn.ea === from.epoch : conn.eb === from.epoch
      const theirs = isA ? conn.eb === target.epoch : conn.ea === target.epoch
      if (conn.broken && mine && !(isA ? conn.toldA : conn.toldB)) reason = 'stream-broken'
      else if (conn.broken || !mine || !theirs) conn = undefined
    }
    if (conn === undefined) {
      conn = this.streams.open(key, cs.name, from, target, now)
      if ((target.status !== 'up' && target.status !== 'paused') || ci < 0) reason = 'receiver-down'
      else if (from.side !== target.side) reason = 'partition'
      if (reason !== null) {
        // A connection refused: only the sender learns of it.
        if (conn.a === target) conn.toldA = true
        else conn.toldB = true
        this.breakConn(conn, reason === 'partition' ? 'partition' : 'refused')
      }
    }
    if (this.tracer !== null) this.traceSend(from, cs, env, mid, lc, bytes, 'stream', conn.id)
    if (reason !== null) {
      this.stats.dropped++
      if (this.tracer !== null) this.traceSendDrop(from, cs, to, mid, 'stream', reason)
      return
    }
    let at = now + delay
    if (conn.a === from) {
      if (at < conn.lastAB) at = conn.lastAB
      conn.lastAB = at
    } else {
      if (at < conn.lastBA) at = conn.lastBA
      conn.lastBA = at
    }
    conn.lastUsed = now
    this.schedule(from.id, target, ci, cs.name, env.msg, false, at, mid, lc, conn, false)
    this.lastEvent!.gen = conn.a === from ? ++conn.sentAB : ++conn.sentBA
  }

  /** Breaks `c` now: in-flight messages on it will be dropped; each live end is told after the detection delay. */
  private breakConn(c: Conn<Slot>, cause: 'crash' | 'partition' | 'fault' | 'refused'): void {
    if (c.broken) return
    c.broken = true
    this.stats.streamBreaks++
    if (this.tracer !== null) this.tracer.record({k: 'break', t: this._now, node: c.a.id, peer: c.b.id, core: c.core, conn: c.id, cause})
    const at = this._now + this.streams.opts.breakDetection
    if (!c.toldA) c.toldA = !this.tell(c, c.a, c.ea, at)
    if (!c.toldB) c.toldB = !this.tell(c, c.b, c.eb, at)
    this.streams.settle(c)
  }

  /** Schedules telling end `s` (in life `epoch`) that `c` broke; false when it needs no telling. */
  private tell(c: Conn<Slot>, s: Slot, epoch: number, at: number): boolean {
    if (s.epoch !== epoch || (s.status !== 'up' && s.status !== 'paused')) return false
    const cs = s.byName.get(c.core)
    if (!cs || !cs.onBreak) return false
    const ev = this.alloc(at, BROKEN, s)
    ev.epoch = epoch
    ev.conn = c
    ev.ci = cs.index
    this.heap.push(ev)
    return true
  }

  private schedule(from: NodeId, to: Slot, ci: number, core: string, msg: unknown, udp: boolean, at: number, mid: number, lc: number, conn: Conn<Slot> | null, dup: boolean): void {
    const ev = this.alloc(at, DELIVER, to)
    ev.from = from
    ev.key = core
    ev.msg = msg
    ev.udp = udp
    ev.ci = ci
    ev.mid = mid
    ev.lc = lc
    ev.conn = conn
    ev.dup = dup
    this.heap.push(ev)
    this.lastEvent = ev
  }

  private traceSend(from: Slot, cs: CoreSlot, env: Envelope<unknown>, mid: number, lc: number, bytes: number, ch: 'datagram' | 'stream', conn: number | undefined): void {
    const r: TraceRecord = {k: 'send', t: this._now, lt: this.local(from), node: from.id, core: cs.name, id: `${from.id}:${mid}`, to: env.to, ch, lc, bytes, msg: env.msg}
    if (conn !== undefined) r.conn = conn
    this.tracer!.record(r)
  }

  private traceSendDrop(from: Slot, cs: CoreSlot, to: NodeId, mid: number, ch: 'datagram' | 'stream', reason: DropReason): void {
    this.tracer!.record({k: 'drop', t: this._now, node: to, core: cs.name, id: `${from.id}:${mid}`, from: from.id, ch, reason})
  }

  /** True when a partition separates `from` and `to` now. */
  private cut(from: NodeId, to: Slot): boolean {
    if (to.side === 0) return false
    const f = this.slots.get(from)
    return f !== undefined && f.side !== to.side
  }

  // ---- internals: bookkeeping ----------------------------------------------------------------

  /** The node's clock now, never behind what its cores already saw. */
  private local(s: Slot): number {
    const c = s.clock
    const t = c === idealClock ? this._now : this._now * c.rate + c.offset
    if (t < s.lastLocal) return s.lastLocal
    s.lastLocal = t
    return t
  }

  private diskOf(s: Slot): SimDisk {
    if (s.disk === null) s.disk = new SimDisk(this.diskOpts, this.root.fork(`disk:${s.id}`))
    return s.disk
  }

  private slotOf(id: NodeId): Slot {
    const s = this.slots.get(id)
    if (!s) throw new Error(`sim: unknown node '${id}'`)
    return s
  }

  private alloc(at: number, kind: number, slot: Slot | null): SimEvent {
    const ev = this.pool.pop()
    if (ev !== undefined) {
      ev.at = at
      ev.kind = kind
      ev.slot = slot
      return ev
    }
    return {at, seq: 0, kind, slot, epoch: 0, from: '', msg: undefined, key: '', gen: 0, udp: true, fn: null, ci: 0, mid: 0, lc: 0, conn: null, dup: false, lat: 0}
  }

  private release(ev: SimEvent): void {
    ev.slot = null
    ev.msg = undefined
    ev.fn = null
    ev.from = ''
    ev.key = ''
    ev.conn = null
    ev.dup = false
    ev.ci = 0
    this.pool.push(ev)
  }
}
