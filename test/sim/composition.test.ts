import {describe, expect, it} from 'vitest'
import type {Composition, Core, CoreContext, NodeId, Output} from '../../src/core/index.js'
import {createDetector, type MembershipEvent} from '../../src/gossip/index.js'
import {Simulator} from '../../src/sim/index.js'

/** A second core that keeps every command it is handed, with the instant (node time) it got it. */
class Recorder implements Core<never, never, MembershipEvent> {
  readonly got: {at: number; cmd: MembershipEvent}[] = []
  constructor(readonly id: NodeId) {}
  private out(): Output<never, never> {
    return {send: [], timers: [], cancel: [], events: []}
  }
  start() {
    return this.out()
  }
  receive() {
    return this.out()
  }
  tick() {
    return this.out()
  }
  command(cmd: MembershipEvent, now: number) {
    this.got.push({at: now, cmd})
    return this.out()
  }
}

describe('several cores on one node', () => {
  it('membership events of a SWIM core reach a second core on the same node, in order and at the same instant', () => {
    const sim = new Simulator<unknown, unknown, never>({seed: 11, network: {loss: 0.02}, trace: true})
    const ids = Array.from({length: 8}, (_, i) => `n${i}`)
    const recorders = new Map<NodeId, Recorder[]>(ids.map((id) => [id, []]))
    for (const id of ids) {
      const node: Composition = {
        cores: {
          membership: (ctx: CoreContext) => createDetector('swim', {id, random: ctx.random, seeds: id === 'n0' ? [] : ['n0'], profile: 'fast'}),
          log: (ctx: CoreContext) => {
            const r = new Recorder(ctx.id)
            recorders.get(id)!.push(r)
            return r
          },
        },
        route: (from, e) => (from === 'membership' ? [{core: 'log', cmd: e}] : undefined),
      }
      sim.addNode(id, node, sim.random.next() * 200)
    }
    const seen = new Map<string, {at: number; cmd: unknown}[]>()
    sim.onEvent((now, node, e, core) => {
      expect(core).toBe('membership')
      const life = `${node}#${recorders.get(node)!.length - 1}`
      seen.set(life, [...(seen.get(life) ?? []), {at: now, cmd: e}])
    })
    sim.crash('n3', 5_000)
    sim.restart('n3', 9_000)
    sim.runUntil(20_000)

    expect(recorders.get('n3')).toHaveLength(2)
    let total = 0
    for (const id of ids) {
      recorders.get(id)!.forEach((r, life) => {
        const expected = seen.get(`${id}#${life}`) ?? []
        expect(r.got).toEqual(expected)
        total += r.got.length
      })
    }
    expect(total).toBeGreaterThan(60)
    // Every node learnt of n3's death (its crash) and of its return.
    for (const id of ids.filter((x) => x !== 'n3')) {
      const got = recorders.get(id)![0]!.got
      expect(got.some((g) => g.cmd.member === 'n3' && g.cmd.type === 'dead')).toBe(true)
      expect(got.some((g) => g.cmd.member === 'n3' && g.cmd.type === 'alive' && g.at > 9_000)).toBe(true)
    }
    // The trace says where each routed command came from.
    const routed = sim.trace!.filter((r) => r.k === 'command')
    expect(routed).toHaveLength(total)
    expect(routed.every((r) => r.k === 'command' && r.core === 'log' && r.from === 'membership')).toBe(true)
  })

  it('a message goes to the core of the same name on the peer; timers are per core; a peer without that core does not get it', () => {
    type M = {text: string}
    class Echo implements Core<M, string, {to: NodeId; text: string}> {
      readonly heard: string[] = []
      readonly fired: number[] = []
      constructor(
        readonly id: NodeId,
        private readonly name: string,
        private readonly timerAt: number,
      ) {}
      private out(): Output<M, string> {
        return {send: [], timers: [], cancel: [], events: []}
      }
      start() {
        const o = this.out()
        o.timers.push({key: 't', at: this.timerAt})
        return o
      }
      receive(from: NodeId, msg: M) {
        this.heard.push(`${from}:${msg.text}`)
        return this.out()
      }
      tick(_key: string, now: number) {
        this.fired.push(now)
        return this.out()
      }
      command(cmd: {to: NodeId; text: string}) {
        const o = this.out()
        o.send.push({to: cmd.to, msg: {text: `${this.name}:${cmd.text}`}, channel: 'stream'})
        return o
      }
    }
    const sim = new Simulator<M, string, {to: NodeId; text: string}>({seed: 1, network: {baseDelay: 1, jitter: 0}, trace: true})
    const cores = new Map<string, Echo>()
    const make = (name: string, at: number) => (ctx: CoreContext) => {
      const e = new Echo(ctx.id, name, at)
      cores.set(`${ctx.id}/${name}`, e)
      return e
    }
    sim.addNode('n1', {cores: {a: make('a', 10), b: make('b', 20)}})
    sim.addNode('n2', {cores: {b: make('b', 30), a: make('a', 40)}})
    sim.addNode('n3', {cores: {b: make('b', 50)}})
    sim.command('n1', {to: 'n2', text: 'hi'}, 1, 'a')
    sim.command('n1', {to: 'n2', text: 'yo'}, 1, 'b')
    sim.command('n1', {to: 'n3', text: 'lost'}, 1, 'a')
    sim.runUntil(100)
    expect(cores.get('n2/a')!.heard).toEqual(['n1:a:hi'])
    expect(cores.get('n2/b')!.heard).toEqual(['n1:b:yo'])
    expect(cores.get('n3/b')!.heard).toEqual([])
    expect(sim.trace!.filter((r) => r.k === 'drop').map((r) => (r.k === 'drop' ? [r.node, r.core, r.reason] : []))).toEqual([['n3', 'a', 'receiver-down']])
    expect(cores.get('n1/a')!.fired).toEqual([10])
    expect(cores.get('n1/b')!.fired).toEqual([20])
    expect(cores.get('n2/b')!.fired).toEqual([30])
    expect(cores.get('n2/a')!.fired).toEqual([40])
  })

  it('a route to a core the node does not run is a scenario error, said at once', () => {
    const sim = new Simulator<unknown, string, never>({seed: 1})
    const core = (ctx: CoreContext): Core<unknown, string> => ({
      id: ctx.id,
      start: () => ({send: [], timers: [], cancel: [], events: ['up']}),
      receive: () => ({send: [], timers: [], cancel: [], events: []}),
      tick: () => ({send: [], timers: [], cancel: [], events: []}),
    })
    sim.addNode('n1', {cores: {a: core}, route: () => [{core: 'nope', cmd: 1}]})
    expect(() => sim.runUntil(10)).toThrow(/routes to core 'nope'/)
  })
})
