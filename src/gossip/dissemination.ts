import type {NodeId} from '../core/index.js'
import {BroadcastQueue, retransmitLimit} from './broadcast-queue.js'
import type {SwimContext} from './context.js'
import {PICK_GOSSIP} from './member-table.js'
import {envelopeSize, updateSize, type SwimMessage, type Update} from './messages.js'
import {Ticker} from './ticker.js'

/**
 * Infection-style dissemination (SWIM §4.1; memberlist state.go `gossip`, broadcast.go and
 * queue.go): every membership update is queued (broadcast-queue.ts), piggybacked on outgoing
 * pings and acks up to one datagram, and sent to GossipNodes random members each GossipInterval
 * while anything is queued.
 *
 * Scheduling. memberlist runs gossip() on a free-running GossipInterval ticker with a random
 * phase, so news waits 0–200 ms (LAN) at each hop; that is dtk's behaviour with `urgentGossip`
 * off (the `memberlist` profile). With it on, dtk keeps no idle timer: the first update queued
 * arms a round one interval later, which batches whatever else arrives meanwhile (under loss,
 * bursts of suspicions) but is the ticker's worst phase, a full 200 ms per hop. So `urgent`
 * updates — the ones that clear an accusation (a refutation, an alive message about a member
 * held suspect or dead) and, with Lifeguard, the ones that settle one (a new suspicion, a
 * confirmation that moved a deadline, a dead verdict) — use a leading-edge rate limit instead:
 * if the last round was at least GossipInterval ago the round runs at the end of the current
 * input, else at last round + GossipInterval. Never more than one round per interval, as with
 * the ticker; with fanout GossipNodes = 3 the first wave of a refutation reaches ≈ 94 % of the
 * members within milliseconds (1 − s = 1 − e^(−3(1−s))), and the next round nearly all the rest.
 *
 * A round that finds nobody to send to (no live member, no recently dead one, or GossipNodes =
 * 0) stops the loop until a member appears (ticker.ts), instead of re-arming forever.
 */
export class Dissemination {
  readonly queue = new BroadcastQueue<Update>()
  /** A gossip round is scheduled (timer set, or due at the end of this input). */
  private armed = false
  /** The round is due now: run it once this input's updates are all queued. */
  private due = false
  private lastRound = -Infinity
  /** When the armed gossip timer fires. */
  private at = Infinity
  /** Without urgentGossip: the phase of memberlist's ticker, in [0, GossipInterval). */
  private readonly phase: number
  /** The loop, parked while there is nobody to gossip to. */
  private readonly ticker = new Ticker()

  constructor(private readonly s: SwimContext) {
    this.phase = s.config.urgentGossip ? 0 : s.rng.next() * s.config.gossipInterval
  }

  get length(): number {
    return this.queue.length
  }

  /** Queues an update and makes sure a gossip round will carry it (see the class comment for `urgent`). */
  broadcast(u: Update, urgent = false): void {
    this.queue.enqueue(u.node, u, updateSize(u))
    if (this.ticker.parked) return
    const s = this.s
    const interval = s.config.gossipInterval
    urgent = urgent && s.config.urgentGossip
    const soonest = this.lastRound + interval
    if (urgent && soonest <= s.now) {
      this.due = true
      this.armed = true
    } else if (!this.armed || (urgent && soonest < this.at)) {
      this.armed = true
      this.at = urgent ? soonest : this.nextRound()
      s.b.timer('gossip', this.at)
    }
  }

  /** When the next round falls: one interval from now, or memberlist's next tick. */
  private nextRound(): number {
    const {now, config} = this.s
    if (config.urgentGossip) return now + config.gossipInterval
    const i = config.gossipInterval
    return this.phase + (Math.floor((now - this.phase) / i) + 1) * i
  }

  /** Ends an input: runs a gossip round that became due during it. */
  flush(): void {
    if (this.due) {
      this.due = false
      this.round(false)
    }
  }

  /** Drops every queued update about `node` (it was forgotten). */
  forget(node: NodeId): void {
    this.queue.remove(node)
  }

  /**
   * Fills `msg.updates` (after anything already in it) from the queue up to one UDP datagram,
   * and sends it.
   */
  send(to: NodeId, msg: SwimMessage & {updates: Update[]}): void {
    const s = this.s
    let used = envelopeSize(msg)
    const n = msg.updates.length
    for (let i = 0; i < n; i++) used += updateSize(msg.updates[i]!)
    if (this.queue.length > 0) {
      // Members already covered by the message (a buddy suspicion, a correction) are not sent twice.
      const skip = n === 0 ? undefined : msg.updates.map((u) => u.node)
      used += this.queue.take(s.datagramBudget - used, 0, retransmitLimit(s.config.retransmitMult, s.clusterSize()), msg.updates, skip)
    }
    s.b.send(to, msg, 'datagram', used)
  }

  /** memberlist gossip(): queued updates go out to GossipNodes random members. */
  round(onTimer: boolean): void {
    const s = this.s
    const c = s.config
    this.lastRound = s.now
    if (this.queue.length > 0) {
      const targets = s.table.randomMembers(c.gossipNodes, PICK_GOSSIP, s.now)
      for (const t of targets) {
        if (this.queue.length === 0) break
        this.send(t, {type: 'gossip', updates: []})
      }
    }
    if (this.queue.length > 0 && c.gossipNodes > 0 && s.table.hasGossipTarget(s.now)) s.b.timer('gossip', (this.at = this.nextRoundAfterThis()))
    else {
      this.armed = false
      this.at = Infinity
      if (!onTimer) s.b.cancel('gossip')
      // Updates wait for someone to send them to (or for a probe to piggyback them on).
      if (this.queue.length > 0) this.ticker.park(s.now, c.gossipInterval)
    }
  }

  private nextRoundAfterThis(): number {
    const {now, config} = this.s
    return config.urgentGossip ? now + config.gossipInterval : this.nextRound()
  }

  /** A member to gossip to appeared: a parked loop resumes on its old schedule. */
  wake(): void {
    if (!this.ticker.parked) return
    const s = this.s
    if (s.config.gossipNodes === 0) return
    // As if the loop had kept running with nothing to send: its last round was at its last tick.
    this.lastRound = this.ticker.lastTick(s.now)
    this.at = this.ticker.wake(s.now)
    this.armed = true
    s.b.timer('gossip', this.at)
  }
}
