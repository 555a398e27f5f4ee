import {describe, expect, it} from 'vitest'
import {MAX_INCARNATION, MEMBERLIST_RULES, resolveSwimConfig, SwimCore, swimProfiles, type SwimConfig, type SwimMessage, type Update} from '../../src/gossip/index.js'
import {Rng} from '../../src/sim/index.js'
import {Driver} from './drive.js'

/**
 * SWIM's rules (§4.2; memberlist state.go aliveNode/suspectNode/deadNode) and the switches that
 * separate Lifeguard from dtk's own extensions, each checked on one core driven by hand. Each
 * test names the rule; several exist to catch one specific mistake in the code (named inline).
 */

const ids = ['a', 'b', 'c', 'd', 'e']
const swim = (id: string, config: Partial<SwimConfig> = {}, profile: 'lan' | 'memberlist' = 'lan', members: string[] = ids) => {
  const d = new Driver<SwimMessage>(new SwimCore({id, random: new Rng(1), members, profile, config}))
  d.start(0)
  return d
}
const suspect = (node: string, inc: number, from: string, at?: number): Update => ({kind: 'suspect', node, inc, from, ...(at === undefined ? {} : {at})})
const gossip = (...updates: Update[]): SwimMessage => ({type: 'gossip', updates})
const updatesOf = (sends: {msg: SwimMessage}[]) => sends.flatMap((e) => ('updates' in e.msg ? e.msg.updates : []))

describe('SWIM §4.2: incarnations order a member\'s states', () => {
  it('a refutation out-numbers the accused incarnation, not just our own (a restarted node accused at 5 refutes with 6)', () => {
    const a = swim('a')
    expect(a.core.self().incarnation).toBe(0)
    const out = a.receive('b', gossip(suspect('a', 5, 'b')), 1_000)
    expect(a.core.self().incarnation).toBe(6)
    expect(updatesOf(out.send)).toContainEqual({kind: 'alive', node: 'a', inc: 6, tags: {}})
  })

  it('an alive message at the incarnation of a suspicion does not clear it; only a higher one does', () => {
    const a = swim('a')
    a.receive('c', gossip(suspect('b', 2, 'c')), 1_000)
    expect(a.core.member('b')).toMatchObject({state: 'suspect', incarnation: 2})
    const same = a.receive('d', gossip({kind: 'alive', node: 'b', inc: 2, tags: {}}), 1_100)
    expect(a.core.member('b')).toMatchObject({state: 'suspect', incarnation: 2})
    expect(same.events).toEqual([])
    expect(same.cancel).not.toContain('suspect:b')
    const higher = a.receive('d', gossip({kind: 'alive', node: 'b', inc: 3, tags: {}}), 1_200)
    expect(a.core.member('b')).toMatchObject({state: 'alive', incarnation: 3})
    expect(higher.cancel).toContain('suspect:b')
  })

  it('an alive message about ourselves with our incarnation but other tags is refuted (memberlist aliveNode); with the same tags it is not', () => {
    const a = new Driver<SwimMessage>(new SwimCore({id: 'a', random: new Rng(1), members: ids, profile: 'lan', tags: {addr: '127.0.0.1:2002'}}))
    a.start(0)
    a.receive('b', gossip({kind: 'alive', node: 'a', inc: 0, tags: {addr: '127.0.0.1:2002'}}), 500)
    expect(a.core.self().incarnation).toBe(0)
    // A node restarted on a new port (its peers still hold the old address at incarnation 0).
    const out = a.receive('b', gossip({kind: 'alive', node: 'a', inc: 0, tags: {addr: '127.0.0.1:1001'}}), 1_000)
    expect(a.core.self()).toMatchObject({incarnation: 1, tags: {addr: '127.0.0.1:2002'}})
    expect(updatesOf(out.send)).toContainEqual({kind: 'alive', node: 'a', inc: 1, tags: {addr: '127.0.0.1:2002'}})
    // An older incarnation with other tags is history, not a claim about us now.
    a.receive('c', gossip({kind: 'alive', node: 'a', inc: 0, tags: {addr: '127.0.0.1:1001'}}), 1_100)
    expect(a.core.self().incarnation).toBe(1)
  })

  it('the restarted node\'s new address reaches a peer through that refutation', () => {
    const b = swim('b', {}, 'lan', ['b', 'c', 'd', 'e'])
    b.receive('a', gossip({kind: 'alive', node: 'a', inc: 0, tags: {addr: 'old:1'}}), 100)
    // a restarts with a new address: its own alive at incarnation 0 changes nothing at b…
    b.receive('a', gossip({kind: 'alive', node: 'a', inc: 0, tags: {addr: 'new:2'}}), 200)
    expect(b.core.member('a')!.tags).toEqual({addr: 'old:1'})
    // …until a hears its old self (b's push-pull) and refutes at incarnation 1.
    const a = new Driver<SwimMessage>(new SwimCore({id: 'a', random: new Rng(2), seeds: ['b'], profile: 'lan', tags: {addr: 'new:2'}}))
    a.start(200)
    const pp = b.receive('a', {type: 'push-pull', reply: false, join: true, states: [{id: 'a', state: 'alive', inc: 0, tags: {addr: 'new:2'}}]}, 300).send.find((e) => e.to === 'a')!
    const refuted = a.receive('b', pp.msg, 310)
    const alive = updatesOf(refuted.send).find((u) => u.node === 'a')!
    expect(alive).toEqual({kind: 'alive', node: 'a', inc: 1, tags: {addr: 'new:2'}})
    b.receive('a', gossip(alive), 320)
    expect(b.core.member('a')).toMatchObject({incarnation: 1, tags: {addr: 'new:2'}})
  })

  it('incarnations stop at 2^52, and an accusation just below it is still refuted with a valid incarnation', () => {
    const a = swim('a')
    a.receive('b', gossip(suspect('a', MAX_INCARNATION - 1, 'b')), 1_000)
    expect(a.core.self().incarnation).toBe(MAX_INCARNATION)
    expect(Number.isSafeInteger(a.core.self().incarnation + 1)).toBe(true)
  })
})

describe('leaving', () => {
  it('set-tags while leaving is refused: peers never see left → alive → left', () => {
    const a = swim('a')
    a.command({type: 'leave'}, 1_000)
    const out = a.command({type: 'set-tags', tags: {role: 'db'}}, 1_100)
    expect(a.core.self()).toMatchObject({state: 'left', incarnation: 0, tags: {}})
    expect(out.timers).toEqual([])
    a.runTimers(60_000)
    expect(updatesOf(a.sent).filter((u) => u.node === 'a' && u.kind === 'alive')).toEqual([])
  })

  it('no timer keeps re-arming after a leave: the leave is gossiped, then the core asks for nothing more', () => {
    const a = swim('a')
    a.runTimers(10_000)
    a.command({type: 'leave'}, 10_000)
    a.runTimers(24 * 3_600_000)
    expect([...a.timers.keys()]).toEqual([])
    expect(updatesOf(a.sent)).toContainEqual({kind: 'dead', node: 'a', inc: 0, from: 'a'})
  })
})

describe('a node with nobody to talk to asks for no timer, and wakes when a member appears', () => {
  it('alone without seeds: every loop stops; the first member restarts them on their phase', () => {
    const a = swim('a', {}, 'lan', [])
    const fired = a.runTimers(24 * 3_600_000)
    expect(fired).toBeLessThan(10)
    expect([...a.timers.keys()]).toEqual([])
    const out = a.receive('b', {type: 'push-pull', reply: false, join: true, states: [{id: 'b', state: 'alive', inc: 0, tags: {}}]}, 24 * 3_600_000 + 10)
    expect(out.timers.map((t) => t.key).sort()).toEqual(['gossip', 'probe', 'push-pull'])
  })

  it('a gossip round that finds nobody to send to stops the loop (before: re-armed every 200 ms for ever), and a member restarts it', () => {
    // b is declared dead and, with no gossip to the dead, a has nobody to send the news to.
    const a = swim('a', {gossipToTheDeadTime: 0}, 'lan', ['a', 'b'])
    a.receive('c', gossip({kind: 'dead', node: 'b', inc: 0, from: 'c'}), 1_000)
    expect((a.core as SwimCore).pendingBroadcasts()).toBe(1)
    const fired = a.runTimers(120_000)
    expect(fired).toBeLessThan(20)
    expect(a.timers.has('gossip')).toBe(false)
    expect(a.timers.has('probe')).toBe(false)
    expect((a.core as SwimCore).pendingBroadcasts()).toBe(1)
    const back = a.receive('b', gossip({kind: 'alive', node: 'b', inc: 1, tags: {}}), 130_000)
    expect(back.timers.map((t) => t.key)).toEqual(expect.arrayContaining(['gossip', 'probe']))
  })
})

describe('Lifeguard (Local Health Aware Probe)', () => {
  it('nacks are counted once per helper: a duplicated nack does not hide a missing one', () => {
    const run = (dupes: boolean) => {
      const a = swim('a')
      // Find a probe period, let the direct probe time out, and see who was asked to help.
      let ping
      for (let i = 0; i < 10 && !ping; i++) {
        const out = a.tick('probe')
        ping = out.send.find((e) => e.msg.type === 'ping')
      }
      expect(ping).toBeDefined()
      const reqs = a.tick('probe-timeout').send.filter((e) => e.msg.type === 'ping-req')
      expect(reqs).toHaveLength(3)
      const seq = (ping!.msg as {seq: number}).seq
      // One helper nacks (twice, when duplicated); the two others stay silent.
      a.receive(reqs[0]!.to, {type: 'nack', seq})
      if (dupes) a.receive(reqs[0]!.to, {type: 'nack', seq})
      // A nack from a member that was not asked counts for nothing.
      a.receive('zz', {type: 'nack', seq})
      a.tick('probe')
      return a.core as SwimCore
    }
    // Two missing nacks of three: +2 either way.
    expect(run(false).health()).toBe(2)
    expect(run(true).health()).toBe(2)
  })

  it('the probe timeout is stretched by the local health multiplier', () => {
    const a = swim('a')
    // Three refutations: each raises the health score by one (being accused hints we are slow).
    for (let i = 0; i < 3; i++) a.receive('b', gossip(suspect('a', a.core.self().incarnation, 'b')), 1_000 + i)
    expect((a.core as SwimCore).health()).toBe(3)
    const out = a.tick('probe')
    const ping = out.send.find((e) => e.msg.type === 'ping')
    expect(ping).toBeDefined()
    expect(out.timers.find((t) => t.key === 'probe-timeout')!.at).toBe(a.now + 4 * 500)
  })
})

describe('Lifeguard and dtk\'s extensions are switched separately; the memberlist profile runs memberlist\'s rules', () => {
  it('the memberlist profile is memberlist\'s DefaultLANConfig with every dtk extension off', () => {
    const c = resolveSwimConfig('memberlist')
    expect(c).toMatchObject({...MEMBERLIST_RULES, lifeguard: true, probeInterval: 1000, probeTimeout: 500, gossipInterval: 200, suspicionMult: 4})
    expect(c).toEqual({...swimProfiles.lan, ...MEMBERLIST_RULES})
  })

  it('lifeguard=false turns off Lifeguard only: stale accusations are still answered; correctStale=false stops that alone', () => {
    const answered = (config: Partial<SwimConfig>) => {
      const c = swim('c', config)
      c.receive('b', gossip({kind: 'alive', node: 'b', inc: 1, tags: {}}), 1_000)
      return updatesOf(c.receive('d', gossip(suspect('b', 0, 'a')), 1_500).send.filter((e) => e.to === 'd'))
    }
    expect(answered({lifeguard: false})).toContainEqual({kind: 'alive', node: 'b', inc: 1, tags: {}})
    expect(answered({correctStale: false})).toEqual([])
  })

  it('memberlist: no re-check of suspects, no answer to stale accusations, no accusation in acks', () => {
    const a = swim('a', {}, 'memberlist')
    const heard = a.receive('d', gossip(suspect('b', 0, 'c')), 1_000)
    expect(heard.timers.map((t) => t.key)).not.toContain('recheck:b')
    const ack = a.receive('b', {type: 'ping', seq: 3, target: 'a', updates: []}, 1_100).send.find((e) => e.msg.type === 'ack')!
    // (The suspicion c raised rides along as gossip; a's own accusation is not put first.)
    expect(updatesOf([ack]).filter((u) => u.node === 'b' && u.from === 'a')).toEqual([])
    a.receive('b', gossip({kind: 'alive', node: 'b', inc: 1, tags: {}}), 1_200)
    expect(a.receive('d', gossip(suspect('b', 0, 'c')), 1_300).send.filter((e) => e.to === 'd')).toEqual([])
  })

  it('memberlist: a refutation waits for the gossip ticker; dtk sends it in the same output', () => {
    const dtk = swim('b')
    expect(dtk.receive('c', gossip(suspect('b', 0, 'c')), 1_000).send.filter((e) => e.msg.type === 'gossip').length).toBeGreaterThanOrEqual(3)
    const ml = swim('b', {}, 'memberlist')
    const out = ml.receive('c', gossip(suspect('b', 0, 'c')), 1_000)
    expect(out.send.filter((e) => e.msg.type === 'gossip')).toEqual([])
    const at = out.timers.find((t) => t.key === 'gossip')!.at
    expect(at).toBeGreaterThan(1_000)
    expect(at).toBeLessThanOrEqual(1_200)
  })

  it('memberlist: gossip rounds keep the ticker\'s phase when a timer fires late; dtk runs the next round one interval after the last', () => {
    for (const [profile, late] of [['memberlist', 0], ['lan', 37]] as const) {
      const d = swim('b', {}, profile)
      // New tags: news that takes more than one round (each update goes out RetransmitMult · 1 = 4 times, to 3 members a round).
      d.command({type: 'set-tags', tags: {role: 'db'}}, 1_000)
      const first = d.timers.get('gossip')!
      expect(first).toBeGreaterThan(1_000)
      const out = d.apply(d.core.tick('gossip', first + 37))
      expect(out.send.filter((e) => e.msg.type === 'gossip')).toHaveLength(3)
      // memberlist's time.Ticker does not drift: the next tick is one interval after the last one due.
      expect(d.timers.get('gossip')).toBe(first + late + 200)
    }
  })

  it('memberlist: a helper nacks after a full probe timeout; dtk at 0.8 of it', () => {
    for (const [profile, at] of [['lan', 400], ['memberlist', 500]] as const) {
      const h = swim('c', {}, profile)
      const out = h.receive('a', {type: 'ping-req', seq: 9, target: 'b', updates: []}, 1_000)
      expect(out.timers.find((t) => t.key.startsWith('nack:'))!.at).toBe(1_000 + at)
    }
  })

  it('memberlist: a suspicion at a higher incarnation confirms the one held; dtk restarts it', () => {
    const deadlineAfter = (profile: 'lan' | 'memberlist') => {
      const a = swim('a', {}, profile)
      a.receive('c', gossip(suspect('b', 0, 'c')), 1_000)
      const out = a.receive('d', gossip(suspect('b', 1, 'd')), 2_000)
      return {inc: a.core.member('b')!.incarnation, deadline: out.timers.find((t) => t.key === 'suspect:b')?.at}
    }
    // N = 5 on LAN: min 4 s, max 24 s, k = 2: one confirmation gives 24 − 20·log 2/log 3 ≈ 11.4 s.
    expect(deadlineAfter('memberlist')).toEqual({inc: 0, deadline: 1_000 + Math.floor(24_000 - (20_000 * Math.log(2)) / Math.log(3))})
    expect(deadlineAfter('lan')).toEqual({inc: 1, deadline: 2_000 + 24_000})
  })
})
