import type {NodeId, Output} from '../core/index.js'
import {resolveSwimConfig, type SwimConfig} from './config.js'
import {SwimContext} from './context.js'
import type {IdInterner} from './interner.js'
import type {SwimMessage, Update} from './messages.js'
import {addMember, EMPTY_TAGS, forget, merge, mergeState, sendCorrections} from './rules.js'
import {recheck, suspicionExpired} from './suspicion-rules.js'
import {MAX_INCARNATION} from './validate.js'
import {memberView as view, type Detector, type DetectorBaseOptions, type DetectorCommand, type Member, type MembershipEvent} from './types.js'

/**
 * SWIM (Das, Gupta, Motivala, DSN 2002) with HashiCorp's Lifeguard extensions, as a sans-IO core
 * in the shape of hashicorp/memberlist: this file routes the inputs (memberlist.go's Join and
 * Leave, net.go's message handlers, the loops' timers) to the parts that hold the protocol —
 * the member table (member-table.ts), the probe loop (probe.ts), dissemination
 * (dissemination.ts), push-pull and reconnect (push-pull.ts), and the membership rules
 * (rules.ts, suspicion-rules.ts) — over the state they share (context.ts).
 *
 * Timers: `probe`, `probe-timeout`, `gossip`, `push-pull`, `reconnect`, `suspect:<id>`,
 * `recheck:<id>`, `nack:<seq>`. None keeps re-arming after a leave, nor in a node with nobody to
 * talk to (ticker.ts). Inputs are trusted: hosts validate what comes off the wire first
 * (validate.ts).
 */

export interface SwimOptions extends DetectorBaseOptions {
  config?: Partial<SwimConfig>
  /**
   * Bytes a host adds around each datagram the core sends (its envelope, a seal), taken off
   * udpBufferSize when the core fills a datagram, so that what goes on the wire fits. Default 0.
   */
  datagramOverhead?: number
  /** An id interner to share with the other cores of one simulation (interner.ts); default: the core's own. */
  interner?: IdInterner
}

export class SwimCore implements Detector<SwimMessage> {
  readonly kind = 'swim' as const
  readonly id: NodeId
  readonly config: SwimConfig
  private readonly s: SwimContext
  private readonly initial: NodeId[]

  constructor(opts: SwimOptions) {
    this.id = opts.id
    this.config = resolveSwimConfig(opts.profile ?? 'lan', opts.config)
    this.initial = opts.members ?? []
    this.s = new SwimContext(
      opts.id,
      this.config,
      opts.random,
      (opts.seeds ?? []).filter((x) => x !== opts.id),
      {...(opts.tags ?? {})},
      this.config.udpBufferSize - (opts.datagramOverhead ?? 0),
      opts.interner,
    )
  }

  // ---- views -------------------------------------------------------------------------------

  members(): Member[] {
    const r: Member[] = []
    for (const m of this.s.table.recs) r.push(view(m))
    return r
  }

  member(id: NodeId): Member | undefined {
    const m = this.s.rec(id)
    return m && view(m)
  }

  self(): Member {
    const s = this.s
    return {id: this.id, state: s.leaving ? 'left' : 'alive', incarnation: s.inc, tags: {...s.tags}, lastChange: s.selfChange}
  }

  /** The local health multiplier's score (0 = healthy), for observers and tests. */
  health(): number {
    return this.s.awareness.health()
  }

  /** Estimated cluster size: live members plus self (memberlist's estNumNodes). */
  clusterSize(): number {
    return this.s.clusterSize()
  }

  /** Updates waiting to be piggybacked. */
  pendingBroadcasts(): number {
    return this.s.gossip.length
  }

  /** Sizes of every table the core keeps, for observers and the tests that check they stay bounded. */
  tableSizes(): {members: number; broadcasts: number; indirectProbes: number; corrections: number} {
    const s = this.s
    return {members: s.table.size, broadcasts: s.gossip.length, indirectProbes: s.probes.helping, corrections: s.corrections.length}
  }

  // ---- inputs ------------------------------------------------------------------------------

  start(now: number): Output<SwimMessage, MembershipEvent> {
    const s = this.s
    s.b.begin()
    s.now = s.selfChange = now
    s.table.reserve(this.initial.length)
    for (const id of this.initial) if (id !== this.id && s.rec(id) === undefined) addMember(s, id, 0, EMPTY_TAGS)
    // Announce ourselves; the update spreads as soon as we know anyone.
    if (this.initial.length === 0) s.gossip.broadcast({kind: 'alive', node: this.id, inc: s.inc, tags: s.tags})
    s.probes.start()
    s.pushPull.start()
    return this.done()
  }

  receive(from: NodeId, msg: SwimMessage, now: number): Output<SwimMessage, MembershipEvent> {
    const s = this.s
    s.b.begin()
    s.now = now
    switch (msg.type) {
      case 'ping': {
        if (msg.target !== this.id) break
        merge(s, msg.updates)
        const updates: Update[] = []
        // dtk extension of the Lifeguard Buddy System (`ackAccusations`): a pinger we believe
        // suspect or dead is told so first in our ack, so it can refute at once.
        if (this.config.ackAccusations) {
          const r = s.rec(from)
          if (r && (r.state === 'suspect' || r.state === 'dead')) updates.push({kind: r.state, node: from, inc: r.inc, from: this.id})
        }
        // Stale accusations the pinger carried are answered in the ack itself (rules.ts `correct`).
        for (const c of s.corrections) updates.push(c)
        s.corrections.length = 0
        s.gossip.send(from, {type: 'ack', seq: msg.seq, updates})
        break
      }
      case 'ack':
        merge(s, msg.updates)
        sendCorrections(s, from)
        s.probes.onAck(msg.seq)
        break
      case 'ping-req':
        merge(s, msg.updates)
        sendCorrections(s, from)
        s.probes.help(from, msg)
        break
      case 'nack':
        s.probes.onNack(from, msg.seq)
        break
      case 'gossip':
        merge(s, msg.updates)
        sendCorrections(s, from)
        break
      case 'push-pull':
        mergeState(s, msg.states, from)
        if (!msg.reply) s.pushPull.send(from, msg.join, true)
        break
    }
    return this.done()
  }

  tick(key: string, now: number): Output<SwimMessage, MembershipEvent> {
    const s = this.s
    s.b.begin()
    s.now = now
    switch (key) {
      case 'probe':
        s.probes.tick()
        break
      case 'probe-timeout':
        s.probes.timeout()
        break
      case 'gossip':
        s.gossip.round(true)
        break
      case 'push-pull':
        s.pushPull.tick()
        break
      case 'reconnect':
        forget(s, s.pushPull.reconnect())
        break
      default:
        if (key.startsWith('suspect:')) suspicionExpired(s, key.slice(8))
        else if (key.startsWith('recheck:')) recheck(s, key.slice(8))
        else if (key.startsWith('nack:')) s.probes.nackDue(Number(key.slice(5)))
    }
    return this.done()
  }

  command(cmd: DetectorCommand, now: number): Output<SwimMessage, MembershipEvent> {
    const s = this.s
    s.b.begin()
    s.now = now
    switch (cmd.type) {
      case 'leave':
        if (s.leaving) break
        // memberlist Leave: a dead message about ourselves from ourselves means "left".
        s.leaving = true
        s.changed()
        s.selfChange = now
        s.gossip.broadcast({kind: 'dead', node: this.id, inc: s.inc, from: this.id})
        s.probes.stop()
        break
      case 'set-tags':
        // Refused while leaving: peers would see left → alive → left.
        if (s.leaving) break
        // New metadata needs a new incarnation to override the old alive message everywhere.
        s.tags = {...cmd.tags}
        s.inc = Math.min(MAX_INCARNATION, s.inc + 1)
        s.changed()
        s.selfChange = now
        s.gossip.broadcast({kind: 'alive', node: this.id, inc: s.inc, tags: s.tags})
        break
    }
    return this.done()
  }

  /** Ends an input: runs a gossip round that became due during it, then hands out the output. */
  private done(): Output<SwimMessage, MembershipEvent> {
    this.s.gossip.flush()
    return this.s.b.out
  }
}

export function createSwim(opts: SwimOptions): SwimCore {
  return new SwimCore(opts)
}

