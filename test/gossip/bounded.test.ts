import {describe, expect, it} from 'vitest'
import {createDetector, MAX_INDIRECT, SwimCore, type DetectorCommand, type GossipMessage, type MembershipEvent, type SwimMessage} from '../../src/gossip/index.js'
import {Rng, Simulator} from '../../src/sim/index.js'
import {Driver} from './drive.js'

/**
 * Issue 13 §3: every table a gossip core keeps has a bound or a timeout. Dead members are
 * forgotten after the reconnect timeout and members that left after the tombstone timeout
 * (Serf's reconnect_timeout and tombstone_timeout, 24 h by default), and a long run with
 * thousands of joins, leaves and crashes keeps each member table at the live members plus
 * those still inside the timeouts.
 */

const HOUR = 3_600_000
const ids = ['a', 'b', 'c', 'd', 'e']

describe('dead members are forgotten after the reconnect timeout, members that left after the tombstone timeout', () => {
  it('on the defaults (24 h each), at the first reconnect tick past the timeout, with a forget event, and nothing about them is gossiped any more', () => {
    const a = new Driver<SwimMessage>(new SwimCore({id: 'a', random: new Rng(1), members: ids, profile: 'lan'}))
    a.start(0)
    a.receive('c', {type: 'gossip', updates: [{kind: 'dead', node: 'b', inc: 0, from: 'c'}]}, 1_000)
    a.receive('d', {type: 'gossip', updates: [{kind: 'dead', node: 'e', inc: 0, from: 'e'}]}, 2 * HOUR)
    expect(a.core.member('b')!.state).toBe('dead')
    expect(a.core.member('e')!.state).toBe('left')
    a.runTimers(24 * HOUR)
    expect(a.core.member('b')).toBeDefined()
    a.runTimers(24 * HOUR + 1_000 + 30_000)
    expect(a.core.member('b')).toBeUndefined()
    expect(a.core.member('e')).toBeDefined()
    a.runTimers(26 * HOUR + 30_000)
    expect(a.core.member('e')).toBeUndefined()
    // (c and d, which never answer a's probes here, were declared dead and forgotten too.)
    expect(a.events.filter((e) => e.type === 'forget').map((e) => e.member).sort()).toEqual(['b', 'c', 'd', 'e'])
    expect((a.core as SwimCore).tableSizes()).toMatchObject({members: 0, broadcasts: 0})
    // A late alive message about a forgotten member brings it back as a new member.
    a.receive('c', {type: 'gossip', updates: [{kind: 'alive', node: 'b', inc: 1, tags: {}}]})
    expect(a.core.member('b')).toMatchObject({state: 'alive', incarnation: 1})
  })

  it('both timeouts are parameters (and so is the all-to-all detectors\')', () => {
    const a = new Driver<SwimMessage>(new SwimCore({id: 'a', random: new Rng(1), members: ids, profile: 'lan', config: {reconnectTimeout: 60_000, tombstoneTimeout: 90_000}}))
    a.start(0)
    a.receive('c', {type: 'gossip', updates: [{kind: 'dead', node: 'b', inc: 0, from: 'c'}, {kind: 'dead', node: 'e', inc: 0, from: 'e'}]}, 1_000)
    a.runTimers(91_000)
    expect(a.core.member('b')).toBeUndefined()
    expect(a.core.member('e')).toBeDefined()
    a.runTimers(121_000)
    expect(a.core.member('e')).toBeUndefined()
    for (const detector of ['phi', 'heartbeat'] as const) {
      const h = new Driver<GossipMessage>(createDetector(detector, {id: 'a', random: new Rng(1), members: ids, profile: 'lan', [detector]: {reconnectTimeout: 60_000}}))
      h.start(0)
      h.runTimers(30_000)
      // Every other member (none ever started) convicted, none yet forgotten.
      expect(h.core.members().map((m) => m.state)).toEqual(ids.filter((id) => id !== 'a').map(() => 'dead'))
      h.runTimers(100_000)
      expect(h.core.members()).toEqual([])
    }
  })
})

describe('indirect probes run for others are bounded', () => {
  it(`a flood of ping-reqs starts at most ${MAX_INDIRECT} indirect probes at once`, () => {
    const c = new SwimCore({id: 'c', random: new Rng(1), members: ids, profile: 'lan'})
    c.start(0)
    let pings = 0
    for (let i = 0; i < 3 * MAX_INDIRECT; i++) pings += c.receive('a', {type: 'ping-req', seq: i, target: 'b', updates: []}, 100).send.filter((e) => e.msg.type === 'ping').length
    expect(pings).toBe(MAX_INDIRECT)
    expect(c.tableSizes().indirectProbes).toBe(MAX_INDIRECT)
    // Each ends with its nack timer.
    for (let seq = 1; seq <= MAX_INDIRECT + 1; seq++) c.tick(`nack:${seq}`, 600)
    expect(c.tableSizes().indirectProbes).toBe(0)
  })
})

describe('a long run with churn: the member table holds the live members plus those inside the timeouts', () => {
  it('2 simulated hours, a join, leave or crash every 2.5 s (about 2900 in all) around 10 members that stay, reconnect timeout 10 min, tombstone timeout 5 min', {timeout: 600_000}, () => {
    const swim = {reconnectTimeout: 10 * 60_000, tombstoneTimeout: 5 * 60_000}
    const SLACK = 120_000 // reap granularity (reconnectInterval, 30 s) + detection (≤ 6 × the minimum suspicion timeout)
    const sim = new Simulator<GossipMessage, MembershipEvent, DetectorCommand>({seed: 5})
    const rng = sim.random
    const running = new Set<string>()
    const startedAt = new Map<string, number>()
    const goneAt: {id: string; at: number; how: 'crash' | 'leave'}[] = []
    let next = 0
    let forgets = 0
    sim.onEvent((_now, _node, e) => {
      if (e.type === 'forget') forgets++
    })
    const join = (at: number) => {
      const id = `m${next++}`
      const live = [...running]
      const seeds = live.length === 0 ? [] : [live[rng.int(live.length)]!, live[rng.int(live.length)]!]
      sim.addNode(id, (ctx) => createDetector('swim', {id, random: ctx.random, seeds, profile: 'lan', swim}), at)
      running.add(id)
      startedAt.set(id, at)
    }
    for (let i = 0; i < 30; i++) join(i * 30)
    // The first 10 stay for the whole run: they hear of every member that ever comes and goes.
    const stay = new Set([...running].slice(0, 10))
    const END = 2 * HOUR
    let joins = 0
    let leaves = 0
    let crashes = 0
    const samples: {at: number; node: string; size: number; bound: number; others: number}[] = []
    for (let t = 60_000; t < END; t += 2_500) {
      sim.at(t, () => {
        const live = [...running]
        const r = rng.next()
        if (live.length < 20 || (r < 0.4 && live.length < 40)) {
          join(t)
          joins++
        } else {
          const movable = live.filter((x) => !stay.has(x))
          const id = movable[rng.int(movable.length)]!
          running.delete(id)
          if (r < 0.7) {
            sim.command(id, {type: 'leave'}, t)
            sim.crash(id, t + 5_000)
            goneAt.push({id, at: t, how: 'leave'})
            leaves++
          } else {
            sim.crash(id, t)
            goneAt.push({id, at: t, how: 'crash'})
            crashes++
          }
        }
      })
    }
    // Every minute, every node running for a minute or more: its table against the bound.
    for (let t = 5 * 60_000; t < END; t += 60_000) {
      sim.at(t, () => {
        const recent = goneAt.filter((g) => t - g.at <= (g.how === 'crash' ? swim.reconnectTimeout : swim.tombstoneTimeout) + SLACK).length
        for (const id of running) {
          if (t - startedAt.get(id)! < 60_000) continue
          const core = sim.core<SwimCore>(id)!
          const sizes = core.tableSizes()
          samples.push({at: t, node: id, size: sizes.members, bound: running.size - 1 + recent, others: running.size - 1})
          expect(sizes.broadcasts).toBeLessThanOrEqual(sizes.members + 1)
          expect(sizes.indirectProbes).toBeLessThanOrEqual(MAX_INDIRECT)
          expect(sizes.corrections).toBe(0)
        }
      })
    }
    sim.runUntil(END)
    console.log(`FIGURE churn 2h: ${JSON.stringify({ids: next, joins, leaves, crashes, forgets, samples: samples.length, maxTable: Math.max(...samples.map((x) => x.size)), maxBound: Math.max(...samples.map((x) => x.bound))})}`)
    expect(joins + leaves + crashes).toBeGreaterThan(2_500)
    expect(joins).toBeGreaterThan(1_000)
    expect(samples.length).toBeGreaterThan(1_500)
    for (const x of samples) {
      expect(x.size, `${x.node} at ${x.at / 1000} s`).toBeLessThanOrEqual(x.bound)
      // And it knows its live peers (the table is not small by forgetting the living).
      expect(x.size).toBeGreaterThanOrEqual(x.others)
    }
    // Without forgetting, the tables of the members that stay would hold every member that ever
    // came: over a thousand by the end.
    expect(next).toBeGreaterThan(1_000)
    const stayers = samples.filter((x) => stay.has(x.node))
    expect(stayers.length).toBe(10 * 115)
    expect(Math.max(...stayers.map((x) => x.size))).toBeLessThan(200)
    expect(forgets).toBeGreaterThan(10 * 1_000)
  })
})
