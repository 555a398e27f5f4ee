import type {NodeId, Output, Random} from '../core/index.js'
import {OutputBuilder} from './output.js'
import {encodedSize} from './size.js'
import {Ticker} from './ticker.js'
import {MAX_INCARNATION} from './validate.js'
import {memberView as view, type Detector, type DetectorCommand, type DetectorKind, type Member, type MemberRecord, type MemberState, type MembershipEvent, type Tags} from './types.js'

/**
 * The classic baseline both `heartbeat` and `phi` share: every node sends a heartbeat to every
 * member it knows each interval, and judges each member by when it last heard from it. The load
 * is N − 1 messages per node per interval, O(N²) for the cluster — the cost SWIM was designed to
 * avoid. Membership is learned by exchanging member lists (TCP) with the seeds on start and with
 * one random member every `syncInterval`, and from any heartbeat from a stranger. A dead member
 * is forgotten `reconnectTimeout` after its conviction and a member that left `tombstoneTimeout`
 * after its leave (Serf's reaper, as in the SWIM core), so the table stays bounded.
 */

export type AllToAllMessage =
  | {type: 'hb'; inc: number; tags?: Tags}
  | {type: 'hello'; reply: boolean; inc: number; tags: Tags; members: {id: NodeId; inc: number; tags: Tags}[]}
  | {type: 'leave'; inc: number}

/** How a detector turns arrival times into a verdict. */
export interface Judge {
  /** A heartbeat (or first knowledge) of `id` at `now`; `sample` false for first knowledge, which is not an arrival interval. */
  heard(id: NodeId, now: number, sample: boolean): void
  isDead(id: NodeId, now: number): boolean
  forget(id: NodeId): void
}

export interface AllToAllOptions {
  id: NodeId
  random: Random
  seeds?: NodeId[]
  tags?: Tags
  members?: NodeId[]
  /** Heartbeat period (ms). */
  interval: number
  /** Member-list exchange period (ms). */
  syncInterval: number
  /** Forget a dead member this long after it was declared dead, one that left this long after it left (ms). */
  reconnectTimeout: number
  tombstoneTimeout: number
}

type Rec = MemberRecord

const HB_BYTES = 12

export class AllToAllCore implements Detector<AllToAllMessage> {
  readonly id: NodeId
  private readonly rng: Random
  private readonly seeds: NodeId[]
  private readonly b = new OutputBuilder<AllToAllMessage, MembershipEvent>()
  private readonly recs = new Map<NodeId, Rec>()
  private readonly list: Rec[] = []
  private now = 0
  private inc = 0
  private tags: Tags
  private leaving = false
  private selfChange = 0
  /** The heartbeat and sync loops, parked while there is nobody to beat to or sync with (ticker.ts). */
  private readonly beatTicker = new Ticker()
  private readonly syncTicker = new Ticker()

  constructor(
    readonly kind: DetectorKind,
    private readonly opts: AllToAllOptions,
    private readonly judge: Judge,
  ) {
    this.id = opts.id
    this.rng = opts.random
    this.seeds = (opts.seeds ?? []).filter((s) => s !== opts.id)
    this.tags = {...(opts.tags ?? {})}
  }

  members(): Member[] {
    return this.list.map(view)
  }

  member(id: NodeId): Member | undefined {
    const r = this.recs.get(id)
    return r && view(r)
  }

  self(): Member {
    return {id: this.id, state: this.leaving ? 'left' : 'alive', incarnation: this.inc, tags: {...this.tags}, lastChange: this.selfChange}
  }

  start(now: number): Output<AllToAllMessage, MembershipEvent> {
    this.b.begin()
    this.now = this.selfChange = now
    for (const id of this.opts.members ?? []) if (id !== this.id && !this.recs.has(id)) this.learn(id, 0, {})
    this.b.timer('beat', now + this.rng.next() * this.opts.interval)
    this.b.timer('sync', now + this.opts.syncInterval)
    for (const s of this.seeds) this.sendHello(s, false)
    return this.b.out
  }

  receive(from: NodeId, msg: AllToAllMessage, now: number): Output<AllToAllMessage, MembershipEvent> {
    this.b.begin()
    this.now = now
    switch (msg.type) {
      case 'hb':
        this.heardFrom(from, msg.inc, msg.tags, true)
        break
      case 'hello':
        this.heardFrom(from, msg.inc, msg.tags, false)
        for (const m of msg.members) if (m.id !== this.id && !this.recs.has(m.id)) this.learn(m.id, m.inc, m.tags)
        if (!msg.reply) this.sendHello(from, true)
        break
      case 'leave': {
        const r = this.recs.get(from)
        if (r && r.state !== 'left') {
          r.inc = Math.max(r.inc, msg.inc)
          this.setState(r, 'left')
          this.judge.forget(from)
          this.b.event({type: 'leave', member: from, incarnation: r.inc})
        }
        break
      }
    }
    return this.b.out
  }

  tick(key: string, now: number): Output<AllToAllMessage, MembershipEvent> {
    this.b.begin()
    this.now = now
    if (key === 'beat' && !this.leaving) {
      const hb: AllToAllMessage = {type: 'hb', inc: this.inc}
      // Dead members still get heartbeats: that is how they come back after a partition heals.
      for (const r of this.list) if (r.state !== 'left') this.b.send(r.id, hb, 'datagram', HB_BYTES)
      for (const r of this.list) {
        if (r.state === 'alive' && this.judge.isDead(r.id, now)) {
          this.setState(r, 'dead')
          this.b.event({type: 'dead', member: r.id, incarnation: r.inc, by: this.id})
        }
      }
      this.reap()
      // Nobody to beat to (every member forgotten): wait for one.
      if (this.list.length === 0) this.beatTicker.park(now, this.opts.interval)
      else this.b.timer('beat', now + this.opts.interval)
    } else if (key === 'sync' && !this.leaving) {
      const alive = this.list.filter((r) => r.state === 'alive')
      const to = alive.length > 0 ? alive[this.rng.int(alive.length)]!.id : this.seeds.length > 0 ? this.seeds[this.rng.int(this.seeds.length)] : undefined
      if (to !== undefined) this.sendHello(to, false)
      if (alive.length === 0 && this.seeds.length === 0) this.syncTicker.park(now, this.opts.syncInterval)
      else this.b.timer('sync', now + this.opts.syncInterval)
    }
    return this.b.out
  }

  /** Forgets dead members past reconnectTimeout and members that left past tombstoneTimeout (Serf's reap). */
  private reap(): void {
    let kept = 0
    for (const r of this.list) {
      const limit = r.state === 'dead' ? this.opts.reconnectTimeout : r.state === 'left' ? this.opts.tombstoneTimeout : Infinity
      if (this.now - r.lastChange >= limit) {
        this.recs.delete(r.id)
        this.judge.forget(r.id)
        this.b.event({type: 'forget', member: r.id, incarnation: r.inc})
      } else this.list[kept++] = r
    }
    this.list.length = kept
  }

  /** A member is (again) alive: parked loops resume on their old phase. */
  private wake(): void {
    if (this.leaving) return
    if (this.beatTicker.parked) this.b.timer('beat', this.beatTicker.wake(this.now))
    if (this.syncTicker.parked) this.b.timer('sync', this.syncTicker.wake(this.now))
  }

  command(cmd: DetectorCommand, now: number): Output<AllToAllMessage, MembershipEvent> {
    this.b.begin()
    this.now = now
    if (cmd.type === 'leave' && !this.leaving) {
      this.leaving = true
      this.selfChange = now
      for (const r of this.list) if (r.state !== 'left') this.b.send(r.id, {type: 'leave', inc: this.inc}, 'datagram', HB_BYTES)
    } else if (cmd.type === 'set-tags' && !this.leaving) {
      // Refused while leaving (peers would see left, then alive again).
      this.tags = {...cmd.tags}
      this.inc = Math.min(MAX_INCARNATION, this.inc + 1)
      this.selfChange = now
      const hb: AllToAllMessage = {type: 'hb', inc: this.inc, tags: this.tags}
      const bytes = encodedSize(hb)
      for (const r of this.list) if (r.state !== 'left') this.b.send(r.id, hb, 'datagram', bytes)
    }
    return this.b.out
  }

  private heardFrom(id: NodeId, inc: number, tags: Tags | undefined, sample: boolean): void {
    let r = this.recs.get(id)
    if (!r) r = this.learn(id, inc, tags ?? {})
    else {
      if (r.state === 'dead' || (r.state === 'left' && inc > r.inc)) {
        // The outage is not an inter-arrival sample: start the history afresh.
        this.judge.forget(id)
        sample = false
        r.inc = Math.max(r.inc, inc)
        this.setState(r, 'alive')
        this.b.event({type: 'alive', member: id, incarnation: r.inc, tags: r.tags})
        this.wake()
      }
      if (inc > r.inc) {
        r.inc = inc
        if (tags) {
          r.tags = tags
          r.lastChange = this.now
          this.b.event({type: 'update', member: id, incarnation: inc, tags})
        }
      }
    }
    if (r.state !== 'left') this.judge.heard(id, this.now, sample)
  }

  private learn(id: NodeId, inc: number, tags: Tags): Rec {
    const r: Rec = {id, state: 'alive', inc, tags, lastChange: this.now}
    this.recs.set(id, r)
    this.list.push(r)
    this.judge.heard(id, this.now, false)
    this.b.event({type: 'join', member: id, incarnation: inc, tags})
    this.wake()
    return r
  }

  private setState(r: Rec, s: MemberState): void {
    r.state = s
    r.lastChange = this.now
  }

  private sendHello(to: NodeId, reply: boolean): void {
    const members = this.list.filter((r) => r.state === 'alive').map((r) => ({id: r.id, inc: r.inc, tags: r.tags}))
    const msg: AllToAllMessage = {type: 'hello', reply, inc: this.inc, tags: this.tags, members}
    this.b.send(to, msg, 'stream', encodedSize(msg))
  }
}

