import {describe, expect, it} from 'vitest'
import {ProbeRing, ringKey, type RingMember} from '../../src/gossip/probe-ring.js'
import type {MemberState} from '../../src/gossip/index.js'

/**
 * The aligned probe schedule (src/gossip/probe-ring.ts): members that share a view and a clock
 * probe a permutation of each other at every period, and each one's walk is still SWIM's
 * round-robin (§4.3).
 */

interface M extends RingMember {
  state: MemberState
}
const member = (id: string, state: MemberState = 'alive'): M => ({id, state, ringKey: ringKey(id)})

/** One ring per member, each knowing every member (the same view everywhere). */
function cluster(n: number) {
  const ids = Array.from({length: n}, (_, i) => `n${i}`)
  const rings = new Map<string, {ring: ProbeRing<M>; view: Map<string, M>}>()
  for (const me of ids) {
    const view = new Map(ids.map((id) => [id, member(id)]))
    const ring = new ProbeRing(view.get(me)!)
    for (const id of ids) if (id !== me) ring.add(view.get(id)!)
    rings.set(me, {ring, view})
  }
  return {ids, rings}
}

describe('the aligned probe ring', () => {
  it('at every period, members with the same view probe a permutation of each other: everyone probed exactly once, never by itself', () => {
    const {ids, rings} = cluster(37)
    for (let j = 1_000_000; j < 1_000_000 + 80; j++) {
      const probed = new Map<string, number>()
      for (const me of ids) {
        const t = rings.get(me)!.ring.target(j)!
        expect(t.id).not.toBe(me)
        probed.set(t.id, (probed.get(t.id) ?? 0) + 1)
      }
      expect(probed.size).toBe(ids.length)
      expect([...probed.values()].every((c) => c === 1)).toBe(true)
    }
  })

  it('each member walks round-robin: N − 1 consecutive periods visit every other member once (SWIM §4.3)', () => {
    const {ids, rings} = cluster(20)
    for (const me of ids) {
      const seen = new Set<string>()
      // Start anywhere but on the period where every member skips itself (j ≡ 0 mod N).
      for (let j = 41; j < 41 + ids.length - 1; j++) seen.add(rings.get(me)!.ring.target(j)!.id)
      expect(seen.size).toBe(ids.length - 1)
      expect(seen.has(me)).toBe(false)
    }
  })

  it('a crashed member is probed in consecutive periods by consecutive probers, whose ticks fall about one period apart', () => {
    const {ids, rings} = cluster(50)
    const T = 1000
    const victim = 'n17'
    const times: number[] = []
    const probers = new Set<string>()
    for (let j = 500; j < 600; j++) {
      for (const me of ids) {
        const {ring} = rings.get(me)!
        if (ring.target(j)!.id === victim) {
          times.push(ring.tickAt(j, T))
          probers.add(me)
        }
      }
    }
    expect(times.length).toBe(100)
    expect(probers.size).toBe(49)
    times.sort((a, b) => a - b)
    const gaps = times.slice(1).map((t, i) => t - times[i]!)
    // Never two periods without a probe; once per traversal (where the ranks wrap) up to two.
    expect(Math.max(...gaps)).toBeLessThanOrEqual(2 * T)
    expect(gaps.filter((g) => g > 1.1 * T).length).toBeLessThanOrEqual(3)
  })

  it('members off the live set are neither probed nor counted; a new member takes its place in hash order', () => {
    const a = member('a')
    const ring = new ProbeRing(a)
    const b = member('b')
    const c = member('c', 'dead')
    ring.add(b)
    ring.add(c)
    for (let j = 0; j < 10; j++) expect(ring.target(j)!.id).toBe('b')
    b.state = 'suspect'
    ring.changed(b)
    expect(ring.target(3)!.id).toBe('b') // a suspect is still probed
    b.state = 'left'
    ring.changed(b)
    expect(ring.target(3)).toBeUndefined()
    const d = member('d')
    ring.add(d)
    expect(ring.target(5)!.id).toBe('d')
  })

  it('ticks at its own phase of the period, and the period of a tick is recovered from a late timer', () => {
    const ring = new ProbeRing(member('n3'))
    expect(ring.phase).toBeGreaterThanOrEqual(0)
    expect(ring.phase).toBeLessThan(1)
    const T = 200
    const first = ring.nextTickAt(1_700_000_000_123, T)
    expect(first).toBeGreaterThanOrEqual(1_700_000_000_123)
    expect(first - 1_700_000_000_123).toBeLessThan(T)
    const j = ring.periodAt(first, T)
    expect(ring.tickAt(j, T)).toBeCloseTo(first, 3)
    expect(ring.periodAt(first + 0.4 * T, T)).toBe(j) // a timer firing late still belongs to its period
    expect(ring.tickAt(j + 1, T) - ring.tickAt(j, T)).toBeCloseTo(T, 6)
    // Phases are the members' own: spread over the period, not in lock-step.
    const phases = Array.from({length: 100}, (_, i) => new ProbeRing(member(`m${i}`)).phase)
    expect(Math.min(...phases)).toBeLessThan(0.1)
    expect(Math.max(...phases)).toBeGreaterThan(0.9)
  })
})
