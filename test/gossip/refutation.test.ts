import {describe, expect, it} from 'vitest'
import {SwimCore, type SwimMessage, type Update} from '../../src/gossip/index.js'
import type {Envelope, Output} from '../../src/core/index.js'
import type {MembershipEvent} from '../../src/gossip/index.js'
import {Rng} from '../../src/sim/index.js'

/**
 * How a refutation reaches every member (the mechanisms behind the claims of claims.test.ts):
 * stale accusations are answered, holders of a suspicion re-check the suspect directly, and news
 * that clears an accusation is gossiped on the leading edge. Cores are driven by hand.
 */

const ids = ['a', 'b', 'c', 'd', 'e']
const core = (id: string, seed = 1) => {
  const c = new SwimCore({id, random: new Rng(seed), members: ids, profile: 'lan'})
  c.start(0)
  return c
}
type Out = Output<SwimMessage, MembershipEvent>
/** Copies an output (a core reuses its arrays on its next call). */
const copy = (o: Out) => ({send: [...o.send], timers: [...o.timers], cancel: [...o.cancel], events: [...o.events]})
const updatesTo = (sends: Envelope<SwimMessage>[], to: string): Update[] =>
  sends.filter((e) => e.to === to).flatMap((e) => ('updates' in e.msg ? e.msg.updates : []))
const suspect = (node: string, inc: number, from: string): Update => ({kind: 'suspect', node, inc, from})

describe('a refuted accusation is answered wherever it is still spread', () => {
  it('the suspect, already refuted, answers a stale accusation with its current alive message: in the ack of a ping, else in a gossip datagram', () => {
    const b = core('b')
    copy(b.receive('c', {type: 'gossip', updates: [suspect('b', 0, 'c')]}, 1_000))
    expect(b.self().incarnation).toBe(1)
    // a still holds the old suspicion and pings b with it (Lifeguard buddy system).
    const ack = copy(b.receive('a', {type: 'ping', seq: 7, target: 'b', updates: [suspect('b', 0, 'a')]}, 1_100))
    const a = ack.send.find((e) => e.to === 'a' && e.msg.type === 'ack')!
    expect(a.msg.type === 'ack' && a.msg.updates.filter((u) => u.node === 'b')).toEqual([{kind: 'alive', node: 'b', inc: 1, tags: {}}])
    expect(b.self().incarnation).toBe(1) // no new incarnation for a stale accusation
    // d gossips an old "dead": d is told directly.
    const out = copy(b.receive('d', {type: 'gossip', updates: [{kind: 'dead', node: 'b', inc: 0, from: 'd'}]}, 1_200))
    expect(updatesTo(out.send, 'd')).toContainEqual({kind: 'alive', node: 'b', inc: 1, tags: {}})
  })

  it('a third member that knows of the refutation corrects the sender of a stale accusation, and nobody answers a current one', () => {
    const c = core('c')
    copy(c.receive('b', {type: 'gossip', updates: [{kind: 'alive', node: 'b', inc: 1, tags: {}}]}, 1_000))
    const stale = copy(c.receive('d', {type: 'gossip', updates: [suspect('b', 0, 'a')]}, 1_500))
    expect(updatesTo(stale.send, 'd')).toContainEqual({kind: 'alive', node: 'b', inc: 1, tags: {}})
    const fresh = copy(c.receive('e', {type: 'gossip', updates: [suspect('b', 1, 'e')]}, 1_600))
    expect(updatesTo(fresh.send, 'e').filter((u) => u.node === 'b' && u.kind === 'alive')).toEqual([])
    expect(c.member('b')!.state).toBe('suspect')
  })

  it('with correctStale off (and on the memberlist profile) stale accusations are not answered', () => {
    const c = new SwimCore({id: 'c', random: new Rng(1), members: ids, profile: 'lan', config: {correctStale: false}})
    c.start(0)
    c.receive('b', {type: 'gossip', updates: [{kind: 'alive', node: 'b', inc: 1, tags: {}}]}, 1_000)
    const out = copy(c.receive('d', {type: 'gossip', updates: [suspect('b', 0, 'a')]}, 1_500))
    expect(out.send.filter((e) => e.to === 'd')).toEqual([])
  })
})

describe('Lifeguard buddy system: a holder of a suspicion re-checks the suspect directly', () => {
  it('one that missed the refutation learns it from the suspect long before its suspicion can expire', () => {
    const a = core('a')
    const b = core('b')
    // b was accused by c and refuted (incarnation 1); a heard the accusation but not the refutation.
    b.receive('c', {type: 'gossip', updates: [suspect('b', 0, 'c')]}, 1_000)
    const heard = copy(a.receive('d', {type: 'gossip', updates: [suspect('b', 0, 'c')]}, 1_000))
    expect(a.member('b')!.state).toBe('suspect')
    const deadline = heard.timers.find((t) => t.key === 'suspect:b')!.at
    const recheck = heard.timers.find((t) => t.key === 'recheck:b')!.at
    // N = 5 on LAN: minimum timeout 4 s; the re-check comes within its first half.
    expect(recheck).toBeGreaterThanOrEqual(1_000 + 1_000)
    expect(recheck).toBeLessThanOrEqual(1_000 + 2_000)
    expect(recheck).toBeLessThan(deadline)
    const ping = copy(a.tick('recheck:b', recheck)).send.find((e) => e.to === 'b' && e.msg.type === 'ping')!
    expect(ping.msg.type === 'ping' && ping.msg.updates).toContainEqual({...suspect('b', 0, 'a'), at: 1_000}) // timed from when a heard it
    const ack = copy(b.receive('a', ping.msg, recheck + 1)).send.find((e) => e.to === 'a' && e.msg.type === 'ack')!
    const out = copy(a.receive('b', ack.msg, recheck + 2))
    expect(a.member('b')).toMatchObject({state: 'alive', incarnation: 1})
    expect(out.cancel).toContain('suspect:b')
    expect(out.cancel).toContain('recheck:b')
  })

  it('the re-check ping is not a probe: its silence neither confirms the suspicion nor hurts our health', () => {
    const a = core('a')
    const heard = copy(a.receive('d', {type: 'gossip', updates: [suspect('b', 0, 'c')]}, 1_000))
    const deadline = heard.timers.find((t) => t.key === 'suspect:b')!.at
    const at = heard.timers.find((t) => t.key === 'recheck:b')!.at
    const out = copy(a.tick('recheck:b', at))
    expect(out.timers.find((t) => t.key === 'suspect:b')).toBeUndefined()
    expect(out.timers.find((t) => t.key === 'recheck:b')!.at).toBeGreaterThan(at)
    expect(a.health()).toBe(0)
    expect(deadline).toBe(1_000 + 24_000) // still the maximum: N = 5 has k = 2 but none confirmed
  })
})

describe('news that clears an accusation is gossiped on the leading edge', () => {
  it('a refutation goes out to GossipNodes members in the same output, and rounds stay at most one per GossipInterval', () => {
    const b = core('b')
    const first = copy(b.receive('c', {type: 'gossip', updates: [suspect('b', 0, 'c')]}, 1_000))
    const gossips = first.send.filter((e) => e.msg.type === 'gossip' && e.msg.updates.some((u) => u.node === 'b' && u.kind === 'alive'))
    expect(gossips.length).toBeGreaterThanOrEqual(3)
    expect(first.timers.find((t) => t.key === 'gossip')!.at).toBe(1_200)
    // Another refutation 50 ms later waits for that next round.
    const second = copy(b.receive('d', {type: 'gossip', updates: [suspect('b', 1, 'd')]}, 1_050))
    expect(second.send.filter((e) => e.msg.type === 'gossip')).toEqual([])
    expect(b.self().incarnation).toBe(2)
  })

  it('other news (a tag change) still waits one interval, batching what follows', () => {
    const b = core('b')
    const out = copy(b.command({type: 'set-tags', tags: {role: 'db'}}, 1_000))
    expect(out.send).toEqual([])
    expect(out.timers.find((t) => t.key === 'gossip')!.at).toBe(1_200)
  })
})

describe('graceful leave', () => {
  it('a member we declared dead (a partition) that then leaves is recorded as left, not dead', () => {
    const a = core('a')
    a.receive('c', {type: 'gossip', updates: [{kind: 'dead', node: 'b', inc: 0, from: 'c'}]}, 1_000)
    expect(a.member('b')!.state).toBe('dead')
    // b never heard the accusation (it was on the other side) and leaves at incarnation 0.
    const out = copy(a.receive('d', {type: 'gossip', updates: [{kind: 'dead', node: 'b', inc: 0, from: 'b'}]}, 2_000))
    expect(a.member('b')!.state).toBe('left')
    expect(out.events).toContainEqual({type: 'leave', member: 'b', incarnation: 0})
    // Someone else's verdict never turns a leave back into a death.
    a.receive('e', {type: 'gossip', updates: [{kind: 'dead', node: 'b', inc: 0, from: 'e'}]}, 3_000)
    expect(a.member('b')!.state).toBe('left')
  })

  it('an older leave does not override a newer verdict', () => {
    const a = core('a')
    a.receive('c', {type: 'gossip', updates: [{kind: 'dead', node: 'b', inc: 2, from: 'c'}]}, 1_000)
    a.receive('d', {type: 'gossip', updates: [{kind: 'dead', node: 'b', inc: 1, from: 'b'}]}, 2_000)
    expect(a.member('b')).toMatchObject({state: 'dead', incarnation: 2})
  })
})
