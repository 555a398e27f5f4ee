import {describe, expect, it} from 'vitest'
import type {Core, NodeId, Output} from '../../src/core/index.js'
import {createDetector, type DetectorCommand, type GossipMessage, type MembershipEvent} from '../../src/gossip/index.js'
import {EventHeap, Rng, Simulator} from '../../src/sim/index.js'

/**
 * A toy core for network semantics: on start it sends `count` numbered datagrams (or streams) to
 * `to`, and it records every message it receives and every timer that fires.
 */
type Toy = {n: number}
class ToyCore implements Core<Toy, string> {
  received: {from: NodeId; n: number; at: number}[] = []
  fired: {key: string; at: number}[] = []
  constructor(
    readonly id: NodeId,
    private readonly plan: {to?: NodeId; count?: number; channel?: 'datagram' | 'stream'; timers?: {key: string; at: number}[]} = {},
  ) {}
  private out(): Output<Toy, string> {
    return {send: [], timers: [], cancel: [], events: []}
  }
  start(): Output<Toy, string> {
    const o = this.out()
    if (this.plan.to) for (let i = 0; i < (this.plan.count ?? 1); i++) o.send.push({to: this.plan.to, msg: {n: i}, channel: this.plan.channel ?? 'datagram'})
    for (const t of this.plan.timers ?? []) o.timers.push(t)
    return o
  }
  receive(from: NodeId, msg: Toy, now: number): Output<Toy, string> {
    this.received.push({from, n: msg.n, at: now})
    const o = this.out()
    o.events.push(`got ${msg.n}`)
    return o
  }
  tick(key: string, now: number): Output<Toy, string> {
    this.fired.push({key, at: now})
    return this.out()
  }
}

function toySim(seed: number | string = 1, network = {}) {
  return new Simulator<Toy, string>({seed, network})
}

function swimRun(seed: number) {
  const sim = new Simulator<GossipMessage, MembershipEvent, DetectorCommand>({seed, network: {loss: 0.05}, trace: true})
  const ids = Array.from({length: 10}, (_, i) => `n${i}`)
  for (const id of ids) sim.addNode(id, (ctx) => createDetector('swim', {id, random: ctx.random, seeds: id === 'n0' ? [] : ['n0'], profile: 'fast'}), sim.random.next() * 200)
  sim.crash('n3', 5_000)
  sim.pause('n4', 6_000)
  sim.resume('n4', 7_000)
  sim.restart('n3', 12_000)
  sim.runUntil(20_000)
  return sim.trace!.map((r) => JSON.stringify(r)).join('\n')
}

describe('simulator determinism', () => {
  it('the same seed reproduces a run byte for byte, a different seed does not', () => {
    const a = swimRun(42)
    const b = swimRun(42)
    const c = swimRun(43)
    expect(a.length).toBeGreaterThan(10_000)
    expect(a).toBe(b)
    expect(c).not.toBe(a)
  })

  it('Rng: same seed, same stream; forks are independent of the parent position', () => {
    const x = new Rng('s')
    const y = new Rng('s')
    const xs = Array.from({length: 5}, () => x.u32())
    expect(Array.from({length: 5}, () => y.u32())).toEqual(xs)
    expect(new Rng('t').u32()).not.toBe(xs[0])
    const f1 = new Rng(7).fork('a').u32()
    const r = new Rng(7)
    r.next()
    expect(r.fork('a').u32()).toBe(f1)
    for (let i = 0; i < 1000; i++) {
      const v = x.int(7)
      expect(v >= 0 && v < 7 && Number.isInteger(v)).toBe(true)
    }
  })

  it('the event heap orders by time, then by scheduling order', () => {
    const h = new EventHeap<{at: number; seq: number; name: string}>()
    const names = ['a', 'b', 'c', 'd', 'e', 'f']
    const ats = [5, 1, 5, 1, 0, 5]
    names.forEach((name, i) => h.push({at: ats[i]!, seq: 0, name}))
    const out: string[] = []
    for (let e = h.pop(); e; e = h.pop()) out.push(e.name)
    expect(out).toEqual(['e', 'b', 'd', 'a', 'c', 'f'])
  })
})

describe('simulated network', () => {
  it('loses about the configured fraction of datagrams and never a TCP message', () => {
    const sim = toySim(3, {loss: 0.1})
    const rx = new ToyCore('rx')
    const rx2 = new ToyCore('rx2')
    sim.addNode('rx', () => rx)
    sim.addNode('rx2', () => rx2)
    sim.addNode('udp', (c) => new ToyCore(c.id, {to: 'rx', count: 10_000}))
    sim.addNode('tcp', (c) => new ToyCore(c.id, {to: 'rx2', count: 1_000, channel: 'stream'}))
    sim.runUntil(1_000)
    expect(rx.received.length).toBeGreaterThan(8_800)
    expect(rx.received.length).toBeLessThan(9_200)
    expect(rx2.received.length).toBe(1_000)
  })

  it('duplicates datagrams with the configured probability', () => {
    const sim = toySim(4, {duplicate: 0.2})
    const rx = new ToyCore('rx')
    sim.addNode('rx', () => rx)
    sim.addNode('tx', (c) => new ToyCore(c.id, {to: 'rx', count: 5_000}))
    sim.runUntil(1_000)
    expect(rx.received.length).toBeGreaterThan(5_800)
    expect(rx.received.length).toBeLessThan(6_200)
  })

  it('delays every message by at least the base delay', () => {
    const sim = toySim(5, {baseDelay: 10, jitter: 5, jitterDistribution: 'uniform'})
    const rx = new ToyCore('rx')
    sim.addNode('rx', () => rx)
    sim.addNode('tx', (c) => new ToyCore(c.id, {to: 'rx', count: 100}))
    sim.runUntil(100)
    expect(rx.received).toHaveLength(100)
    expect(rx.received.filter((r) => !(r.at >= 10 && r.at < 15))).toEqual([])
  })

  it('a partition drops messages between sides, in flight too, until healed', () => {
    const sim = toySim(6, {baseDelay: 10, jitter: 0})
    const rx = new ToyCore('rx')
    sim.addNode('rx', () => rx)
    sim.addNode('a', (c) => new ToyCore(c.id, {to: 'rx', count: 1}), 0) // in flight when the cut happens
    sim.partition([['rx']], 5)
    sim.addNode('b', (c) => new ToyCore(c.id, {to: 'rx', count: 1, channel: 'stream'}), 20) // sent across the cut
    sim.heal(40)
    sim.addNode('c', (c) => new ToyCore(c.id, {to: 'rx', count: 1}), 50)
    sim.runUntil(100)
    expect(rx.received.map((r) => r.from)).toEqual(['c'])
    expect(sim.stats.dropped).toBe(2)
  })
})

describe('simulated faults', () => {
  it('a crash discards the node’s timers and every message sent to it; a restart is a fresh core', () => {
    const sim = toySim(7, {baseDelay: 1, jitter: 0})
    const cores: ToyCore[] = []
    sim.addNode('x', (c) => {
      const core = new ToyCore(c.id, {timers: [{key: 't', at: c.now + 50}]})
      cores.push(core)
      return core
    })
    sim.addNode('tx', (c) => new ToyCore(c.id, {to: 'x', count: 1}), 20)
    sim.crash('x', 10)
    sim.restart('x', 100)
    sim.runUntil(200)
    expect(cores).toHaveLength(2)
    // tx's one datagram reached x while it was down, and was dropped: not held for the restart.
    expect(sim.stats.sentUdp).toBe(1)
    expect(sim.stats.dropped).toBe(1)
    expect(cores[0]!.fired).toEqual([])
    expect(cores[0]!.received).toEqual([])
    expect(cores[1]!.received).toEqual([])
    expect(cores[1]!.fired).toEqual([{key: 't', at: 150}])
    expect(sim.status('x')).toBe('up')
  })

  it('a pause holds timers and messages and replays them in order on resume (SIGSTOP/SIGCONT)', () => {
    const sim = toySim(8, {baseDelay: 1, jitter: 0})
    const x = new ToyCore('x', {timers: [{key: 'early', at: 30}, {key: 'late', at: 60}]})
    sim.addNode('x', () => x)
    sim.addNode('tx', (c) => new ToyCore(c.id, {to: 'x', count: 3}), 40)
    sim.pause('x', 10)
    sim.resume('x', 100)
    sim.runUntil(200)
    expect(x.fired).toEqual([
      {key: 'early', at: 100},
      {key: 'late', at: 100},
    ])
    expect(x.received.map((r) => [r.n, r.at])).toEqual([
      [0, 100],
      [1, 100],
      [2, 100],
    ])
  })

  it('setting a timer key again replaces it', () => {
    const sim = toySim(9)
    const x = new ToyCore('x', {timers: [{key: 'k', at: 30}, {key: 'k', at: 50}]})
    sim.addNode('x', () => x)
    sim.runUntil(100)
    expect(x.fired).toEqual([{key: 'k', at: 50}])
  })
})
