import type {NodeId} from '../core/index.js'
import type {SwimContext} from './context.js'
import {PICK_ALIVE} from './member-table.js'
import type {PingMsg, PingReqMsg, Update} from './messages.js'
import {suspect} from './rules.js'
import {accusation} from './suspicion-rules.js'
import {Ticker} from './ticker.js'
import {isLive} from './types.js'

/**
 * SWIM's failure detector (§3.1, §4.3; memberlist state.go `probe`/`probeNode`, net.go
 * `handlePing`/`handleIndirectPing`/`handleAck`/`handleNack`): each protocol period, ping one
 * member; no ack within ProbeTimeout → ask IndirectChecks members to ping it for us (ping-req);
 * no ack by the end of the period → suspect it. With Lifeguard (Local Health Aware Probe) the
 * helpers nack when the target stays silent, missing nacks count against our own health, and an
 * unhealthy node stretches its probe interval and timeout.
 */

interface Probe {
  seq: number
  target: NodeId
  acked: boolean
  /** The members asked to probe indirectly, and those whose nack arrived (each counted once). */
  helpers: readonly NodeId[]
  nacked: readonly NodeId[]
}

/** No helpers asked, no nack yet: shared by every probe until it has some (never written to). */
const NONE: readonly NodeId[] = Object.freeze([])

/**
 * Indirect probes we run for others at once. memberlist starts a goroutine and a timer per
 * ping-req without a bound; one probe period sees about IndirectChecks ping-reqs per failing
 * probe in the cluster, so this many at once means a flood, and the excess is dropped.
 */
export const MAX_INDIRECT = 256

export class Prober {
  private probe: Probe | null = null
  /** Indirect probes we run for others: our ping's seq → the requester and its seq. */
  private readonly indirect = new Map<number, {requester: NodeId; seq: number}>()
  /** The probe loop, parked while there is nobody to probe and no seed to join through. */
  private readonly ticker = new Ticker()
  /** The step of the parked loop (the probe interval, scaled by local health). */
  private parkedStep = 0

  constructor(private readonly s: SwimContext) {}

  /** Indirect probes in progress for others (bounded by MAX_INDIRECT). */
  get helping(): number {
    return this.indirect.size
  }

  /** First probe: a phase of our own, so that N nodes started together do not probe in lock-step. */
  start(): void {
    const s = this.s
    const c = s.config
    // The ring's phase (a hash of our id) when aligned, else a random one as memberlist's ticker has.
    s.b.timer('probe', c.sharedClock ? s.table.ring.nextTickAt(s.now, c.probeInterval) : s.now + s.rng.next() * c.probeInterval)
  }

  /** The `probe` timer: the period is over; judge its probe, and start the next one. */
  tick(): void {
    const s = this.s
    const c = s.config
    const ring = s.table.ring
    // The period this tick belongs to, on the aligned schedule (ticks are due on it exactly).
    const j = ring.periodAt(s.now, c.probeInterval)
    this.finish()
    if (!s.leaving) this.startNext(j)
    // Still alone with seeds to try (the seed was down or the reply lost): retry the join every
    // period rather than wait for the push-pull interval.
    if (s.table.live === 0 && !s.leaving && s.seeds.length > 0) s.pushPull.send(s.seeds[s.rng.int(s.seeds.length)]!, true, false)
    // A node that left probes no more.
    if (s.leaving) return
    // Lifeguard (Local Health Aware Probe): an unhealthy node probes less often (it skips
    // periods of the aligned schedule; the others' probes cover its targets meanwhile).
    const step = s.awareness.scale(c.probeInterval)
    if (s.table.live === 0 && s.seeds.length === 0) {
      // Nobody to probe and nobody to join through: wait for a member (wake).
      this.ticker.park(c.sharedClock ? ring.tickAt(j, c.probeInterval) : s.now, step)
      this.parkedStep = step
      return
    }
    s.b.timer('probe', c.sharedClock ? ring.tickAt(j, c.probeInterval) + step : s.now + step)
  }

  /** A member to probe appeared: a parked loop resumes where its ticks would have fallen. */
  wake(): void {
    if (!this.ticker.parked || this.s.leaving) return
    const s = this.s
    const c = s.config
    let at: number
    if (c.sharedClock && this.parkedStep === c.probeInterval) {
      // Computed as each tick computes the next: its period's tick plus one interval.
      const ring = s.table.ring
      at = ring.tickAt(Math.floor(s.now / c.probeInterval - ring.phase), c.probeInterval) + c.probeInterval
      this.ticker.clear()
    } else at = this.ticker.wake(s.now)
    s.b.timer('probe', at)
  }

  /** A leave: the probe in progress is abandoned. */
  stop(): void {
    this.s.b.cancel('probe-timeout')
    this.probe = null
  }

  private startNext(j: number): void {
    const s = this.s
    const r = s.table.nextTarget(j)
    if (!r) return
    const seq = ++s.seq
    this.probe = {seq, target: r.id, acked: false, helpers: NONE, nacked: NONE}
    const updates: Update[] = []
    // Lifeguard Buddy System: probing a suspect carries the suspicion to it first, so a live
    // suspect learns of it and refutes without waiting for gossip to reach it.
    if (s.config.lifeguard && r.state === 'suspect') updates.push(accusation(s, r))
    s.gossip.send(r.id, {type: 'ping', seq, target: r.id, updates})
    s.b.timer('probe-timeout', s.now + s.awareness.scale(s.config.probeTimeout))
  }

  /** An ack: for our probe, or for an indirect probe we run for someone else (relayed to it). */
  onAck(seq: number): void {
    const s = this.s
    const p = this.probe
    if (p && p.seq === seq) {
      if (!p.acked) {
        p.acked = true
        s.b.cancel('probe-timeout')
        // Lifeguard (Local Health Aware Probe): every successful probe is evidence of our own health.
        s.awareness.applyDelta(-1)
      }
      return
    }
    const ind = this.indirect.get(seq)
    if (ind) {
      this.indirect.delete(seq)
      s.b.cancel(`nack:${seq}`)
      s.gossip.send(ind.requester, {type: 'ack', seq: ind.seq, updates: []})
    }
  }

  /** A nack from `from`: counted once per helper we asked, however often the datagram arrives. */
  onNack(from: NodeId, seq: number): void {
    const p = this.probe
    if (p && p.seq === seq && p.helpers.includes(from) && !p.nacked.includes(from)) p.nacked = [...p.nacked, from]
  }

  /** The `probe-timeout` timer, SWIM §3.1: no direct ack in time; ask k members to probe the target for us. */
  timeout(): void {
    const s = this.s
    const p = this.probe
    if (!p || p.acked) return
    const helpers = s.table.randomMembers(s.config.indirectChecks, PICK_ALIVE, s.now, p.target)
    for (const h of helpers) s.gossip.send(h, {type: 'ping-req', seq: p.seq, target: p.target, updates: []} satisfies PingReqMsg)
    p.helpers = helpers
  }

  /** A ping-req, SWIM §3.1: probe the target on the requester's behalf, and relay its ack. */
  help(from: NodeId, msg: PingReqMsg): void {
    const s = this.s
    if (this.indirect.size >= MAX_INDIRECT) return
    const seq = ++s.seq
    this.indirect.set(seq, {requester: from, seq: msg.seq})
    s.gossip.send(msg.target, {type: 'ping', seq, target: msg.target, updates: []} satisfies PingMsg)
    // Lifeguard (Local Health Aware Probe): if the target stays silent, say so (nack) so the
    // requester knows that we, at least, are alive and reachable. memberlist nacks after a
    // full ProbeTimeout; the requester sent the ping-req one ProbeTimeout into its period
    // (LAN: 0.5 of 1 s), so that nack lands on the period's end and nearly always misses it:
    // every probe of a crashed member then counts against the prober's own health (+k), and
    // after a crash the survivors slow their probing for seconds, just when probes matter.
    // dtk nacks at nackAt (0.8) of the timeout, inside the period; the `memberlist` profile at 1.
    s.b.timer(`nack:${seq}`, s.now + s.config.nackAt * s.config.probeTimeout)
  }

  /** The `nack:<seq>` timer: the target of an indirect probe we ran stayed silent. */
  nackDue(seq: number): void {
    const ind = this.indirect.get(seq)
    if (ind) {
      this.indirect.delete(seq)
      this.s.b.send(ind.requester, {type: 'nack', seq: ind.seq}, 'datagram', 16)
    }
  }

  /** The probe period is over: no ack means suspect (SWIM §4.2). */
  private finish(): void {
    const s = this.s
    const p = this.probe
    this.probe = null
    if (!p || p.acked) return
    if (s.config.lifeguard) {
      // Lifeguard (Local Health Aware Probe) (memberlist probeNode): missing nacks from helpers point at our own
      // trouble; with no helpers to judge by, any failed probe counts against us.
      const expected = p.helpers.length
      s.awareness.applyDelta(expected > 0 ? Math.max(0, expected - p.nacked.length) : 1)
    }
    const r = s.rec(p.target)
    if (r && isLive(r.state)) suspect(s, accusation(s, r))
  }
}

