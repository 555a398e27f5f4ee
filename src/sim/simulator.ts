import type {Channel, Core, CoreContext, NodeId, Output} from '../core/index.js'
import {EventHeap, type Scheduled} from './heap.js'
import {defaultLink, resolveLink, sampleDelay, type LinkOptions, type ResolvedLink} from './network.js'
import {Rng} from './random.js'

/**
 * A deterministic discrete-event simulator for sans-IO cores (see `src/core`). N instances of a
 * core run in one process against a virtual clock; every input (message delivery, timer, start,
 * command, fault) is an entry in one binary heap ordered by (time, sequence number). All
 * randomness — network delays, loss, duplication, and each core's own `Random` — comes from
 * streams derived from one seed, so a seed reproduces a run exactly, faults included
 * (FoundationDB/TigerBeetle-style deterministic simulation).
 */

export type NodeStatus = 'pending' | 'up' | 'paused' | 'crashed'

export type CoreFactory<M, E, C = never> = (ctx: CoreContext & {restarts: number}) => Core<M, E, C>

export interface SimulatorOptions {
  /** One seed for the whole run: same seed, same inputs → the same run, byte for byte. */
  seed: number | string
  /** The default link between any two nodes. */
  network?: LinkOptions
  /** Record a line per delivery, event and fault in `trace` (for debugging and determinism tests). */
  trace?: boolean
}

export interface SimStats {
  /** Heap entries processed (including stale timers skipped), the simulator's unit of work. */
  processed: number
  delivered: number
  /** Messages lost: random loss, partition, or the receiver down. */
  dropped: number
  duplicated: number
  sentUdp: number
  sentTcp: number
  bytesUdp: number
  bytesTcp: number
}

export interface NodeStats {
  sentUdp: number
  sentTcp: number
  bytesUdp: number
  bytesTcp: number
  received: number
}

export type EventListener<E> = (now: number, node: NodeId, event: E) => void
export type DeliveryListener<M> = (now: number, from: NodeId, to: NodeId, msg: M, channel: Channel) => void

const START = 0
const DELIVER = 1
const TIMER = 2
const CONTROL = 3
const COMMAND = 4

interface SimEvent extends Scheduled {
  kind: number
  slot: Slot | null
  epoch: number
  from: NodeId
  msg: unknown
  key: string
  gen: number
  udp: boolean
  fn: (() => void) | null
}

interface Slot {
  id: NodeId
  status: NodeStatus
  core: Core<unknown, unknown, unknown> | null
  factory: CoreFactory<unknown, unknown, unknown>
  /** Bumped on crash/restart: timers of an earlier life are discarded. */
  epoch: number
  timers: Map<string, number>
  timerGen: number
  /** Inputs held while paused (SIGSTOP), replayed in order on resume. */
  deferred: SimEvent[]
  /** Partition side; equal sides (0 = no partition) can talk. */
  side: number
  restarts: number
  stats: NodeStats
}

export class Simulator<M, E, C = never> {
  /** A stream for scenario code (choosing victims, etc.), independent of node and network streams. */
  readonly random: Rng
  readonly stats: SimStats = {processed: 0, delivered: 0, dropped: 0, duplicated: 0, sentUdp: 0, sentTcp: 0, bytesUdp: 0, bytesTcp: 0}
  /** Filled when `trace: true`. */
  readonly trace: string[] | undefined
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

  constructor(opts: SimulatorOptions) {
    this.root = new Rng(opts.seed)
    this.random = this.root.fork('scenario')
    this.netRng = this.root.fork('network')
    this.link = resolveLink(opts.network, defaultLink)
    this.trace = opts.trace ? [] : undefined
  }

  get now(): number {
    return this._now
  }

  // ---- setup -------------------------------------------------------------------------------

  /** Adds a node that starts at `at` (default now) with a fresh core from `factory`. */
  addNode(id: NodeId, factory: CoreFactory<M, E, C>, at = this._now): void {
    if (this.slots.has(id)) throw new Error(`sim: node '${id}' already exists`)
    const slot: Slot = {
      id,
      status: 'pending',
      core: null,
      factory: factory as CoreFactory<unknown, unknown, unknown>,
      epoch: 0,
      timers: new Map(),
      timerGen: 0,
      deferred: [],
      side: 0,
      restarts: 0,
      stats: {sentUdp: 0, sentTcp: 0, bytesUdp: 0, bytesTcp: 0, received: 0},
    }
    this.slots.set(id, slot)
    const ev = this.alloc(at, START, slot)
    this.heap.push(ev)
  }

  nodeIds(): NodeId[] {
    return [...this.slots.keys()]
  }

  status(id: NodeId): NodeStatus {
    return this.slotOf(id).status
  }

  /** The node's current core (a new object after each restart), or undefined when not up/paused. */
  core<T extends Core<M, E, C> = Core<M, E, C>>(id: NodeId): T | undefined {
    return (this.slotOf(id).core ?? undefined) as T | undefined
  }

  nodeStats(id: NodeId): NodeStats {
    return this.slotOf(id).stats
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

  /** The node stops dead: its core, pending timers and held inputs are discarded; messages to it are lost. */
  crash(id: NodeId, at = this._now): void {
    this.at(at, () => this.doCrash(this.slotOf(id)))
  }

  /** Like SIGSTOP: timers and messages due while paused are held and delivered on resume. */
  pause(id: NodeId, at = this._now): void {
    this.at(at, () => {
      const s = this.slotOf(id)
      if (s.status === 'up') {
        s.status = 'paused'
        this.log(`${this._now} ${id} !pause`)
      }
    })
  }

  /** Like SIGCONT: everything held is replayed now, in the order it fell due. */
  resume(id: NodeId, at = this._now): void {
    this.at(at, () => {
      const s = this.slotOf(id)
      if (s.status !== 'paused') return
      s.status = 'up'
      this.log(`${this._now} ${id} !resume`)
      const held = s.deferred
      s.deferred = []
      for (const ev of held) {
        ev.at = this._now
        this.heap.push(ev)
      }
    })
  }

  /** A fresh core with the same id (crashing the old one first if it is still running). */
  restart(id: NodeId, at = this._now): void {
    this.at(at, () => {
      const s = this.slotOf(id)
      if (s.status === 'up' || s.status === 'paused') this.doCrash(s)
      s.restarts++
      this.doStart(s)
    })
  }

  /**
   * Splits the network into sides: nodes on different sides cannot exchange anything (also
   * messages already in flight are lost on arrival). Nodes in no listed group form one more side.
   */
  partition(groups: NodeId[][], at = this._now): void {
    this.at(at, () => {
      const rest = groups.length + 1
      for (const s of this.slots.values()) s.side = rest
      groups.forEach((g, i) => {
        for (const id of g) this.slotOf(id).side = i + 1
      })
      this.log(`${this._now} !partition ${groups.map((g) => g.join(',')).join(' | ')}`)
    })
  }

  heal(at = this._now): void {
    this.at(at, () => {
      for (const s of this.slots.values()) s.side = 0
      this.log(`${this._now} !heal`)
    })
  }

  /** Hands the node's core a local command at `at` (ignored if the node is not up then). */
  command(id: NodeId, cmd: C, at = this._now): void {
    const slot = this.slotOf(id)
    const ev = this.alloc(at, COMMAND, slot)
    ev.msg = cmd
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

  // ---- internals ---------------------------------------------------------------------------

  private dispatch(ev: SimEvent): void {
    switch (ev.kind) {
      case DELIVER: {
        const s = ev.slot!
        if (s.status === 'paused') return void s.deferred.push(ev)
        if (s.status !== 'up' || this.cut(ev.from, s)) {
          this.stats.dropped++
          break
        }
        this.stats.delivered++
        s.stats.received++
        const msg = ev.msg as M
        if (this.trace) this.log(`${this._now} ${ev.from}>${s.id} ${JSON.stringify(msg)}`)
        for (const l of this.deliveryListeners) l(this._now, ev.from, s.id, msg, ev.udp ? 'datagram' : 'stream')
        this.apply(s, s.core!.receive(ev.from, msg, this._now))
        break
      }
      case TIMER: {
        const s = ev.slot!
        if (s.epoch !== ev.epoch) break
        if (s.status === 'paused') return void s.deferred.push(ev)
        if (s.status !== 'up' || s.timers.get(ev.key) !== ev.gen) break
        s.timers.delete(ev.key)
        this.apply(s, s.core!.tick(ev.key, this._now))
        break
      }
      case START:
        this.doStart(ev.slot!)
        break
      case COMMAND: {
        const s = ev.slot!
        if (s.status === 'paused') return void s.deferred.push(ev)
        if (s.status === 'up' && s.core!.command) {
          this.log(`${this._now} ${s.id} !command ${JSON.stringify(ev.msg)}`)
          this.apply(s, s.core!.command(ev.msg, this._now))
        }
        break
      }
      case CONTROL:
        ev.fn!()
        break
    }
    this.release(ev)
  }

  private doStart(s: Slot): void {
    s.epoch++
    s.status = 'up'
    s.timers.clear()
    s.deferred = []
    s.core = s.factory({id: s.id, random: this.root.fork(`node:${s.id}#${s.restarts}`), now: this._now, restarts: s.restarts})
    this.log(`${this._now} ${s.id} !start ${s.restarts}`)
    this.apply(s, s.core.start(this._now))
  }

  private doCrash(s: Slot): void {
    if (s.status !== 'up' && s.status !== 'paused') return
    s.epoch++
    s.status = 'crashed'
    s.core = null
    s.timers.clear()
    for (const ev of s.deferred) this.release(ev)
    s.deferred = []
    this.log(`${this._now} ${s.id} !crash`)
  }

  private apply(s: Slot, out: Output<unknown, unknown>): void {
    const now = this._now
    for (let i = 0; i < out.cancel.length; i++) s.timers.delete(out.cancel[i]!)
    for (let i = 0; i < out.timers.length; i++) {
      const t = out.timers[i]!
      const gen = ++s.timerGen
      s.timers.set(t.key, gen)
      const ev = this.alloc(t.at > now ? t.at : now, TIMER, s)
      ev.epoch = s.epoch
      ev.key = t.key
      ev.gen = gen
      this.heap.push(ev)
    }
    for (let i = 0; i < out.send.length; i++) {
      const env = out.send[i]!
      this.transmit(s, env.to, env.msg, env.channel !== 'stream', env.bytes ?? 0)
    }
    if (out.events.length > 0) {
      for (let i = 0; i < out.events.length; i++) {
        const e = out.events[i] as E
        if (this.trace) this.log(`${now} ${s.id} ${JSON.stringify(e)}`)
        for (const l of this.eventListeners) l(now, s.id, e)
      }
    }
  }

  private transmit(from: Slot, to: NodeId, msg: unknown, udp: boolean, bytes: number): void {
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
    const target = this.slots.get(to)
    if (target === undefined || from.side !== target.side) {
      st.dropped++
      return
    }
    const link = this.overrides.size > 0 ? (this.overrides.get(from.id + '\u0000' + to) ?? this.link) : this.link
    const rng = this.netRng
    if (udp && link.loss > 0 && rng.next() < link.loss) {
      st.dropped++
      return
    }
    this.schedule(from.id, target, msg, udp, this._now + sampleDelay(link, rng))
    if (udp && link.duplicate > 0 && rng.next() < link.duplicate) {
      st.duplicated++
      this.schedule(from.id, target, msg, udp, this._now + sampleDelay(link, rng))
    }
  }

  private schedule(from: NodeId, to: Slot, msg: unknown, udp: boolean, at: number): void {
    const ev = this.alloc(at, DELIVER, to)
    ev.from = from
    ev.msg = msg
    ev.udp = udp
    this.heap.push(ev)
  }

  /** True when a partition separates `from` and `to` now. */
  private cut(from: NodeId, to: Slot): boolean {
    if (to.side === 0) return false
    const f = this.slots.get(from)
    return f !== undefined && f.side !== to.side
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
    return {at, seq: 0, kind, slot, epoch: 0, from: '', msg: undefined, key: '', gen: 0, udp: true, fn: null}
  }

  private release(ev: SimEvent): void {
    ev.slot = null
    ev.msg = undefined
    ev.fn = null
    ev.from = ''
    ev.key = ''
    this.pool.push(ev)
  }

  private log(line: string): void {
    if (this.trace) this.trace.push(line)
  }
}
