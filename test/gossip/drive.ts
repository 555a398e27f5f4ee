import type {Envelope, Output} from '../../src/core/index.js'
import type {Detector, MembershipEvent} from '../../src/gossip/index.js'

/**
 * Drives one core by hand the way a host does: every output is copied (a core reuses its arrays),
 * its timers kept in a table (a set replaces, a cancel removes), and `runTimers` fires them in time
 * order — so a test can see which timers a core keeps asking for.
 */
export class Driver<M> {
  readonly timers = new Map<string, number>()
  readonly sent: Envelope<M>[] = []
  readonly events: MembershipEvent[] = []
  now = 0

  constructor(readonly core: Detector<M>) {}

  apply(out: Output<M, MembershipEvent>): {send: Envelope<M>[]; timers: {key: string; at: number}[]; cancel: string[]; events: MembershipEvent[]} {
    const copy = {send: [...out.send], timers: [...out.timers], cancel: [...out.cancel], events: [...out.events]}
    for (const k of copy.cancel) this.timers.delete(k)
    for (const t of copy.timers) this.timers.set(t.key, t.at)
    this.sent.push(...copy.send)
    this.events.push(...copy.events)
    return copy
  }

  start(now = 0) {
    this.now = now
    return this.apply(this.core.start(now))
  }

  receive(from: string, msg: M, now = this.now) {
    this.now = Math.max(this.now, now)
    return this.apply(this.core.receive(from, msg, this.now))
  }

  command(cmd: Parameters<NonNullable<Detector<M>['command']>>[0], now = this.now) {
    this.now = Math.max(this.now, now)
    return this.apply(this.core.command!(cmd, this.now))
  }

  tick(key: string) {
    const at = this.timers.get(key)
    if (at === undefined) throw new Error(`no timer ${key}`)
    this.timers.delete(key)
    this.now = Math.max(this.now, at)
    return this.apply(this.core.tick(key, this.now))
  }

  /** Fires pending timers in time order until `until` (or none is left); returns how many fired. */
  runTimers(until: number, limit = 100_000): number {
    let n = 0
    for (;;) {
      let next: [string, number] | undefined
      for (const e of this.timers) if (!next || e[1] < next[1]) next = e
      if (!next || next[1] > until) return n
      if (++n > limit) throw new Error(`more than ${limit} timers fired before ${until}`)
      this.tick(next[0])
    }
  }
}
