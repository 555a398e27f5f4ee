import type {Core, CoreContext, NodeId, Output, Recovered} from '../../../core/index.js'
import type {MembershipEvent} from '../../../gossip/index.js'

/** Records kept between snapshots of the count (the log stays bounded). */
const SNAPSHOT_EVERY = 1000

export type MemberLogEvent = {type: 'recovered'; logged: number} | {type: 'logged'; n: number; event: MembershipEvent}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/**
 * The second core of the `gossip-log` role, there to show composition on real processes: every
 * membership event of the node's `membership` core is routed here as a command; it persists it
 * (so its report waits for the disk: the Ready rule) and reports it numbered, in order. A
 * stand-in for what a data protocol does with membership (rebalance, elect), and what the
 * composition test on real processes watches.
 */
export class MemberLogCore implements Core<never, MemberLogEvent, MembershipEvent> {
  private logged = 0
  private sinceSnapshot = 0

  constructor(readonly id: NodeId) {}

  private out(): Output<never, MemberLogEvent> {
    return {send: [], timers: [], cancel: [], events: [], persist: []}
  }

  start(_now: number, recovered?: Recovered): Output<never, MemberLogEvent> {
    if (recovered?.snapshot) this.logged = (JSON.parse(decoder.decode(recovered.snapshot)) as {logged: number}).logged
    this.logged += recovered?.records.length ?? 0
    this.sinceSnapshot = recovered?.records.length ?? 0
    const out = this.out()
    out.events.push({type: 'recovered', logged: this.logged})
    return out
  }

  command(event: MembershipEvent): Output<never, MemberLogEvent> {
    const out = this.out()
    const n = ++this.logged
    if (++this.sinceSnapshot >= SNAPSHOT_EVERY) {
      this.sinceSnapshot = 0
      out.persist!.push({type: 'snapshot', data: encoder.encode(JSON.stringify({logged: n}))})
    } else out.persist!.push({type: 'append', data: encoder.encode(JSON.stringify({n, event}))})
    out.events.push({type: 'logged', n, event})
    return out
  }

  receive(): Output<never, MemberLogEvent> {
    return this.out()
  }

  tick(): Output<never, MemberLogEvent> {
    return this.out()
  }
}

export function memberLogFactory(ctx: CoreContext): MemberLogCore {
  return new MemberLogCore(ctx.id)
}
