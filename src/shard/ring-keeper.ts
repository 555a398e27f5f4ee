import type {NodeId, Random} from '../core/index.js'
import type {MembershipEvent} from '../gossip/index.js'
import type {ResolvedShardConfig} from './config.js'
import type {ShardEvent} from './events.js'
import {Layout, type LayoutSpec} from './layout.js'
import type {ShardWire} from './messages.js'
import type {ShardRecord} from './records.js'
import {formatTag, parseTag, SHARD_TAG, type RingEntry} from './ring-state.js'
import type {ShardState} from './state.js'

/**
 * A shard node's view of the ring (ring-state.ts has the rules of entries): what it learns from
 * the membership core's events (tags, deaths), from ring exchanges with peers and from refusals;
 * its own entry (announced in its tags; a node taken out while away comes back at the next
 * generation; the operator's leave); the layout the core places partitions with; and the settle
 * period after each change, during which no move, handoff or drop starts.
 */
export interface RingHost {
  readonly id: NodeId
  readonly cfg: ResolvedShardConfig
  readonly now: number
  readonly state: ShardState
  record(r: ShardRecord): void
  event(e: ShardEvent): void
  timer(key: string, at: number): void
  cancel(key: string): void
  send(to: NodeId, msg: ShardWire): void
}

export class RingKeeper {
  /** Members the failure detector holds dead or gone: no copy is opened to them. */
  readonly down = new Set<NodeId>()
  layout: Layout
  settleUntil = 0
  /** The tag last announced to the membership core. */
  private announced = ''
  private leftReported = false

  constructor(
    private readonly host: RingHost,
    private readonly spec: LayoutSpec,
    private readonly random: Random,
  ) {
    this.layout = new Layout(spec, host.cfg.initial)
  }

  get selfEntry(): RingEntry {
    return this.host.state.ring.get(this.host.id) ?? {gen: 0, status: 'out'}
  }

  /**
   * After start: the layout of the recovered ring; back in if taken out while away; announce.
   * A restart waits `settle` before moving anything (its peers may have changed the ring
   * meanwhile); an initial node's first start does not: every node starts from the same ring,
   * and the copies are in sync at once while every partition is still empty.
   */
  started(firstStart: boolean): void {
    const h = this.host
    this.layout = new Layout(this.spec, h.state.ring.members())
    this.settleUntil = firstStart && h.cfg.initial.includes(h.id) ? h.now : h.now + h.cfg.settle
    h.event({type: 'ring', version: h.state.ring.version(), members: [...this.layout.members]})
    const me = this.selfEntry
    if (!h.state.leaveIntent && me.status !== 'in') this.learn(h.id, {gen: me.gen + 1, status: 'in'})
    this.announce()
    if (h.state.leaveIntent && me.status === 'out') this.reportLeft()
    h.timer('sync', h.now + this.random.next() * h.cfg.planInterval)
  }

  learn(node: NodeId, e: RingEntry): void {
    if (this.host.state.ring.merge(node, e)) this.changed()
  }

  learnAll(tuples: Parameters<ShardState['ring']['mergeAll']>[0]): void {
    if (this.host.state.ring.mergeAll(tuples)) this.changed()
  }

  onMember(ev: MembershipEvent): void {
    const h = this.host
    const m = ev.member
    if (m === h.id) return
    switch (ev.type) {
      case 'join':
      case 'alive':
      case 'update': {
        this.down.delete(m)
        h.cancel(`grace:${m}`)
        const e = parseTag(ev.tags?.[SHARD_TAG])
        if (e !== null) this.learn(m, e)
        return
      }
      case 'dead':
        this.down.add(m)
        if (Number.isFinite(h.cfg.deadGrace)) h.timer(`grace:${m}`, h.now + h.cfg.deadGrace)
        return
      case 'leave':
        this.down.add(m)
        return
    }
  }

  /** A member dead for `deadGrace`: out of the ring (it comes back at a new generation when it returns). */
  graceOver(m: NodeId): void {
    const e = this.host.state.ring.get(m)
    if (this.down.has(m) && e !== undefined && e.status === 'in') this.learn(m, {gen: e.gen, status: 'out'})
  }

  /** Exchanges rings with a random member now and then (a fresh failure detector never hears of members gone before it started). */
  sync(): void {
    const h = this.host
    const ring = h.state.ring
    const peers = ring.tuples().filter(([id, , s]) => id !== h.id && s !== 'out' && !this.down.has(id))
    if (peers.length > 0) h.send(peers[this.random.int(peers.length)]![0], {type: 'sh.ring', ring: ring.tuples(), pull: true})
    h.timer('sync', h.now + h.cfg.ringSync)
  }

  startLeaving(): void {
    const h = this.host
    if (h.state.leaveIntent) return
    h.record({t: 'leave'})
    h.event({type: 'leaving'})
    this.learn(h.id, {gen: this.selfEntry.gen, status: 'leaving'})
  }

  /** Leaving, and holding nothing any more: out of the ring, and out of the membership. */
  finishLeaving(): void {
    this.learn(this.host.id, {gen: this.selfEntry.gen, status: 'out'})
    this.reportLeft()
  }

  private changed(): void {
    const h = this.host
    const ring = h.state.ring
    const me = this.selfEntry
    // Taken out of the ring by others (deadGrace) while this node is not leaving: come back at the next generation.
    if (!h.state.leaveIntent && me.status !== 'in') ring.merge(h.id, {gen: me.gen + 1, status: 'in'})
    h.record({t: 'ring', ring: ring.tuples()})
    this.layout = new Layout(this.spec, ring.members())
    this.settleUntil = h.now + h.cfg.settle
    h.event({type: 'ring', version: ring.version(), members: [...this.layout.members]})
    this.announce()
  }

  /** Spreads this node's ring entry in its membership tags, when it changed since the last time. */
  private announce(): void {
    const tag = formatTag(this.selfEntry)
    if (tag === this.announced) return
    this.announced = tag
    this.host.event({type: 'announce', tags: {[SHARD_TAG]: tag}})
  }

  private reportLeft(): void {
    if (this.leftReported) return
    this.leftReported = true
    this.host.event({type: 'left'})
  }
}
