import {describe, expect, it} from 'vitest'
import {SwimCore, type SwimMessage, type Update} from '../../src/gossip/index.js'
import type {Output} from '../../src/core/index.js'
import type {MembershipEvent} from '../../src/gossip/index.js'
import {Rng} from '../../src/sim/index.js'

/**
 * With a shared clock every holder of a suspicion times it from the accuser's instant, carried
 * in the suspect message (SwimCore.suspicionStart), so all reach the verdict together. Cores
 * driven by hand; N = 5 on LAN: minimum suspicion timeout 4 s, maximum 24 s, k = 2.
 */

const ids = ['a', 'b', 'c', 'd', 'e']
const core = (id: string, sharedClock = true) => {
  const c = new SwimCore({id, random: new Rng(1), members: ids, profile: 'lan', config: {sharedClock}})
  c.start(0)
  return c
}
type Out = Output<SwimMessage, MembershipEvent>
const copy = (o: Out) => ({send: [...o.send], timers: [...o.timers]})
const deadline = (o: ReturnType<typeof copy>, id: string) => o.timers.find((t) => t.key === `suspect:${id}`)?.at
const suspect = (node: string, from: string, at?: unknown): Update => ({kind: 'suspect', node, inc: 0, from, ...(at === undefined ? {} : {at: at as number})})
const gossipOf = (o: ReturnType<typeof copy>, node: string) =>
  o.send.flatMap((e) => ('updates' in e.msg ? e.msg.updates : [])).filter((u) => u.node === node && u.kind === 'suspect')

describe('suspicions timed from the accuser\'s instant', () => {
  it('a holder that hears of a suspicion 300 ms after it was raised times it from then, and passes that instant on', () => {
    const a = core('a')
    const out = copy(a.receive('c', {type: 'gossip', updates: [suspect('b', 'c', 10_000)]}, 10_300))
    expect(deadline(out, 'b')).toBe(10_000 + 24_000)
    expect(a.member('b')!.state).toBe('suspect')
    // Passed on (gossip on the leading edge, a re-check ping of b…) with the accuser's instant.
    const passed = [...gossipOf(out, 'b'), ...gossipOf(copy(a.tick('gossip', 10_500)), 'b'), ...gossipOf(copy(a.tick('recheck:b', 11_500)), 'b')]
    expect(passed.length).toBeGreaterThan(0)
    for (const u of passed) expect(u.at).toBe(10_000)
  })

  it('an instant more than one probe interval back is trusted one interval back; one in our future counts as now', () => {
    const a = core('a')
    expect(deadline(copy(a.receive('c', {type: 'gossip', updates: [suspect('b', 'c', 1_000)]}, 9_000)), 'b')).toBe(9_000 - 1_000 + 24_000)
    const d = core('d')
    expect(deadline(copy(d.receive('c', {type: 'gossip', updates: [suspect('b', 'c', 50_000)]}, 9_000)), 'b')).toBe(9_000 + 24_000)
  })

  it('an instant that is not a number is ignored: timed from now and passed on with our instant', () => {
    const a = core('a')
    const out = copy(a.receive('c', {type: 'gossip', updates: [suspect('b', 'c', 'yesterday')]}, 9_000))
    expect(deadline(out, 'b')).toBe(9_000 + 24_000)
    const passed = [...gossipOf(out, 'b'), ...gossipOf(copy(a.tick('gossip', 9_200)), 'b')]
    expect(passed.length).toBeGreaterThan(0)
    for (const u of passed) expect(u.at).toBe(9_000)
  })

  it('our own accusation carries the instant we raised it, and our confirmation the instant of the suspicion it confirms', () => {
    const a = core('a')
    // a probes on the aligned ring; find a period whose target is b, and let that probe fail.
    let j = 0
    let first: ReturnType<typeof copy> | undefined
    for (let t = 1_000; t < 30_000 && !first; t += 1_000) {
      const o = copy(a.tick('probe', t))
      if (o.send.some((e) => e.msg.type === 'ping' && e.to === 'b')) {
        first = o
        j = t
      }
    }
    expect(first).toBeDefined()
    // c's accusation reaches a meanwhile, raised 200 ms ago.
    a.receive('c', {type: 'gossip', updates: [suspect('b', 'c', j + 100)]}, j + 300)
    // The probe period ends unanswered: a confirms c's suspicion, timed from c's instant.
    const end = copy(a.tick('probe', j + 1_000))
    const conf = [...gossipOf(end, 'b'), ...gossipOf(copy(a.tick('gossip', j + 1_200)), 'b')].filter((u) => u.from === 'a')
    expect(conf.length).toBeGreaterThan(0)
    for (const u of conf) expect(u.at).toBe(j + 100)
    // A fresh accusation of a member we held alive carries the instant we raised it.
    const d = core('d')
    const ping = copy(d.tick('probe', 1_000)).send.find((e) => e.msg.type === 'ping')
    expect(ping).toBeDefined() // d knows four live members: every period has a target
    const after = copy(d.tick('probe', 2_000))
    const mine = [...gossipOf(after, ping!.to), ...gossipOf(copy(d.tick('gossip', 2_200)), ping!.to)].filter((u) => u.from === 'd')
    expect(mine.length).toBeGreaterThan(0)
    for (const u of mine) expect(u.at).toBe(2_000)
  })

  it('without a shared clock (memberlist), a suspicion is timed from when it was heard and carries no instant', () => {
    const a = core('a', false)
    const out = copy(a.receive('c', {type: 'gossip', updates: [suspect('b', 'c', 10_000)]}, 10_300))
    expect(deadline(out, 'b')).toBe(10_300 + 24_000)
  })
})
