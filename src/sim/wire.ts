import type {Envelope, NodeId} from '../core/index.js'
import {Rng} from '../random/index.js'
import {MemoryTrace, type DropReason, type TraceRecord, type TraceSink} from '../trace/index.js'
import {idealClock} from './clock.js'
import {EventHeap} from './heap.js'
import {defaultLink, resolveLink, sampleDelay, type ResolvedLink} from './network.js'
import {resolveStreams, StreamTable, type Conn} from './streams.js'
import {BROKEN, DELIVER, type CoreSlot, type SimEvent, type SimStats, type SimulatorOptions, type Slot} from './types.js'

/**
 * The simulator's wire: the event heap and its pooled entries, node clocks, and every message on
 * its way — datagrams (delay, loss, duplication, partitions) and streams (FIFO, breaks, who is
 * told). `Simulator` builds the nodes, the inputs and the Ready rule on top.
 */
export abstract class SimWire {
  readonly stats: SimStats = {processed: 0, delivered: 0, dropped: 0, duplicated: 0, sentUdp: 0, sentTcp: 0, bytesUdp: 0, bytesTcp: 0, persisted: 0, syncs: 0, streamBreaks: 0}
  protected _now = 0
  protected readonly root: Rng
  protected readonly netRng: Rng
  protected readonly heap = new EventHeap<SimEvent>()
  protected readonly slots = new Map<NodeId, Slot>()
  protected readonly pool: SimEvent[] = []
  protected link: ResolvedLink
  protected readonly overrides = new Map<string, ResolvedLink>()
  protected readonly tracer: TraceSink | null
  /** With `trace: true`, the records kept in memory. */
  protected readonly memory: TraceRecord[] | undefined
  protected readonly streams: StreamTable<Slot>

  constructor(opts: SimulatorOptions) {
    this.root = new Rng(opts.seed)
    this.netRng = this.root.fork('network')
    this.link = resolveLink(opts.network, defaultLink)
    this.streams = new StreamTable(resolveStreams(opts.streams))
    if (opts.trace === true) {
      const m = new MemoryTrace()
      this.tracer = m
      this.memory = m.records
    } else {
      this.tracer = opts.trace || null
      this.memory = undefined
    }
  }

  // ---- internals: the network ----------------------------------------------------------------

  protected transmit(from: Slot, cs: CoreSlot, env: Envelope<unknown>): void {
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

  protected transmitStream(from: Slot, cs: CoreSlot, target: Slot | undefined, ci: number, env: Envelope<unknown>, mid: number, lc: number, bytes: number): void {
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
    // Its position on the stream, for the in-order guard on delivery.
    this.schedule(from.id, target, ci, cs.name, env.msg, false, at, mid, lc, conn, false).gen = conn.a === from ? ++conn.sentAB : ++conn.sentBA
  }

  /** Breaks `c` now: in-flight messages on it will be dropped; each live end is told after the detection delay. */
  protected breakConn(c: Conn<Slot>, cause: 'crash' | 'partition' | 'fault' | 'refused'): void {
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
  protected tell(c: Conn<Slot>, s: Slot, epoch: number, at: number): boolean {
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

  protected schedule(from: NodeId, to: Slot, ci: number, core: string, msg: unknown, udp: boolean, at: number, mid: number, lc: number, conn: Conn<Slot> | null, dup: boolean): SimEvent {
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
    return ev
  }

  protected drop(ev: SimEvent, s: Slot, reason: DropReason): void {
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

  protected traceSend(from: Slot, cs: CoreSlot, env: Envelope<unknown>, mid: number, lc: number, bytes: number, ch: 'datagram' | 'stream', conn: number | undefined): void {
    const r: TraceRecord = {k: 'send', t: this._now, lt: this.local(from), node: from.id, core: cs.name, id: `${from.id}:${mid}`, to: env.to, ch, lc, bytes, msg: env.msg}
    if (conn !== undefined) r.conn = conn
    this.tracer!.record(r)
  }

  protected traceSendDrop(from: Slot, cs: CoreSlot, to: NodeId, mid: number, ch: 'datagram' | 'stream', reason: DropReason): void {
    this.tracer!.record({k: 'drop', t: this._now, node: to, core: cs.name, id: `${from.id}:${mid}`, from: from.id, ch, reason})
  }

  /** True when a partition separates `from` and `to` now. */
  protected cut(from: NodeId, to: Slot): boolean {
    if (to.side === 0) return false
    const f = this.slots.get(from)
    return f !== undefined && f.side !== to.side
  }


  /** The node's clock now, never behind what its cores already saw. */
  protected local(s: Slot): number {
    const c = s.clock
    // An ideal clock is global time, which never goes back and reaches every timer it set.
    if (c === idealClock) return this._now
    const t = this._now * c.rate + c.offset
    if (t < s.lastLocal) return s.lastLocal
    s.lastLocal = t
    return t
  }

  protected alloc(at: number, kind: number, slot: Slot | null): SimEvent {
    const ev = this.pool.pop()
    if (ev !== undefined) {
      ev.at = at
      ev.kind = kind
      ev.slot = slot
      return ev
    }
    return {at, seq: 0, kind, slot, epoch: 0, from: '', msg: undefined, key: '', gen: 0, udp: true, fn: null, ci: 0, mid: 0, lc: 0, conn: null, dup: false, lat: 0}
  }

  protected release(ev: SimEvent): void {
    ev.slot = null
    ev.msg = undefined
    ev.fn = null
    ev.from = ''
    ev.key = ''
    ev.conn = null
    this.pool.push(ev)
  }
}
