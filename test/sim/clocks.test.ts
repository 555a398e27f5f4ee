import {describe, expect, it} from 'vitest'
import type {Core, CoreContext, NodeId, Output} from '../../src/core/index.js'
import {Simulator} from '../../src/sim/index.js'

/** Records every `now` it is handed; asks for a timer `after` node-ms after start, and a message to `to`. */
class Watch implements Core<string, never, never> {
  readonly nows: {what: string; now: number}[] = []
  constructor(
    readonly id: NodeId,
    private readonly after: number,
    private readonly to?: NodeId,
  ) {}
  private out(): Output<string, never> {
    return {send: [], timers: [], cancel: [], events: []}
  }
  start(now: number) {
    this.nows.push({what: 'start', now})
    const o = this.out()
    o.timers.push({key: 'timeout', at: now + this.after})
    if (this.to) o.send.push({to: this.to, msg: 'hello'})
    return o
  }
  receive(_from: NodeId, _m: string, now: number) {
    this.nows.push({what: 'receive', now})
    return this.out()
  }
  tick(_key: string, now: number) {
    this.nows.push({what: 'timer', now})
    return this.out()
  }
}

describe('node clocks', () => {
  it('a core sees its node’s time (offset and drift); a timer fires when the node’s clock reaches it, never before', () => {
    const sim = new Simulator<string, never, never>({seed: 1, network: {baseDelay: 1, jitter: 0}, trace: true})
    const fast = new Watch('fast', 1000, 'slow')
    const slow = new Watch('slow', 1000)
    sim.addNode('fast', () => fast, 100, {clock: {offset: 5000, drift: 0.1}})
    sim.addNode('slow', () => slow, 100, {clock: {offset: -50, drift: -0.1}})
    sim.runUntil(3000)
    expect(fast.nows[0]).toEqual({what: 'start', now: 100 * 1.1 + 5000})
    expect(slow.nows[0]).toEqual({what: 'start', now: 100 * 0.9 - 50})
    // 1000 node-ms later: sooner in global time on the fast clock, later on the slow one.
    const fire = (w: Watch) => w.nows.find((x) => x.what === 'timer')!.now
    expect(fire(fast)).toBeGreaterThanOrEqual(fast.nows[0]!.now + 1000)
    expect(fire(fast)).toBeCloseTo(fast.nows[0]!.now + 1000, 9)
    expect(fire(slow)).toBeGreaterThanOrEqual(slow.nows[0]!.now + 1000)
    const timers = sim.trace!.filter((r) => r.k === 'timer')
    expect(timers.map((r) => [r.node, Math.round(r.t * 1000) / 1000])).toEqual([
      ['fast', Math.round((100 + 1000 / 1.1) * 1000) / 1000],
      ['slow', Math.round((100 + 1000 / 0.9) * 1000) / 1000],
    ])
    // The message, delivered at global 101, reads the receiver's clock.
    expect(slow.nows.find((x) => x.what === 'receive')!.now).toBeCloseTo(101 * 0.9 - 50, 9)
    // The trace keeps both times.
    const d = sim.trace!.find((r) => r.k === 'deliver')!
    expect(d.k === 'deliver' && [d.t, d.lt]).toEqual([101, 101 * 0.9 - 50])
  })

  it('a node keeps its clock across a restart: time never goes back for its cores', () => {
    const sim = new Simulator<string, never, never>({seed: 2, network: {baseDelay: 1, jitter: 0}})
    const lives: Watch[] = []
    sim.addNode('x', (ctx: CoreContext) => (lives.push(new Watch(ctx.id, 10)), lives.at(-1)!), 0, {clock: {offset: 1e6, drift: 3e-4}})
    sim.crash('x', 500)
    sim.restart('x', 600)
    sim.runUntil(1000)
    const all = lives.flatMap((l) => l.nows.map((n) => n.now))
    expect(all).toHaveLength(4)
    for (let i = 1; i < all.length; i++) expect(all[i]!).toBeGreaterThanOrEqual(all[i - 1]!)
    expect(lives[1]!.nows[0]!.now).toBeCloseTo(600 * (1 + 3e-4) + 1e6, 6)
  })

  it('seeded skew: every node draws its own offset and drift within the bounds, the same for the same seed; none by default', () => {
    const clocks = (seed: number, skew?: {maxOffset: number; maxDrift: number}) => {
      const sim = new Simulator<string, never, never>({seed, clocks: skew})
      for (let i = 0; i < 20; i++) sim.addNode(`n${i}`, (c) => new Watch(c.id, 1))
      sim.runUntil(10_000)
      return Array.from({length: 20}, (_, i) => sim.localTime(`n${i}`))
    }
    const a = clocks(1, {maxOffset: 50, maxDrift: 1e-3})
    expect(clocks(1, {maxOffset: 50, maxDrift: 1e-3})).toEqual(a)
    expect(clocks(2, {maxOffset: 50, maxDrift: 1e-3})).not.toEqual(a)
    for (const t of a) {
      expect(t).toBeGreaterThanOrEqual(10_000 * (1 - 1e-3))
      expect(t).toBeLessThanOrEqual(10_000 * (1 + 1e-3) + 50)
    }
    expect(new Set(a).size).toBe(20)
    expect(clocks(1)).toEqual(Array(20).fill(10_000))
  })

  it('rejects a clock that would run backwards', () => {
    const sim = new Simulator<string, never, never>({seed: 1})
    expect(() => sim.addNode('x', (c) => new Watch(c.id, 1), 0, {clock: {drift: -1}})).toThrow(/drift/)
    expect(() => new Simulator({seed: 1, clocks: {maxDrift: 2}})).toThrow(/maxDrift/)
  })
})
