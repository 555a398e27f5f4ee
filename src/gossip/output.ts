import type {Channel, NodeId, Output} from '../core/index.js'

/**
 * Collects one input's outputs. Each core owns one builder and reuses its arrays between calls
 * (the `Output` ownership rule in src/core), which keeps the simulator's hot path free of four
 * array allocations per input.
 */
export class OutputBuilder<M, E> {
  readonly out: Output<M, E> = {send: [], timers: [], cancel: [], events: []}

  begin(): this {
    const o = this.out
    // Setting length is a runtime call in V8; `pop` is inlined, and outputs hold a few items.
    clear(o.send)
    clear(o.timers)
    clear(o.cancel)
    clear(o.events)
    return this
  }

  send(to: NodeId, msg: M, channel: Channel, bytes: number): void {
    this.out.send.push({to, msg, channel, bytes})
  }

  /** Sets (or replaces) timer `key`; a cancel of the same key earlier in this output is dropped. */
  timer(key: string, at: number): void {
    const c = this.out.cancel
    if (c.length > 0) {
      const i = c.indexOf(key)
      if (i >= 0) c.splice(i, 1)
    }
    this.out.timers.push({key, at})
  }

  /** Cancels timer `key`; a set of the same key earlier in this output is dropped. */
  cancel(key: string): void {
    const t = this.out.timers
    for (let i = t.length - 1; i >= 0; i--) if (t[i]!.key === key) t.splice(i, 1)
    this.out.cancel.push(key)
  }

  event(e: E): void {
    this.out.events.push(e)
  }
}

function clear(a: unknown[]): void {
  if (a.length > 8) a.length = 0
  else while (a.length > 0) a.pop()
}
