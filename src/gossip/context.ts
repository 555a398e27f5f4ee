import type {NodeId, Random} from '../core/index.js'
import {Awareness} from './awareness.js'
import type {SwimConfig} from './config.js'
import {Dissemination} from './dissemination.js'
import type {IdInterner} from './interner.js'
import {MemberTable, type Rec} from './member-table.js'
import type {SwimMessage, Update} from './messages.js'
import {OutputBuilder} from './output.js'
import {Prober} from './probe.js'
import {PushPull} from './push-pull.js'
import {Ticker} from './ticker.js'
import {isLive, type MembershipEvent, type Tags} from './types.js'

/**
 * Everything one SWIM core knows, declared in one place: this node's own state (incarnation,
 * tags, leaving), the shared services (the output being built, the random stream, the local
 * health), and the parts that own the rest — the member table (member-table.ts), the
 * dissemination queue and gossip rounds (dissemination.ts), the probe loop (probe.ts), push-pull
 * (push-pull.ts). The membership rules (rules.ts) read and change it; swim.ts routes inputs.
 * memberlist keeps the same state in its `Memberlist` struct (memberlist.go).
 */
export class SwimContext {
  readonly b = new OutputBuilder<SwimMessage, MembershipEvent>()
  readonly awareness: Awareness
  readonly table: MemberTable
  readonly gossip: Dissemination
  readonly probes: Prober
  readonly pushPull: PushPull
  /** The current input's logical time. */
  now = 0
  /** This node's incarnation (SWIM §4.2); only it raises it, to refute or to change its tags. */
  inc = 0
  tags: Tags
  leaving = false
  /** When this node's own state last changed. */
  selfChange = 0
  /** The last sequence number used by a ping of ours (probes, re-checks, indirect probes). */
  seq = 0
  /** Alive updates answering stale accusations in the message being merged, for its sender (rules.ts). */
  readonly corrections: Update[] = []
  /** The push-pull and reconnect loops, parked while they have nothing to do (ticker.ts). */
  readonly pushPullTicker = new Ticker()
  readonly reconnectTicker = new Ticker()

  constructor(
    readonly id: NodeId,
    readonly config: SwimConfig,
    readonly rng: Random,
    readonly seeds: NodeId[],
    tags: Tags,
    /** Bytes of our own message that fit one datagram (udpBufferSize less the host's envelope). */
    readonly datagramBudget: number,
    interner?: IdInterner,
  ) {
    this.tags = tags
    // Without Lifeguard the multiplier is pinned at ×1.
    this.awareness = new Awareness(config.lifeguard ? config.awarenessMaxMultiplier : 1)
    this.table = new MemberTable(id, config, rng, interner)
    this.gossip = new Dissemination(this)
    this.probes = new Prober(this)
    this.pushPull = new PushPull(this)
  }

  /** Estimated cluster size: live members plus self (memberlist's estNumNodes). */
  clusterSize(): number {
    return this.table.live + 1
  }

  rec(id: NodeId): Rec | undefined {
    return this.table.get(id)
  }

  /** Marks a change a push-pull snapshot would show. */
  changed(): void {
    this.table.version++
  }

  /**
   * `r` was just added or changed state (from `prev`): loops parked for want of such a member
   * start again, on their old phase.
   */
  memberChanged(r: Rec, prev: Rec['state'] | undefined): void {
    const nowLive = isLive(r.state)
    if (nowLive && (prev === undefined || !isLive(prev))) {
      this.probes.wake()
      this.gossip.wake()
      if (this.pushPullTicker.parked && !this.leaving) this.b.timer('push-pull', this.pushPullTicker.wake(this.now))
    }
    if ((r.state === 'dead' || r.state === 'left') && this.reconnectTicker.parked && !this.leaving) this.b.timer('reconnect', this.reconnectTicker.wake(this.now))
  }
}
