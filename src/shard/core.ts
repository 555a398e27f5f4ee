import type {Core, CoreContext, NodeId, Output, Random, Recovered} from '../core/index.js'
import {parseRequest} from '../kv/index.js'
import {resolveShardConfig, type ResolvedShardConfig, type ShardConfig} from './config.js'
import {Copies, type CopyHost} from './copies.js'
import type {ShardCommand, ShardEvent} from './events.js'
import {isCopyMessage, onCopyMessage} from './holder.js'
import {Layout, type LayoutSpec} from './layout.js'
import {parseShardMessage, type ShardMessage, type ShardWire} from './messages.js'
import {Part} from './part.js'
import {PendingWrites, type PendingWrite} from './pending.js'
import {decodeRecord, decodeSnapshot, encodeRecord, type ShardRecord, type ShardSnapshot} from './records.js'
import {formatTag, parseTag, RingState, SHARD_TAG, type RingEntry} from './ring-state.js'
import {serveRequest, type ServeContext} from './serve.js'

/**
 * A shard node as a sans-IO core: it holds the partitions the ring gives it, answers the KV
 * client protocol for those it is the authority of, keeps R copies of every partition, and moves
 * partitions when the ring changes — paced, resumable, losing nothing across crashes of either
 * end. Run it beside a membership core (`shardComposition`), under the core name `kv` so that
 * KV clients reach it. docs/shard.md describes the protocol and its guarantees.
 *
 * This file holds the node's state and its decisions per partition (`advance`): which copies to
 * keep up to date, when to hand the authority over, when to drop a copy. The copy's side is in
 * holder.ts, the client's in serve.ts, the moves in copies.ts, the records in records.ts.
 */
export type ShardOutput = Output<ShardWire, ShardEvent>

interface Parked {
  p: number
  from: NodeId
  msg: unknown
}

export class ShardCore implements Core<ShardWire, ShardEvent, ShardCommand>, ServeContext, CopyHost {
  readonly id: NodeId
  readonly cfg: ResolvedShardConfig
  readonly parts: Part[]
  readonly copies: Copies
  readonly pending: PendingWrites
  readonly initialLayout: Layout
  layout: Layout
  now = 0
  private readonly ring = new RingState()
  private readonly spec: LayoutSpec
  private readonly random: Random
  private readonly restarts: number
  private parked: Parked[] = []
  /** Members the failure detector holds dead or gone: no copy is opened to them. */
  private readonly down = new Set<NodeId>()
  /** The session of the copy a handoff was last sent on, per partition being handed over. */
  private readonly handoffSent = new Map<number, number>()
  private leaveIntent = false
  private leftReported = false
  /** The tag last announced to the membership core. */
  private announced = ''
  private settleUntil = 0
  private genCounter = 0
  private sinceSnapshot = 0
  private plans = 0
  private out: ShardOutput = output()

  constructor(ctx: CoreContext, config: ShardConfig) {
    this.id = ctx.id
    this.random = ctx.random
    this.restarts = ctx.restarts
    this.cfg = resolveShardConfig(config)
    this.spec = {partitions: this.cfg.partitions, replicas: this.cfg.replicas, algo: this.cfg.algo, vnodes: this.cfg.vnodes}
    const limits = {maxSessions: this.cfg.maxSessions, sessionTtl: this.cfg.sessionTtl, backlog: this.cfg.backlog}
    this.parts = Array.from({length: this.cfg.partitions}, (_, p) => new Part(p, limits))
    this.copies = new Copies(this)
    this.pending = new PendingWrites(this.cfg.maxPending)
    this.initialLayout = new Layout(this.spec, this.cfg.initial)
    this.layout = this.initialLayout
  }

  // ---- the contract ----------------------------------------------------------------------------

  start(now: number, recovered?: Recovered): ShardOutput {
    this.begin(now)
    const snapshot = recovered?.snapshot ?? null
    const records = recovered?.records ?? []
    if (snapshot !== null) this.load(decodeSnapshot(snapshot))
    for (const bytes of records) this.apply(decodeRecord(bytes))
    this.sinceSnapshot = records.length
    if (snapshot === null && records.length === 0) {
      // First start: the ring as configured, and (for the initial nodes) the partitions this node is first owner of.
      const ring = this.cfg.initial.map((id): [NodeId, number, 'in'] => [id, 1, 'in'])
      if (!this.cfg.initial.includes(this.id)) ring.push([this.id, 1, 'in'])
      this.record({t: 'ring', ring})
      const ps = this.parts.filter((_, p) => this.initialLayout.primaryOf(p) === this.id).map((x) => x.p)
      if (ps.length > 0) this.record({t: 'boot', ps})
    }
    this.layout = new Layout(this.spec, this.ring.members())
    this.settleUntil = now + this.cfg.settle
    let authority = 0
    let copies = 0
    let keys = 0
    for (const part of this.parts) {
      if (part.role === 'auth') authority++
      else if (part.role === 'holder') copies++
      keys += part.data.size
    }
    this.event({type: 'recovered', authority, copies, keys, records: records.length, snapshot: snapshot !== null, truncatedBytes: recovered?.truncatedBytes ?? 0})
    this.event({type: 'ring', version: this.ring.version(), members: [...this.layout.members]})
    // Taken out of the ring while down (deadGrace) and not leaving: back in at the next generation.
    const me = this.selfEntry
    if (!this.leaveIntent && me.status !== 'in') this.learn(this.id, {gen: me.gen + 1, status: 'in'})
    this.announce()
    if (this.leaveIntent && this.selfEntry.status === 'out') this.reportLeft()
    this.timer('plan', now + this.cfg.planInterval)
    this.timer('sync', now + this.random.next() * this.cfg.planInterval)
    return this.finish()
  }

  receive(from: NodeId, msg: ShardWire, now: number): ShardOutput {
    this.begin(now)
    if ((msg as {type?: unknown} | null)?.type === 'kv.req') serveRequest(this, from, msg)
    else {
      const m = parseShardMessage(msg, this.cfg.partitions)
      if (m !== null) this.onMessage(from, m)
    }
    return this.finish()
  }

  tick(key: string, now: number): ShardOutput {
    this.begin(now)
    if (key === 'plan') this.plan()
    else if (key === 'pace') this.copies.pace()
    else if (key === 'sync') this.sync()
    else if (key.startsWith('grace:')) this.graceOver(key.slice(6))
    return this.finish()
  }

  command(cmd: ShardCommand, now: number): ShardOutput {
    this.begin(now)
    if (cmd.type === 'member') this.onMember(cmd.event)
    else if (cmd.type === 'leave') this.startLeaving()
    return this.finish()
  }

  streamBroken(peer: NodeId, now: number): ShardOutput {
    this.begin(now)
    this.copies.broken(peer)
    return this.finish()
  }

  // ---- what the pieces use (ShardContext, CopyHost) ---------------------------------------------

  get settling(): boolean {
    return this.now < this.settleUntil
  }

  get leaving(): boolean {
    return this.leaveIntent
  }

  get selfEntry(): RingEntry {
    return this.ring.get(this.id) ?? {gen: 0, status: 'out'}
  }

  part(p: number): Part {
    return this.parts[p]!
  }

  send(to: NodeId, msg: ShardWire): void {
    this.out.send.push({to, msg, channel: 'stream'})
  }

  event(e: ShardEvent): void {
    this.out.events.push(e)
  }

  timer(key: string, at: number): void {
    this.out.timers.push({key, at})
  }

  record(r: ShardRecord): void {
    this.apply(r)
    this.out.persist!.push({type: 'append', data: encodeRecord(r)})
    this.sinceSnapshot++
  }

  newGen(): number {
    return this.restarts * 4294967296 + ++this.genCounter
  }

  isDown(node: NodeId): boolean {
    return this.down.has(node)
  }

  completed(done: PendingWrite[]): void {
    for (const w of done) this.send(w.to, {type: 'kv.res', req: w.req, result: w.result})
  }

  ackPending(p: number, from: NodeId, seq: number): PendingWrite[] {
    return this.pending.ack(p, from, seq)
  }

  forgetPending(node: NodeId, p?: number): PendingWrite[] {
    return this.pending.forget(node, p)
  }

  park(p: number, from: NodeId, msg: unknown): boolean {
    if (this.parked.length >= this.cfg.maxParked) return false
    this.parked.push({p, from, msg})
    return true
  }

  hint(p: number): NodeId | null {
    const ptr = this.parts[p]!.pointer
    if (ptr !== null && ptr.node !== this.id) return ptr.node
    const primary = this.layout.primaryOf(p)
    if (primary !== undefined && primary !== this.id) return primary
    for (const n of this.layout.widerOwnersOf(p)) if (n !== this.id) return n
    const first = this.initialLayout.primaryOf(p)
    return first !== undefined && first !== this.id ? first : null
  }

  learn(node: NodeId, e: RingEntry): void {
    if (this.ring.merge(node, e)) this.ringChanged()
  }

  // ---- messages between shard cores ------------------------------------------------------------

  private onMessage(from: NodeId, m: ShardMessage): void {
    if (isCopyMessage(m)) return onCopyMessage(this, from, m)
    switch (m.type) {
      case 'sh.state':
        this.copies.onState(from, m)
        return this.advance(m.p)
      case 'sh.ack':
        this.copies.onAck(from, m)
        return this.advance(m.p)
      case 'sh.took':
        return this.onTook(from, m.p, m.e)
      case 'sh.refuse':
        return this.onRefuse(from, m.p, m.e, m.gen)
      case 'sh.ask':
        return this.onAsk(from, m.p)
      case 'sh.ring':
        if (this.ring.mergeAll(m.ring)) this.ringChanged()
        if (m.pull) this.send(from, {type: 'sh.ring', ring: this.ring.tuples(), pull: false})
        return
    }
  }

  /** The receiver of a handoff made its claim durable: it is the authority; this node redirects to it. */
  private onTook(from: NodeId, p: number, e: number): void {
    const part = this.parts[p]!
    const h = part.handing
    if (part.role !== 'auth' || h === null || h.to !== from || h.epoch !== e) return
    this.record({t: 'hd', p, to: from, e})
    this.copies.release(p)
    this.handoffSent.delete(p)
    // The new authority acknowledged every write up to the handoff durably: they are held twice.
    this.completed(this.pending.flush(p))
    const keep: Parked[] = []
    for (const x of this.parked) {
      if (x.p !== p) keep.push(x)
      else {
        const q = parseRequest(x.msg)
        if (q !== null) this.send(x.from, {type: 'kv.res', req: q.req, result: {type: 'fail', error: 'not-leader', redirect: from, message: `partition ${p} was handed to ${from}`}})
      }
    }
    this.parked = keep
    this.event({type: 'handed', partition: p, to: from, epoch: e})
  }

  /** `from` is leaving: it takes no copy and no handoff. A refused handoff makes this node the authority again. */
  private onRefuse(from: NodeId, p: number, e: number, gen: number): void {
    this.learn(from, {gen, status: 'leaving'})
    const part = this.parts[p]!
    const h = part.handing
    if (part.role === 'auth' && h !== null && h.to === from && h.epoch === e) {
      this.record({t: 'x', p, e})
      this.handoffSent.delete(p)
      const waiting = this.parked.filter((x) => x.p === p)
      this.parked = this.parked.filter((x) => x.p !== p)
      for (const x of waiting) serveRequest(this, x.from, x.msg)
    }
    if (part.role === 'auth') this.copies.remove(p, from)
  }

  /** A copy the ring no longer wants asks whether to keep it. */
  private onAsk(from: NodeId, p: number): void {
    const part = this.parts[p]!
    if (part.role !== 'auth') {
      const ptr = part.pointer
      if (ptr !== null && ptr.node !== from) this.send(from, {type: 'sh.where', p, e: ptr.epoch, node: ptr.node})
      return
    }
    if (part.handing !== null || this.settling) return
    const owners = this.layout.ownersOf(p)
    if (owners.includes(from)) {
      this.copies.ensure(p, from)
      return
    }
    if (!this.copies.get(p, from) && owners.every((o) => o === this.id || this.copies.get(p, o)?.inSync)) {
      this.send(from, {type: 'sh.drop', p, e: part.epoch})
    }
  }

  // ---- decisions --------------------------------------------------------------------------------

  /**
   * One step for a partition this node is the authority of: keep the ring's owners' copies up to
   * date; once they all are, hand the authority to the ring's primary if that is another node,
   * or else drop the copies the ring no longer wants. So the old owner deletes only after the new
   * owners acknowledged a complete copy durably, and the authority moves only to a node that
   * holds every write.
   */
  private advance(p: number): void {
    const part = this.parts[p]!
    if (part.role !== 'auth') return
    const h = part.handing
    if (h !== null) {
      const c = this.copies.ensure(p, h.to, h.epoch)
      if (c.inSync && this.handoffSent.get(p) !== c.g) {
        this.handoffSent.set(p, c.g)
        const holders = [this.id, ...[...this.copies.of(p).keys()].filter((n) => n !== h.to)]
        this.send(h.to, {type: 'sh.handoff', p, e: h.epoch, g: c.g, s: part.seq, holders})
      }
      return
    }
    if (this.settling) return
    const owners = this.layout.ownersOf(p)
    let ready = true
    for (const o of owners) {
      if (o === this.id) continue
      if (!this.copies.ensure(p, o).inSync) ready = false
    }
    if (!ready) return
    const primary = owners[0]
    if (primary !== undefined && primary !== this.id) {
      this.record({t: 'h', p, to: primary, e: part.epoch + 1})
      this.event({type: 'handing', partition: p, to: primary, epoch: part.epoch})
      return this.advance(p)
    }
    for (const node of [...this.copies.of(p).keys()]) {
      if (owners.includes(node)) continue
      this.send(node, {type: 'sh.drop', p, e: part.epoch})
      this.copies.remove(p, node)
    }
  }

  private plan(): void {
    this.plans++
    for (const part of this.parts) if (part.role === 'auth') this.advance(part.p)
    // Now and then a copy the ring no longer wants asks its authority (a drop may have been lost in a crash).
    if (this.plans % 10 === 0 && !this.settling) {
      for (const part of this.parts) {
        if (part.role !== 'holder' || this.layout.ownersOf(part.p).includes(this.id)) continue
        const to = this.hint(part.p)
        if (to !== null) this.send(to, {type: 'sh.ask', p: part.p, e: part.epoch})
      }
    }
    if (this.leaveIntent && this.selfEntry.status === 'leaving' && this.parts.every((x) => x.role === 'none')) {
      this.learn(this.id, {gen: this.selfEntry.gen, status: 'out'})
      this.reportLeft()
    }
    this.timer('plan', this.now + this.cfg.planInterval)
  }

  // ---- the ring ---------------------------------------------------------------------------------

  private onMember(ev: {type: string; member: NodeId; tags?: Record<string, string>}): void {
    const m = ev.member
    if (m === this.id) return
    switch (ev.type) {
      case 'join':
      case 'alive':
      case 'update': {
        this.down.delete(m)
        this.out.cancel.push(`grace:${m}`)
        const e = parseTag(ev.tags?.[SHARD_TAG])
        if (e !== null) this.learn(m, e)
        return
      }
      case 'dead':
        this.down.add(m)
        if (Number.isFinite(this.cfg.deadGrace)) this.timer(`grace:${m}`, this.now + this.cfg.deadGrace)
        return
      case 'leave':
        this.down.add(m)
        return
    }
  }

  /** A member dead for `deadGrace`: out of the ring (it comes back at a new generation when it returns). */
  private graceOver(m: NodeId): void {
    const e = this.ring.get(m)
    if (this.down.has(m) && e !== undefined && e.status === 'in') this.learn(m, {gen: e.gen, status: 'out'})
  }

  private ringChanged(): void {
    const me = this.selfEntry
    // Taken out of the ring by others (deadGrace) while this node is not leaving: come back at the next generation.
    if (!this.leaveIntent && me.status !== 'in') this.ring.merge(this.id, {gen: me.gen + 1, status: 'in'})
    this.record({t: 'ring', ring: this.ring.tuples()})
    this.layout = new Layout(this.spec, this.ring.members())
    this.settleUntil = this.now + this.cfg.settle
    this.event({type: 'ring', version: this.ring.version(), members: [...this.layout.members]})
    this.announce()
  }

  /** Spreads this node's ring entry in its membership tags, when it changed since the last time. */
  private announce(): void {
    const tag = formatTag(this.selfEntry)
    if (tag === this.announced) return
    this.announced = tag
    this.event({type: 'announce', tags: {[SHARD_TAG]: tag}})
  }

  private sync(): void {
    const peers = this.ring.tuples().filter(([id, , s]) => id !== this.id && s !== 'out' && !this.down.has(id))
    if (peers.length > 0) this.send(peers[this.random.int(peers.length)]![0], {type: 'sh.ring', ring: this.ring.tuples(), pull: true})
    this.timer('sync', this.now + this.cfg.ringSync)
  }

  private startLeaving(): void {
    if (this.leaveIntent) return
    this.record({t: 'leave'})
    this.event({type: 'leaving'})
    this.learn(this.id, {gen: this.selfEntry.gen, status: 'leaving'})
  }

  private reportLeft(): void {
    if (this.leftReported) return
    this.leftReported = true
    this.event({type: 'left'})
  }

  // ---- durable state -----------------------------------------------------------------------------

  private apply(r: ShardRecord): void {
    switch (r.t) {
      case 'w':
        return this.parts[r.p]!.applyWrite(r.e, r.w)
      case 'r':
        return this.parts[r.p]!.reset(r.e, r.g, r.s, r.ss, r.from)
      case 'b':
        this.parts[r.p]!.applyBatch(r.n, r.kv)
        return
      case 'f':
        return this.parts[r.p]!.filled()
      case 'c':
        return this.parts[r.p]!.claim(r.e)
      case 'boot':
        for (const p of r.ps) this.parts[p]!.claim(1)
        return
      case 'h':
        return this.parts[r.p]!.startHanding(r.to, r.e)
      case 'hd':
        return this.parts[r.p]!.handed(r.to, r.e)
      case 'x':
        return this.parts[r.p]!.cancelHanding(r.e)
      case 'd':
        this.parts[r.p]!.drop(r.e, r.from)
        return
      case 'ring':
        this.ring.mergeAll(r.ring)
        return
      case 'leave':
        this.leaveIntent = true
        return
    }
  }

  private load(s: ShardSnapshot): void {
    this.ring.mergeAll(s.ring)
    this.leaveIntent = s.leave
    for (const x of s.parts) {
      const part = this.parts[x.p]!
      part.role = x.r
      part.epoch = x.e
      part.seq = x.s
      part.complete = x.c
      part.gen = x.g
      part.batches = x.n
      part.lastTook = x.lt
      part.handing = x.h ? {to: x.h[0], epoch: x.h[1]} : null
      part.pointer = x.ptr ? {node: x.ptr[0], epoch: x.ptr[1]} : null
      for (const [k, v, ver] of x.kv) part.data.set(k, {v, ver})
      part.loadSessions(x.ss)
    }
  }

  private snapshot(): ShardSnapshot {
    const parts = this.parts
      .filter((x) => !x.blank)
      .map((x) => ({
        p: x.p,
        r: x.role,
        e: x.epoch,
        s: x.seq,
        c: x.complete,
        g: x.gen,
        n: x.batches,
        lt: x.lastTook,
        ...(x.handing ? {h: [x.handing.to, x.handing.epoch] as [NodeId, number]} : {}),
        ...(x.pointer ? {ptr: [x.pointer.node, x.pointer.epoch] as [NodeId, number]} : {}),
        kv: x.keyTuples(),
        ss: x.sessionTuples(),
      }))
    return {v: 1, ring: this.ring.tuples(), leave: this.leaveIntent, parts}
  }

  private begin(now: number): void {
    this.now = now
    this.out = output()
  }

  /** Ends an input: a snapshot instead of a longer log once the log outgrows the state. */
  private finish(): ShardOutput {
    if (this.sinceSnapshot >= this.cfg.snapshotEvery && this.sinceSnapshot >= this.keyCount()) {
      this.out.persist!.push({type: 'snapshot', data: encodeRecord(this.snapshot())})
      this.sinceSnapshot = 0
    }
    return this.out
  }

  private keyCount(): number {
    let n = 0
    for (const part of this.parts) n += part.data.size
    return n
  }

  // ---- inspection (tests, the host's status, dtk ring verify) ---------------------------------------

  /** Every key this node holds a copy of, with its version (the seq of the write that set it). */
  holdings(): [string, number][] {
    const out: [string, number][] = []
    for (const part of this.parts) for (const [k, e] of part.data) out.push([k, e.ver])
    return out
  }

  /** The members this node places partitions on, and its ring's fingerprint. */
  ringView(): {version: string; members: NodeId[]; entries: [NodeId, number, string][]} {
    return {version: this.ring.version(), members: [...this.layout.members], entries: this.ring.tuples()}
  }

  status(): ShardStatus {
    let authority = 0
    let copies = 0
    let handing = 0
    let keys = 0
    let misplacedAuthority = 0
    let extraCopies = 0
    let unsynced = 0
    for (const part of this.parts) {
      keys += part.data.size
      if (part.role === 'holder') copies++
      if (part.role !== 'auth') continue
      authority++
      if (part.handing) handing++
      const owners = this.layout.ownersOf(part.p)
      if (owners[0] !== this.id) misplacedAuthority++
      for (const [node, c] of this.copies.of(part.p)) {
        if (!owners.includes(node)) extraCopies++
        else if (!c.inSync) unsynced++
      }
      for (const o of owners) if (o !== this.id && !this.copies.get(part.p, o)) unsynced++
    }
    const busy = this.copies.busy
    return {
      authority,
      copies,
      keys,
      handing,
      moving: busy.moving,
      queued: busy.queued,
      opening: busy.opening,
      pending: this.pending.size,
      parked: this.parked.length,
      leaving: this.leaveIntent,
      ring: this.ring.version(),
      members: this.layout.members.length,
      settled: !this.settling && handing === 0 && misplacedAuthority === 0 && extraCopies === 0 && unsynced === 0 && busy.moving + busy.queued + busy.opening === 0,
    }
  }
}

export interface ShardStatus {
  /** Partitions this node serves, and partitions it holds a plain copy of. */
  authority: number
  copies: number
  keys: number
  handing: number
  moving: number
  queued: number
  opening: number
  pending: number
  parked: number
  leaving: boolean
  ring: string
  members: number
  /** Nothing left to do as far as this node can tell: every partition it serves is where the ring wants it, with its R copies in sync. */
  settled: boolean
}

function output(): ShardOutput {
  return {send: [], timers: [], cancel: [], events: [], persist: []}
}

/** A factory for hosts: `{cores: {membership: …, kv: shardCoreFactory({initial: ['n0', 'n1', 'n2']})}}`. */
export function shardCoreFactory(config: ShardConfig): (ctx: CoreContext) => ShardCore {
  resolveShardConfig(config)
  return (ctx) => new ShardCore(ctx, config)
}
