import type {Core, CoreContext, NodeId, Output, Recovered} from '../core/index.js'
import {parseRequest} from '../kv/index.js'
import {resolveShardConfig, type ResolvedShardConfig, type ShardConfig} from './config.js'
import {Copies, type CopyHost} from './copies.js'
import type {ShardCommand, ShardEvent} from './events.js'
import {isCopyMessage, onCopyMessage} from './holder.js'
import {Layout, type LayoutSpec} from './layout.js'
import {parseShardMessage, type ShardMessage, type ShardWire} from './messages.js'
import type {Part} from './part.js'
import {PendingWrites, type PendingWrite} from './pending.js'
import {decodeRecord, decodeSnapshot, encodeRecord, type ShardRecord} from './records.js'
import type {RingEntry} from './ring-state.js'
import {RingKeeper, type RingHost} from './ring-keeper.js'
import {serveRequest, type ServeContext} from './serve.js'
import {ShardState} from './state.js'
import {shardStatus, type ShardStatus} from './status.js'

/**
 * A shard node as a sans-IO core: it holds the partitions the ring gives it, answers the KV
 * client protocol for those it is the authority of, keeps R copies of every partition, and moves
 * partitions when the ring changes — paced, resumable, losing nothing across crashes of either
 * end. Run it beside a membership core (`shardComposition`), under the core name `kv` so that
 * KV clients reach it. docs/shard.md describes the protocol and its guarantees.
 *
 * This file holds the inputs and the decisions per partition (`advance`): which copies to keep
 * up to date, when to hand the authority over, when to drop a copy. The copy's side is in
 * holder.ts, the client's in serve.ts, the moves in copies.ts, the ring in ring-keeper.ts, the
 * durable state in state.ts and records.ts.
 */
export type ShardOutput = Output<ShardWire, ShardEvent>

interface Parked {
  p: number
  from: NodeId
  msg: unknown
}

export class ShardCore implements Core<ShardWire, ShardEvent, ShardCommand>, ServeContext, CopyHost, RingHost {
  readonly id: NodeId
  readonly cfg: ResolvedShardConfig
  readonly parts: Part[]
  readonly state: ShardState
  readonly copies: Copies
  readonly pending: PendingWrites
  readonly initialLayout: Layout
  readonly keeper: RingKeeper
  now = 0
  private readonly ring: ShardState['ring']
  private readonly restarts: number
  private parked: Parked[] = []
  /** The session of the copy a handoff was last sent on, per partition being handed over. */
  private readonly handoffSent = new Map<number, number>()
  private genCounter = 0
  private sinceSnapshot = 0
  private plans = 0
  private out: ShardOutput = output()

  constructor(ctx: CoreContext, config: ShardConfig) {
    this.id = ctx.id
    this.restarts = ctx.restarts
    this.cfg = resolveShardConfig(config)
    const spec: LayoutSpec = {partitions: this.cfg.partitions, replicas: this.cfg.replicas, algo: this.cfg.algo, vnodes: this.cfg.vnodes}
    const limits = {maxSessions: this.cfg.maxSessions, sessionTtl: this.cfg.sessionTtl, backlog: this.cfg.backlog}
    this.state = new ShardState(this.cfg.partitions, limits)
    this.parts = this.state.parts
    this.ring = this.state.ring
    this.copies = new Copies(this)
    this.pending = new PendingWrites(this.cfg.maxPending)
    this.initialLayout = new Layout(spec, this.cfg.initial)
    this.keeper = new RingKeeper(this, spec, ctx.random)
  }

  // ---- the contract ----------------------------------------------------------------------------

  start(now: number, recovered?: Recovered): ShardOutput {
    this.begin(now)
    const snapshot = recovered?.snapshot ?? null
    const records = recovered?.records ?? []
    if (snapshot !== null) this.state.load(decodeSnapshot(snapshot))
    for (const bytes of records) this.state.apply(decodeRecord(bytes))
    this.sinceSnapshot = records.length
    const first = snapshot === null && records.length === 0
    if (first) {
      // First start: the ring as configured, and (for the initial nodes) the partitions this node is first owner of.
      const ring = this.cfg.initial.map((id): [NodeId, number, 'in'] => [id, 1, 'in'])
      if (!this.cfg.initial.includes(this.id)) ring.push([this.id, 1, 'in'])
      this.record({t: 'ring', ring})
      const ps = this.parts.filter((_, p) => this.initialLayout.primaryOf(p) === this.id).map((x) => x.p)
      if (ps.length > 0) this.record({t: 'boot', ps})
    }
    let authority = 0
    let copies = 0
    let keys = 0
    for (const part of this.parts) {
      if (part.role === 'auth') authority++
      else if (part.role === 'holder') copies++
      keys += part.data.size
    }
    this.event({type: 'recovered', authority, copies, keys, records: records.length, snapshot: snapshot !== null, truncatedBytes: recovered?.truncatedBytes ?? 0})
    this.keeper.started(first)
    this.timer('plan', now + this.cfg.planInterval)
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
    else if (key === 'sync') this.keeper.sync()
    else if (key.startsWith('grace:')) this.keeper.graceOver(key.slice(6))
    return this.finish()
  }

  command(cmd: ShardCommand, now: number): ShardOutput {
    this.begin(now)
    if (cmd.type === 'member') this.keeper.onMember(cmd.event)
    else if (cmd.type === 'leave') this.keeper.startLeaving()
    return this.finish()
  }

  streamBroken(peer: NodeId, now: number): ShardOutput {
    this.begin(now)
    this.copies.broken(peer)
    return this.finish()
  }

  // ---- what the pieces use (ShardContext, CopyHost) ---------------------------------------------

  get layout(): Layout {
    return this.keeper.layout
  }

  get settling(): boolean {
    return this.now < this.keeper.settleUntil
  }

  get leaving(): boolean {
    return this.state.leaveIntent
  }

  get selfEntry(): RingEntry {
    return this.keeper.selfEntry
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

  cancel(key: string): void {
    this.out.cancel.push(key)
  }

  record(r: ShardRecord): void {
    this.state.apply(r)
    this.out.persist!.push({type: 'append', data: encodeRecord(r)})
    this.sinceSnapshot++
  }

  newGen(): number {
    return this.restarts * 4294967296 + ++this.genCounter
  }

  isDown(node: NodeId): boolean {
    return this.keeper.down.has(node)
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
    this.keeper.learn(node, e)
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
        this.keeper.learnAll(m.ring)
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
    if (this.state.leaveIntent && this.selfEntry.status === 'leaving' && this.parts.every((x) => x.role === 'none')) this.keeper.finishLeaving()
    this.timer('plan', this.now + this.cfg.planInterval)
  }

  // ---- durable state -----------------------------------------------------------------------------

  private begin(now: number): void {
    this.now = now
    this.out = output()
  }

  /** Ends an input: a snapshot instead of a longer log once the log outgrows the state. */
  private finish(): ShardOutput {
    if (this.sinceSnapshot >= this.cfg.snapshotEvery && this.sinceSnapshot >= this.state.keyCount()) {
      this.out.persist!.push({type: 'snapshot', data: encodeRecord(this.state.snapshot())})
      this.sinceSnapshot = 0
    }
    return this.out
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
    return shardStatus(this.id, this.parts, this.layout, this.copies, {pending: this.pending.size, parked: this.parked.length, leaving: this.state.leaveIntent, ring: this.ring.version(), settling: this.settling})
  }
}

function output(): ShardOutput {
  return {send: [], timers: [], cancel: [], events: [], persist: []}
}

/** A factory for hosts: `{cores: {membership: …, kv: shardCoreFactory({initial: ['n0', 'n1', 'n2']})}}`. */
export function shardCoreFactory(config: ShardConfig): (ctx: CoreContext) => ShardCore {
  resolveShardConfig(config)
  return (ctx) => new ShardCore(ctx, config)
}
