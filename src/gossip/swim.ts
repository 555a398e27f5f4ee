import type {NodeId, Output, Random} from '../core/index.js'
import {Awareness} from './awareness.js'
import {BroadcastQueue, retransmitLimit} from './broadcast-queue.js'
import {pushPullScale, resolveSwimConfig, type SwimConfig} from './config.js'
import {envelopeSize, updateSize, type MemberSnapshot, type SwimMessage, type Update} from './messages.js'
import {OutputBuilder} from './output.js'
import {ProbeRing, ringKey} from './probe-ring.js'
import {encodedSize, intSize, strSize} from './size.js'
import {Suspicion, suspicionBounds, type SuspicionBounds} from './suspicion.js'
import {isLive, memberView as view, type Detector, type DetectorBaseOptions, type DetectorCommand, type Member, type MemberRecord, type MemberState, type MembershipEvent, type Tags} from './types.js'

/**
 * SWIM (Das, Gupta, Motivala, DSN 2002) with HashiCorp's Lifeguard extensions, as a sans-IO core
 * in the shape of hashicorp/memberlist's state.go: a probe loop, indirect probes with nacks,
 * suspicion with incarnation numbers, piggybacked infection-style dissemination, a gossip fanout,
 * and TCP push-pull state sync. Timers used: `probe`, `probe-timeout`, `gossip`, `push-pull`,
 * `reconnect`, `suspect:<id>`, `nack:<seq>`.
 */

export interface SwimOptions extends DetectorBaseOptions {
  config?: Partial<SwimConfig>
}

interface Rec extends MemberRecord {
  suspicion: Suspicion | null
  /** This record as a push-pull snapshot entry, shared by every snapshot until it changes (see `snapshot`). */
  snap: MemberSnapshot | null
  /** `snapshotSize(snap)`. */
  snapBytes: number
  /** Index in `ids` / `recList` / `codes`. */
  pos: number
  /** Place on the probe ring (`ringKey(id)`). */
  ringKey: number
}

interface Probe {
  seq: number
  target: NodeId
  acked: boolean
  expectedNacks: number
  nacks: number
}

/**
 * Process-wide dense numbering of member ids, shared by every core in the process (one in a node,
 * a thousand in the simulator). Only a lookup accelerator: nothing iterates in this order, so it
 * cannot change a run. It grows with the distinct ids ever seen, which is the cluster's history.
 */
const ids = new Map<NodeId, number>()
function internId(id: NodeId): number {
  let i = ids.get(id)
  if (i === undefined) {
    i = ids.size
    ids.set(id, i)
  }
  return i
}

const EMPTY_TAGS: Tags = Object.freeze({}) as Tags

/** A helper nacks this fraction of ProbeTimeout after a ping-req (see the 'ping-req' case). */
const NACK_AFTER = 0.8

/** Bytes of corrections of stale accusations answered per message received (an alive update is ~30 bytes plus tags). */
const MAX_CORRECTION_BYTES = 512

/** State codes (`SwimCore.codes`). */
const ALIVE = 1
const SUSPECT = 2
const DEAD = 3
const LEFT = 4
function code(s: MemberState): number {
  return s === 'alive' ? ALIVE : s === 'suspect' ? SUSPECT : s === 'dead' ? DEAD : LEFT
}

/** What `randomMembers` picks: alive members; dead ones (reconnect); gossip targets (live, or dead within GossipToTheDeadTime). */
type Pick = 0 | 1 | 2
const PICK_ALIVE = 0
const PICK_DEAD = 1
const PICK_GOSSIP = 2


function sameTags(a: Tags, b: Tags): boolean {
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  for (const k of ka) if (a[k] !== b[k]) return false
  return true
}

export class SwimCore implements Detector<SwimMessage> {
  readonly kind = 'swim' as const
  readonly id: NodeId
  readonly config: SwimConfig
  private readonly rng: Random
  private readonly seeds: NodeId[]
  private readonly b = new OutputBuilder<SwimMessage, MembershipEvent>()
  private readonly awareness: Awareness
  private readonly queue = new BroadcastQueue<Update>()
  /**
   * Every member's record by interned id (see `internId`): the hot lookup of every piggybacked
   * update. A small process-wide map plus a dense array beats one hash map per core, whose
   * tables at 1000 simulated cores no longer fit any cache.
   */
  private readonly byIndex: (Rec | undefined)[] = []
  /** Every other member ever known, for uniform random choice. */
  private readonly ids: NodeId[] = []
  /**
   * recList[i] is the record of ids[i], in the order first learned (for views and snapshots);
   * codes[i] its state as a small integer (see `code`), read without touching the record.
   */
  private readonly recList: Rec[] = []
  private codes = new Uint8Array(64)
  /** Alive + suspect members other than self. */
  private live = 0
  /** Members in state dead (reconnect candidates). */
  private dead = 0
  private now = 0
  private inc = 0
  private tags: Tags
  private leaving = false
  private selfChange = 0
  /** The aligned probe schedule (with `sharedClock`; see probe-ring.ts). */
  private readonly ring: ProbeRing<Rec>
  /** memberlist's shuffled walk of our own (without `sharedClock`). */
  private probeOrder: Rec[] = []
  private probeIdx = 0
  private probe: Probe | null = null
  private seq = 0
  /** Indirect probes we run for others: our ping seq → the requester and its seq. */
  private readonly indirect = new Map<number, {requester: NodeId; seq: number}>()
  /** A gossip round is scheduled (timer set, or due at the end of this input). */
  private gossipArmed = false
  /** The round is due now: run it once this input's updates are all queued. */
  private gossipDue = false
  private lastGossip = -Infinity
  /** When the armed gossip timer fires. */
  private gossipAt = Infinity
  private readonly initial: NodeId[]

  constructor(opts: SwimOptions) {
    this.initial = opts.members ?? []
    this.id = opts.id
    this.rng = opts.random
    this.seeds = (opts.seeds ?? []).filter((s) => s !== opts.id)
    this.tags = {...(opts.tags ?? {})}
    this.config = resolveSwimConfig(opts.profile ?? 'lan', opts.config)
    // Without Lifeguard the multiplier is pinned at ×1.
    this.awareness = new Awareness(this.config.lifeguard ? this.config.awarenessMaxMultiplier : 1)
    const selfRec: Rec = {id: this.id, state: 'alive', inc: 0, tags: EMPTY_TAGS, lastChange: 0, suspicion: null, snap: null, snapBytes: 0, pos: -1, ringKey: ringKey(this.id)}
    this.ring = new ProbeRing(selfRec)
  }

  /** incs[i]: the incarnation held for interned id i, −1 when unknown (mirrors Rec.inc; checked first). */
  private incs = new Float64Array(0)

  private setInc(r: Rec, inc: number): void {
    r.inc = inc
    this.setIncAt(ids.get(r.id)!, inc)
  }

  private setIncAt(i: number, inc: number): void {
    if (i >= this.incs.length) {
      const grown = new Float64Array(Math.max(64, 2 * i + 2)).fill(-1)
      grown.set(this.incs)
      this.incs = grown
    }
    this.incs[i] = inc
  }

  private rec(id: NodeId): Rec | undefined {
    const i = ids.get(id)
    return i === undefined ? undefined : this.byIndex[i]
  }

  // ---- views -------------------------------------------------------------------------------

  members(): Member[] {
    const r: Member[] = []
    for (const m of this.recList) r.push(view(m))
    return r
  }

  member(id: NodeId): Member | undefined {
    const m = this.rec(id)
    return m && view(m)
  }

  self(): Member {
    return {id: this.id, state: this.leaving ? 'left' : 'alive', incarnation: this.inc, tags: {...this.tags}, lastChange: this.selfChange}
  }

  /** The local health multiplier's score (0 = healthy), for observers and tests. */
  health(): number {
    return this.awareness.health()
  }

  /** Estimated cluster size: live members plus self (memberlist's estNumNodes). */
  clusterSize(): number {
    return this.live + 1
  }

  /** Updates waiting to be piggybacked. */
  pendingBroadcasts(): number {
    return this.queue.length
  }

  // ---- inputs ------------------------------------------------------------------------------

  start(now: number): Output<SwimMessage, MembershipEvent> {
    this.b.begin()
    this.now = this.selfChange = now
    const c = this.config
    for (const id of this.initial) if (id !== this.id && this.rec(id) === undefined) this.addMember(id, 0, EMPTY_TAGS)
    // Announce ourselves; the update spreads as soon as we know anyone.
    if (this.initial.length === 0) this.broadcast({kind: 'alive', node: this.id, inc: this.inc, tags: this.tags})
    // A phase of our own, so that N nodes started together do not probe in lock-step: the
    // ring's (its hash of our id) when aligned, else a random one as memberlist's ticker has.
    this.b.timer('probe', c.sharedClock ? this.ring.nextTickAt(now, c.probeInterval) : now + this.rng.next() * c.probeInterval)
    this.b.timer('push-pull', now + pushPullScale(c.pushPullInterval, this.clusterSize()))
    this.b.timer('reconnect', now + c.reconnectInterval)
    // Join: a full state exchange with every seed (memberlist Join → pushPullNode(join=true)).
    for (const s of this.seeds) this.sendPushPull(s, true, false)
    return this.done()
  }

  receive(from: NodeId, msg: SwimMessage, now: number): Output<SwimMessage, MembershipEvent> {
    this.b.begin()
    this.now = now
    switch (msg.type) {
      case 'ping': {
        if (msg.target !== this.id) break
        this.merge(msg.updates)
        const updates: Update[] = []
        // dtk extension of the Lifeguard Buddy System: a pinger we believe suspect or
        // dead is told so first in our ack, so it can refute at once.
        if (this.config.lifeguard) {
          const r = this.rec(from)
          if (r && (r.state === 'suspect' || r.state === 'dead')) updates.push({kind: r.state, node: from, inc: r.inc, from: this.id})
        }
        // Stale accusations the pinger carried are answered in the ack itself (see `merge`).
        for (const c of this.corrections) updates.push(c)
        this.corrections.length = 0
        this.sendUpdates(from, {type: 'ack', seq: msg.seq, updates})
        break
      }
      case 'ack':
        this.merge(msg.updates)
        this.sendCorrections(from)
        this.onAck(msg.seq)
        break
      case 'ping-req': {
        // SWIM §3.1: probe the target on the requester's behalf, relay its ack.
        this.merge(msg.updates)
        this.sendCorrections(from)
        const seq = ++this.seq
        this.indirect.set(seq, {requester: from, seq: msg.seq})
        this.sendUpdates(msg.target, {type: 'ping', seq, target: msg.target, updates: []})
        // Lifeguard (Local Health Aware Probe): if the target stays silent, say so (nack) so the
        // requester knows that we, at least, are alive and reachable. memberlist nacks after a
        // full ProbeTimeout; the requester sent the ping-req one ProbeTimeout into its period
        // (LAN: 0.5 of 1 s), so that nack lands on the period's end and nearly always misses it:
        // every probe of a crashed member then counts against the prober's own health (+k), and
        // after a crash the survivors slow their probing for seconds, just when probes matter.
        // Nacking at NACK_AFTER of the timeout lands it inside the period.
        this.b.timer(`nack:${seq}`, now + NACK_AFTER * this.config.probeTimeout)
        break
      }
      case 'nack':
        if (this.probe && this.probe.seq === msg.seq) this.probe.nacks++
        break
      case 'gossip':
        this.merge(msg.updates)
        this.sendCorrections(from)
        break
      case 'push-pull':
        this.mergeState(msg.states, from)
        if (!msg.reply) this.sendPushPull(from, msg.join, true)
        break
    }
    return this.done()
  }

  tick(key: string, now: number): Output<SwimMessage, MembershipEvent> {
    this.b.begin()
    this.now = now
    const c = this.config
    switch (key) {
      case 'probe': {
        // The period this tick belongs to, on the aligned schedule (ticks are due on it exactly).
        const j = this.ring.periodAt(now, c.probeInterval)
        this.finishProbe()
        if (!this.leaving) this.startProbe(j)
        // Still alone with seeds to try (the seed was down or the reply lost): retry the join
        // every period rather than wait for the push-pull interval.
        if (this.live === 0 && !this.leaving && this.seeds.length > 0) this.sendPushPull(this.seeds[this.rng.int(this.seeds.length)]!, true, false)
        // Lifeguard (Local Health Aware Probe): an unhealthy node probes less often (it skips
        // periods of the aligned schedule; the others' probes cover its targets meanwhile).
        const next = this.awareness.scale(c.probeInterval)
        this.b.timer('probe', c.sharedClock ? this.ring.tickAt(j, c.probeInterval) + next : now + next)
        break
      }
      case 'probe-timeout':
        this.indirectProbe()
        break
      case 'gossip':
        this.gossip(true)
        break
      case 'push-pull': {
        if (this.leaving) break
        const peer = this.randomMember(PICK_ALIVE)
        // Alone (a failed join, or everyone else gone)? Try the seeds again.
        const to = peer ?? (this.live === 0 && this.seeds.length > 0 ? this.seeds[this.rng.int(this.seeds.length)]! : undefined)
        if (to !== undefined) this.sendPushPull(to, false, false)
        this.b.timer('push-pull', now + pushPullScale(c.pushPullInterval, this.clusterSize()))
        break
      }
      case 'reconnect': {
        if (this.leaving) break
        // Serf's reconnect: talk to one member we consider dead. After a partition heals this is
        // what merges the two views: each side learns it was declared dead and refutes.
        const peer = this.dead > 0 ? this.randomMember(PICK_DEAD) : undefined
        if (peer !== undefined) this.sendPushPull(peer, false, false)
        this.b.timer('reconnect', now + c.reconnectInterval)
        break
      }
      default:
        if (key.startsWith('suspect:')) this.suspicionExpired(key.slice(8))
        else if (key.startsWith('recheck:')) this.recheck(key.slice(8))
        else if (key.startsWith('nack:')) {
          const seq = Number(key.slice(5))
          const ind = this.indirect.get(seq)
          if (ind) {
            this.indirect.delete(seq)
            this.b.send(ind.requester, {type: 'nack', seq: ind.seq}, 'datagram', 16)
          }
        }
    }
    return this.done()
  }

  command(cmd: DetectorCommand, now: number): Output<SwimMessage, MembershipEvent> {
    this.b.begin()
    this.now = now
    switch (cmd.type) {
      case 'leave':
        if (this.leaving) break
        // memberlist Leave: a dead message about ourselves from ourselves means "left".
        this.leaving = true
        this.version++
        this.selfChange = now
        this.broadcast({kind: 'dead', node: this.id, inc: this.inc, from: this.id})
        this.b.cancel('probe-timeout')
        this.probe = null
        break
      case 'set-tags':
        // New metadata needs a new incarnation to override the old alive message everywhere.
        this.tags = {...cmd.tags}
        this.inc++
        this.version++
        this.selfChange = now
        this.broadcast({kind: 'alive', node: this.id, inc: this.inc, tags: this.tags})
        break
    }
    return this.done()
  }

  // ---- failure detection (SWIM §3.1, §4.3) -------------------------------------------------

  /** SWIM §4.3: round-robin, which bounds the time to first probe of a failed member; aligned across members unless configured off. */
  private nextTarget(j: number): Rec | undefined {
    if (this.config.sharedClock) return this.ring.target(j)
    for (let attempts = 0; attempts <= this.probeOrder.length + 1; attempts++) {
      if (this.probeIdx >= this.probeOrder.length) {
        const order: Rec[] = []
        for (let i = 0; i < this.recList.length; i++) if (this.codes[i] === ALIVE || this.codes[i] === SUSPECT) order.push(this.recList[i]!)
        this.probeOrder = this.rng.shuffle(order)
        this.probeIdx = 0
        if (this.probeOrder.length === 0) return undefined
      }
      const r = this.probeOrder[this.probeIdx++]!
      if (r.state === 'alive' || r.state === 'suspect') return r
    }
    return undefined
  }

  private startProbe(j: number): void {
    const r = this.nextTarget(j)
    if (!r) return
    const seq = ++this.seq
    this.probe = {seq, target: r.id, acked: false, expectedNacks: 0, nacks: 0}
    const updates: Update[] = []
    // Lifeguard Buddy System: probing a suspect carries the suspicion to it first, so a
    // live suspect learns of it and refutes without waiting for gossip to reach it.
    if (this.config.lifeguard && r.state === 'suspect') updates.push(this.accusation(r))
    this.sendUpdates(r.id, {type: 'ping', seq, target: r.id, updates})
    this.b.timer('probe-timeout', this.now + this.awareness.scale(this.config.probeTimeout))
  }

  private onAck(seq: number): void {
    const p = this.probe
    if (p && p.seq === seq) {
      if (!p.acked) {
        p.acked = true
        this.b.cancel('probe-timeout')
        // Lifeguard (Local Health Aware Probe): every successful probe is evidence of our own health.
        this.awareness.applyDelta(-1)
      }
      return
    }
    const ind = this.indirect.get(seq)
    if (ind) {
      this.indirect.delete(seq)
      this.b.cancel(`nack:${seq}`)
      this.sendUpdates(ind.requester, {type: 'ack', seq: ind.seq, updates: []})
    }
  }

  /** SWIM §3.1: no direct ack in time; ask k members to probe the target for us. */
  private indirectProbe(): void {
    const p = this.probe
    if (!p || p.acked) return
    const helpers = this.randomMembers(this.config.indirectChecks, PICK_ALIVE, p.target)
    for (const h of helpers) this.sendUpdates(h, {type: 'ping-req', seq: p.seq, target: p.target, updates: []})
    p.expectedNacks = helpers.length
  }

  /** The probe period is over: no ack means suspect (SWIM §4.2). */
  private finishProbe(): void {
    const p = this.probe
    this.probe = null
    if (!p || p.acked) return
    if (this.config.lifeguard) {
      // Lifeguard (Local Health Aware Probe) (memberlist probeNode): missing nacks from helpers point at our own
      // trouble; with no helpers to judge by, any failed probe counts against us.
      this.awareness.applyDelta(p.expectedNacks > 0 ? Math.max(0, p.expectedNacks - p.nacks) : 1)
    }
    const r = this.rec(p.target)
    if (r && isLive(r.state)) this.onSuspect(this.accusation(r))
  }

  private suspicionExpired(id: NodeId): void {
    const r = this.rec(id)
    if (!r || r.state !== 'suspect') return
    this.onDead({kind: 'dead', node: id, inc: r.inc, from: this.id})
  }

  // ---- membership rules (SWIM §4.2; memberlist aliveNode/suspectNode/deadNode) ---------------

  private merge(updates: Update[]): void {
    this.corrections.length = 0
    for (let i = 0; i < updates.length; i++) {
      const u = updates[i]!
      if (u.kind === 'alive') this.onAlive(u)
      else if (u.kind === 'suspect') this.onSuspect(u)
      else this.onDead(u)
    }
  }

  /**
   * Alive updates answering stale accusations in the message being merged, for its sender.
   *
   * SWIM §4.2 orders a member's states by incarnation: a suspect or dead message at an older
   * incarnation than an alive one we hold has been refuted, and its sender, still spreading it,
   * has evidently not heard the refutation. Infection-style gossip with a bounded retransmit
   * count (RetransmitMult · ceil(log10(N + 1)), memberlist's TransmitLimitedQueue) leaves such
   * a member now and then — at 5–10 % loss and N ≈ 100, a refutation sent ~8 times per node
   * misses some node every few minutes — and that node then holds an unconfirmed suspicion for
   * Lifeguard's maximum timeout (6 × the minimum, ≈ 48 s) and declares a live member dead. The
   * suspect itself could not help: it ignores accusations below its own incarnation (memberlist
   * suspectNode/deadNode do too), even when the accuser tells it so directly in a Buddy System
   * probe. memberlist's only remedy is the push-pull anti-entropy (every 90 s at N = 100), too
   * rare for a 48 s window. dtk answers the sender at once with the newer alive message —
   * piggybacked on the ack for a ping, else in one small gossip datagram — so every member still
   * spreading a refuted accusation is corrected by the first member that knows better, the
   * suspect included (targeted anti-entropy, nothing sent while views agree).
   */
  private readonly corrections: Update[] = []

  /** A suspect/dead update about `node` at incarnation `inc` was stale: queue the alive that refutes it. */
  private correct(node: NodeId, inc: number, tags: Tags): void {
    const c = this.corrections
    // An extension, so plain SWIM (lifeguard: false) stays as published.
    if (!this.config.lifeguard) return
    let bytes = 0
    for (let i = 0; i < c.length; i++) {
      if (c[i]!.node === node) return
      bytes += updateSize(c[i]!)
    }
    const u: Update = {kind: 'alive', node, inc, tags}
    if (bytes + updateSize(u) <= MAX_CORRECTION_BYTES) c.push(u)
  }

  private sendCorrections(to: NodeId): void {
    if (this.corrections.length === 0) return
    const updates = this.corrections.slice()
    this.corrections.length = 0
    this.sendUpdates(to, {type: 'gossip', updates})
  }

  /** Push-pull merge: a remote "dead" only makes us suspect (memberlist mergeState), so the member gets its chance to refute. */
  private mergeState(states: MemberSnapshot[], from: NodeId): void {
    for (let i = 0; i < states.length; i++) {
      const s = states[i]!
      if (s.state === 'alive') {
        // onAlive's common case, without building an update: known, nothing newer. (`incs` is
        // re-read: adding a member may grow it.)
        const ix = s.id === this.id ? undefined : ids.get(s.id)
        if (ix !== undefined && ix < this.incs.length && s.inc <= this.incs[ix]!) continue
        this.onAlive({kind: 'alive', node: s.id, inc: s.inc, tags: s.tags})
      } else if (s.state === 'left') this.onDead({kind: 'dead', node: s.id, inc: s.inc, from: s.id})
      else this.onSuspect({kind: 'suspect', node: s.id, inc: s.inc, from})
    }
    // A push-pull is already a two-way exchange of full state: nothing to correct separately.
    this.corrections.length = 0
  }

  private onAlive(u: Update): void {
    if (u.node === this.id) {
      // Someone spreads a newer "us" than we are (we restarted and forgot): out-number it.
      if (u.inc > this.inc && !this.leaving) this.refute(u.inc)
      return
    }
    // The common case by far (every copy of an update after the first): known, nothing newer.
    const ix = ids.get(u.node)
    if (ix !== undefined && ix < this.incs.length && u.inc <= this.incs[ix]!) return
    const r = this.rec(u.node)
    if (!r) {
      this.addMember(u.node, u.inc, u.tags ?? EMPTY_TAGS)
      this.broadcast(u)
      return
    }
    // SWIM §4.2: only a higher incarnation overrides what we know.
    if (u.inc <= r.inc) return
    const prev = r.state
    this.setInc(r, u.inc)
    this.version++
    const tagsChanged = u.tags !== undefined && !sameTags(u.tags, r.tags)
    if (u.tags !== undefined) r.tags = u.tags
    if (prev !== 'alive') {
      this.clearSuspicion(r)
      this.setState(r, 'alive')
      this.b.event({type: 'alive', member: r.id, incarnation: r.inc, tags: r.tags})
    } else if (tagsChanged) {
      r.lastChange = this.now
      this.b.event({type: 'update', member: r.id, incarnation: r.inc, tags: r.tags})
    }
    // News that clears an accusation travels on the leading edge (see `broadcast`).
    this.broadcast(u, prev !== 'alive' && this.config.lifeguard)
  }

  private addMember(id: NodeId, inc: number, tags: Tags): void {
    this.version++
    const rec: Rec = {id, state: 'alive', inc, tags, lastChange: this.now, suspicion: null, snap: null, snapBytes: 0, pos: this.ids.length, ringKey: ringKey(id)}
    const ix = internId(id)
    this.byIndex[ix] = rec
    this.setIncAt(ix, inc)
    const pos = rec.pos
    if (pos >= this.codes.length) {
      const grown = new Uint8Array(2 * this.codes.length)
      grown.set(this.codes)
      this.codes = grown
    }
    this.codes[pos] = ALIVE
    this.ids.push(id)
    this.recList.push(rec)
    this.live++
    if (this.config.sharedClock) this.ring.add(rec)
    else {
      // memberlist: a new member goes to a random place in the probe order, so it is probed this round.
      const n = this.probeOrder.length
      this.probeOrder.push(rec)
      if (n > 0) {
        const j = this.rng.int(n + 1)
        this.probeOrder[n] = this.probeOrder[j]!
        this.probeOrder[j] = rec
      }
    }
    this.b.event({type: 'join', member: id, incarnation: inc, tags})
  }

  /**
   * SWIM §4.2: an accusation of this node (suspect or dead) is answered, never believed: refute it
   * with a higher incarnation, or, if it is older than our incarnation, tell the sender what is
   * current. Lifeguard (Local Health Aware Probe): being accused hints that we are the slow one,
   * so `refute` raises our health score too.
   */
  private answerAccusation(u: Update): void {
    if (this.leaving) return
    if (u.inc >= this.inc) this.refute(u.inc)
    else this.correct(this.id, this.inc, this.tags)
  }

  private onSuspect(u: Update): void {
    const from = u.from ?? u.node
    if (u.node === this.id) return this.answerAccusation(u)
    const r = this.rec(u.node)
    if (r && u.inc < r.inc && r.state === 'alive') this.correct(r.id, r.inc, r.tags)
    if (!r || u.inc < r.inc || r.state === 'dead' || r.state === 'left') return
    if (r.state === 'suspect' && u.inc === r.inc) {
      // Lifeguard (Local Health Aware Suspicion): an independent confirmation shortens the timeout; re-gossip it so
      // others count it too.
      if (r.suspicion && r.suspicion.confirm(from)) {
        this.b.timer(`suspect:${r.id}`, r.suspicion.deadline())
        // Passed on with the instant of the suspicion as we time it (whatever the sender wrote).
        this.broadcast(this.stamped(u, r.suspicion.start), this.config.lifeguard)
      }
      return
    }
    // A suspicion at a higher incarnation than the one we hold is a new suspicion (the member
    // refuted the old one, and we may never see that refutation since it carries this same
    // incarnation): start afresh rather than let the old timer kill the member.
    this.setInc(r, u.inc)
    this.version++
    if (r.state !== 'suspect') this.setState(r, 'suspect')
    const start = this.suspicionStart(u.at)
    r.suspicion = new Suspicion(from, start, this.bounds())
    // Passed on with the instant we time it from (a push-pull's "dead" comes without one).
    u = this.stamped(u, start)
    this.b.timer(`suspect:${r.id}`, r.suspicion.deadline())
    if (this.config.lifeguard) this.b.timer(`recheck:${r.id}`, this.now + r.suspicion.bounds.min * (0.25 + 0.25 * this.rng.next()))
    this.b.event({type: 'suspect', member: r.id, incarnation: r.inc, by: from})
    // Every holder's timer runs from the moment it hears (and counts confirmations from then):
    // an accusation and its confirmations travel on the leading edge too (see `broadcast`).
    this.broadcast(u, this.config.lifeguard)
  }

  private onDead(u: Update): void {
    const from = u.from ?? u.node
    if (u.node === this.id) return this.answerAccusation(u)
    const r = this.rec(u.node)
    const left = from === u.node
    if (r && u.inc < r.inc && r.state === 'alive' && !left) this.correct(r.id, r.inc, r.tags)
    // A member's own leave outranks our verdict on it at the same incarnation (Serf moves a failed
    // member to left on its leave intent): a member we declared dead may have been alive all
    // along, across a partition, and say goodbye before its refutation reached us.
    const deadThenLeft = left && r?.state === 'dead'
    if (!r || u.inc < r.inc || (r.state === 'dead' && !deadThenLeft) || r.state === 'left') return
    this.clearSuspicion(r)
    this.setInc(r, u.inc)
    this.version++
    this.setState(r, left ? 'left' : 'dead')
    this.b.event(left ? {type: 'leave', member: r.id, incarnation: r.inc} : {type: 'dead', member: r.id, incarnation: r.inc, by: from})
    // A verdict is final news: the members still waiting on their own timers learn it at once.
    this.broadcast(u, this.config.lifeguard)
  }

  /**
   * Our accusation of `r` (a failed probe, a buddy-system ping): a suspect update carrying the
   * instant of the suspicion we already hold, or now.
   */
  private accusation(r: Rec): Update {
    const u: Update = {kind: 'suspect', node: r.id, inc: r.inc, from: this.id}
    if (this.config.sharedClock) u.at = r.suspicion && r.state === 'suspect' ? r.suspicion.start : Math.round(this.now)
    return u
  }

  /**
   * When a suspicion we just heard of began. memberlist starts each holder's timer on hearing,
   * so the verdict reaches the last holder up to the accusation's gossip spread (0.3–0.6 s at
   * N = 50) after the first; timing every holder from the accuser's instant makes them all
   * decide together. That instant is on the shared clock (see probe-ring.ts), trusted only up to
   * one probe interval back (more than a suspicion's spread; a skewed or lying clock cannot
   * shorten the refutation window by more) and never in our future.
   */
  /** `u` carrying `start` as its instant (a copy only when it differs; none without a shared clock). */
  private stamped(u: Update, start: number): Update {
    return this.config.sharedClock && u.at !== start ? {...u, at: start} : u
  }

  private suspicionStart(at: number | undefined): number {
    if (!this.config.sharedClock || typeof at !== 'number' || !Number.isFinite(at)) return this.now
    return Math.max(this.now - this.config.probeInterval, Math.min(this.now, at))
  }

  private refute(accused: number): void {
    this.inc = Math.max(this.inc, accused) + 1
    this.version++
    this.selfChange = this.now
    if (this.config.lifeguard) this.awareness.applyDelta(1)
    this.broadcast({kind: 'alive', node: this.id, inc: this.inc, tags: this.tags}, this.config.lifeguard)
  }

  private bounds(): SuspicionBounds {
    const c = this.config
    const b = suspicionBounds(this.clusterSize(), c.probeInterval, c.suspicionMult, c.suspicionMaxTimeoutMult)
    // Plain SWIM: one fixed timeout, no confirmations needed.
    return c.lifeguard ? b : {min: b.min, max: b.min, k: 0}
  }

  private clearSuspicion(r: Rec): void {
    if (r.suspicion) {
      r.suspicion = null
      this.b.cancel(`suspect:${r.id}`)
      if (this.config.lifeguard) this.b.cancel(`recheck:${r.id}`)
    }
  }

  /**
   * Lifeguard Buddy System, made certain: every member holding a suspicion pings the suspect
   * itself, carrying the suspicion, once between ¼ and ½ of the minimum suspicion timeout and
   * then every half minimum until the suspicion ends. The paper's buddy system (memberlist
   * probeNode) only piggybacks the suspicion on a probe the round-robin happens to send, and a
   * given member probes a given suspect within the timeout only with probability ≈ timeout / (N·T)
   * (under ½ for the 48 s maximum at N = 100). A live suspect answers in the ack with its
   * refutation — a fresh one if this is news to it, else its current alive message (see
   * `corrections`) — so a member that missed the refutation's gossip (which reaches everyone only
   * with high probability) learns it before its timer can fire. This ping is not a probe: its
   * silence proves nothing and counts for nothing (no confirmation, no health penalty), so a
   * slow member is not accused harder. It carries nothing else, and costs one small ping (and
   * ack) per suspicion and holder every half minimum timeout, nothing while no one is suspected.
   */
  private recheck(id: NodeId): void {
    const r = this.rec(id)
    if (!r || r.state !== 'suspect' || !r.suspicion || this.leaving) return
    // Only the suspicion: queued updates are not spent on a member that may well be gone (or
    // across a partition), which would starve their spread among the living.
    const msg: SwimMessage = {type: 'ping', seq: ++this.seq, target: id, updates: [this.accusation(r)]}
    this.b.send(id, msg, 'datagram', envelopeSize(msg) + updateSize(msg.updates[0]!))
    const half = r.suspicion.bounds.min / 2
    this.b.timer(`recheck:${id}`, this.now + half * (0.75 + 0.5 * this.rng.next()))
  }

  private setState(r: Rec, s: MemberState): void {
    const flipped = isLive(s) !== isLive(r.state)
    this.live += (isLive(s) ? 1 : 0) - (isLive(r.state) ? 1 : 0)
    this.dead += (s === 'dead' ? 1 : 0) - (r.state === 'dead' ? 1 : 0)
    r.state = s
    if (flipped && this.config.sharedClock) this.ring.changed(r)
    this.codes[r.pos] = code(s)
    r.lastChange = this.now
    this.version++
  }

  // ---- dissemination (SWIM §4.1) -----------------------------------------------------------

  /**
   * Queues an update and makes sure a gossip round will carry it. memberlist runs gossip() on a
   * free-running GossipInterval ticker, so news waits a random 0–200 ms (LAN) at each hop. dtk
   * keeps no idle timer: the first update queued arms a round one interval later, which batches
   * whatever else arrives meanwhile (under loss, bursts of suspicions) but is the ticker's worst
   * phase, a full 200 ms per hop — the "alive again" steps of 200 ms seen on real processes,
   * 0.6–0.75 s at N = 50. So `urgent` updates, the ones that clear an accusation (a refutation,
   * and an alive message about a member we held suspect or dead), use a leading-edge rate
   * limit instead: if the last round was at least GossipInterval ago the round runs at the end
   * of the current input, else at last round + GossipInterval. Never more than one round per
   * interval, as with memberlist's ticker; with fanout GossipNodes = 3 the first wave of a
   * refutation reaches ≈ 94 % of the members within milliseconds (1 − s = 1 − e^(−3(1−s))), and
   * the next round, one interval later, nearly all of the rest.
   *
   * Accusations are urgent too (with Lifeguard): a new suspicion, a confirmation that moved a
   * deadline, and a dead verdict. At a full 200 ms per hop a suspicion took 0.5–0.8 s to reach
   * every member at N = 50, and each member's timer (and its count of confirmations) runs from
   * the moment it hears; the dead verdict then took as long again, so most survivors hit their
   * own, later timers before the verdict reached them and "every survivor" trailed the first
   * detection by 0.3–1 s on real processes and in the simulator alike. Only the timing changes:
   * the suspicion timeouts, the confirmations needed and the one-round-per-interval limit stand.
   */
  private broadcast(u: Update, urgent = false): void {
    this.queue.enqueue(u.node, u, updateSize(u))
    const soonest = this.lastGossip + this.config.gossipInterval
    if (urgent && soonest <= this.now) {
      this.gossipDue = true
      this.gossipArmed = true
    } else if (!this.gossipArmed || (urgent && soonest < this.gossipAt)) {
      this.gossipArmed = true
      this.gossipAt = urgent ? soonest : this.now + this.config.gossipInterval
      this.b.timer('gossip', this.gossipAt)
    }
  }

  /** Ends an input: runs a gossip round that became due during it, then hands out the output. */
  private done(): Output<SwimMessage, MembershipEvent> {
    if (this.gossipDue) {
      this.gossipDue = false
      this.gossip(false)
    }
    return this.b.out
  }

  /**
   * Fills `msg.updates` (after anything already in it) from the broadcast queue up to one UDP
   * datagram, and sends it.
   */
  private sendUpdates(to: NodeId, msg: SwimMessage & {updates: Update[]}): void {
    let used = envelopeSize(msg)
    const n = msg.updates.length
    for (let i = 0; i < n; i++) used += updateSize(msg.updates[i]!)
    if (this.queue.length > 0) {
      // Members already covered by the message (a buddy suspicion, a correction) are not sent twice.
      const skip = n === 0 ? undefined : msg.updates.map((u) => u.node)
      used += this.queue.take(this.config.udpBufferSize - used, 0, retransmitLimit(this.config.retransmitMult, this.clusterSize()), msg.updates, skip)
    }
    this.b.send(to, msg, 'datagram', used)
  }

  /** memberlist gossip(): queued updates also go out to GossipNodes random members each GossipInterval. */
  private gossip(onTimer: boolean): void {
    const c = this.config
    this.lastGossip = this.now
    if (this.queue.length > 0) {
      const targets = this.randomMembers(c.gossipNodes, PICK_GOSSIP)
      for (const t of targets) {
        if (this.queue.length === 0) break
        this.sendUpdates(t, {type: 'gossip', updates: []})
      }
    }
    if (this.queue.length > 0) this.b.timer('gossip', (this.gossipAt = this.now + c.gossipInterval))
    else {
      this.gossipArmed = false
      this.gossipAt = Infinity
      if (!onTimer) this.b.cancel('gossip')
    }
  }

  /** Bumped on every change a snapshot would show, so an unchanged view is not rebuilt per push-pull. */
  private version = 0
  private cached: {version: number; states: MemberSnapshot[]; bytes: number} | null = null

  /**
   * Self first, then every member in the order first learned. Each record keeps its entry (an
   * immutable object, replaced when the record changes) and that entry's size, so a snapshot of
   * 1000 members after one change allocates one entry and an array, not 1000 entries.
   */
  private snapshot(): {states: MemberSnapshot[]; bytes: number} {
    const recs = this.recList
    const states: MemberSnapshot[] = new Array(recs.length + 1)
    const self: MemberSnapshot = {id: this.id, state: this.leaving ? 'left' : 'alive', inc: this.inc, tags: this.tags}
    states[0] = self
    let bytes = PUSH_PULL_ENVELOPE + (states.length < 16 ? 1 : states.length < 65536 ? 3 : 5) + snapshotSize(self)
    for (let i = 0; i < recs.length; i++) {
      const r = recs[i]!
      let e = r.snap
      if (e === null || e.state !== r.state || e.inc !== r.inc || e.tags !== r.tags) {
        r.snap = e = {id: r.id, state: r.state, inc: r.inc, tags: r.tags}
        r.snapBytes = snapshotSize(e)
      }
      states[i + 1] = e
      bytes += r.snapBytes
    }
    return {states, bytes}
  }

  private sendPushPull(to: NodeId, join: boolean, reply: boolean): void {
    let c = this.cached
    if (c === null || c.version !== this.version) {
      const {states, bytes} = this.snapshot()
      // Shared by every push-pull until the view changes: messages are never mutated once sent.
      this.cached = c = {version: this.version, states, bytes}
    }
    this.b.send(to, {type: 'push-pull', reply, join, states: c.states}, 'stream', c.bytes)
  }

  // ---- random choice -----------------------------------------------------------------------

  private randomMember(pick: Pick): NodeId | undefined {
    return this.randomMembers(1, pick)[0]
  }

  /**
   * memberlist kRandomNodes: up to k distinct members passing `pick` (and other than `except`),
   * by at most 3n random draws. Every draw is made whatever it hits, so the random stream is the
   * same however cheaply a draw is judged: by the state codes, without touching the records.
   */
  private randomMembers(k: number, pick: Pick, except?: NodeId): NodeId[] {
    const out: NodeId[] = []
    const n = this.ids.length
    if (n === 0 || k <= 0) return out
    const codes = this.codes
    for (let i = 0; i < 3 * n && out.length < k; i++) {
      const j = this.rng.int(n)
      const c = codes[j]!
      let ok: boolean
      if (pick === PICK_ALIVE) ok = c === ALIVE
      else if (pick === PICK_DEAD) ok = c === DEAD
      else ok = c === ALIVE || c === SUSPECT || (c === DEAD && this.now - this.recList[j]!.lastChange < this.config.gossipToTheDeadTime)
      if (!ok) continue
      const id = this.ids[j]!
      if (id === except || out.includes(id)) continue
      out.push(id)
    }
    return out
  }
}

const PUSH_PULL_ENVELOPE = encodedSize({type: 'push-pull', reply: false, join: false, states: null}) - 1

/** MessagePack size of one snapshot entry (exact; cheaper than the generic encodedSize). */
function snapshotSize(s: MemberSnapshot): number {
  let tags = 3
  for (const k in s.tags) tags += strSize(k) + strSize(s.tags[k]!)
  // map16 header, then 'id', 'state', 'inc', 'tags' keys (3, 6, 4, 5 bytes as fixstr).
  return 3 + 3 + strSize(s.id) + 6 + strSize(s.state) + 4 + intSize(s.inc) + 5 + tags
}


export function createSwim(opts: SwimOptions): SwimCore {
  return new SwimCore(opts)
}
