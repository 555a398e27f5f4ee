import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {Layout, parseTag, partitionOf, RingState, verifyRing, type LayoutSpec, type RingTuple} from '../../src/shard/index.js'

const spec: LayoutSpec = {partitions: 128, replicas: 2, algo: 'ring', vnodes: 160}
const nodes = (n: number) => Array.from({length: n}, (_, i) => `n${i}`)

describe('where keys live', () => {
  it('keys fall evenly into the P equal arcs of the hash circle', () => {
    const counts = new Array(16).fill(0)
    for (let i = 0; i < 32_000; i++) counts[partitionOf(`user:${i}`, 16)]++
    expect(counts).toHaveLength(16)
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(200)
  })

  it('a join moves about P·R/(N+1) partition copies, all of them to the new node', () => {
    const before = new Layout(spec, nodes(5))
    const after = new Layout(spec, nodes(6))
    let moved = 0
    for (let p = 0; p < spec.partitions; p++) {
      const gained = after.ownersOf(p).filter((o) => !before.ownersOf(p).includes(o))
      expect(gained.every((o) => o === 'n5')).toBe(true)
      moved += gained.length
      expect(after.ownersOf(p)).toHaveLength(2)
      expect(new Set(after.ownersOf(p)).size).toBe(2)
    }
    const ideal = (spec.partitions * spec.replicas) / 6
    console.log(`FIGURE shard join 5→6, P = 128, R = 2: ${moved} partition copies move (ideal ${ideal.toFixed(1)})`)
    expect(moved).toBeGreaterThan(ideal * 0.5)
    expect(moved).toBeLessThan(ideal * 1.6)
  })

  it('a leave moves only the leaving node’s copies', () => {
    const before = new Layout(spec, nodes(6))
    const after = new Layout(spec, nodes(6).filter((n) => n !== 'n2'))
    let moved = 0
    for (let p = 0; p < spec.partitions; p++) {
      const lost = before.ownersOf(p).filter((o) => !after.ownersOf(p).includes(o))
      expect(lost.every((o) => o === 'n2')).toBe(true)
      moved += lost.length
    }
    expect(moved).toBe([...Array(spec.partitions).keys()].filter((p) => before.ownersOf(p).includes('n2')).length)
  })
})

describe('the ring as a CRDT', () => {
  const tuple = fc.tuple(fc.constantFrom('n0', 'n1', 'n2', 'n3'), fc.integer({min: 0, max: 3}), fc.constantFrom('in' as const, 'leaving' as const, 'out' as const))
  it('merging the same entries in any order gives the same ring', () => {
    fc.assert(
      fc.property(fc.array(tuple, {maxLength: 20}), fc.integer(), (entries, seed) => {
        const a = new RingState()
        for (const t of entries) a.merge(t[0], {gen: t[1], status: t[2]})
        const shuffled = [...entries]
        let s = seed
        for (let i = shuffled.length - 1; i > 0; i--) {
          s = (s * 1103515245 + 12345) | 0
          const j = Math.abs(s) % (i + 1)
          ;[shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]
        }
        const b = new RingState()
        b.mergeAll(shuffled as RingTuple[])
        expect(b.tuples()).toEqual(a.tuples())
        expect(b.members()).toEqual(a.members())
      }),
    )
  })

  it('a higher generation wins; at one generation out outranks leaving outranks in; only `in` members hold partitions', () => {
    const r = new RingState()
    r.merge('a', {gen: 1, status: 'in'})
    r.merge('b', {gen: 1, status: 'in'})
    expect(r.merge('a', {gen: 1, status: 'leaving'})).toBe(true)
    expect(r.merge('a', {gen: 1, status: 'in'})).toBe(false)
    expect(r.members()).toEqual(['b'])
    expect(r.merge('a', {gen: 1, status: 'out'})).toBe(true)
    expect(r.merge('a', {gen: 2, status: 'in'})).toBe(true)
    expect(r.members()).toEqual(['a', 'b'])
    expect(parseTag('2:in')).toEqual({gen: 2, status: 'in'})
    expect(parseTag('x:in')).toBeNull()
    expect(parseTag(undefined)).toBeNull()
  })
})

describe('dtk ring verify, as a function', () => {
  const small: LayoutSpec = {partitions: 8, replicas: 2, algo: 'ring', vnodes: 160}
  const members = ['a', 'b', 'c']
  const layout = new Layout(small, members)
  const keys = Array.from({length: 40}, (_, i) => `k${i}`)
  const clean = () => {
    const h: Record<string, [string, number][]> = {a: [], b: [], c: []}
    for (const k of keys) for (const o of layout.ownersOfKey(k)) h[o]!.push([k, 1])
    return h
  }

  it('every key on exactly its R owners is clean', () => {
    const r = verifyRing({members, spec: small, holdings: clean(), expected: keys})
    expect(r.keys).toBe(40)
    expect(r.nodes.map((n) => n.node)).toEqual(['a', 'b', 'c'])
    expect(r.nodes.reduce((s, n) => s + n.keys, 0)).toBe(80)
    expect(r).toMatchObject({misplaced: 0, missing: 0, underReplicated: 0, lost: 0, stale: 0, ok: true})
  })

  it('counts misplaced, missing, under-replicated, lost and stale copies, and names examples', () => {
    const h = clean()
    const [k0, k1, k2] = keys
    const notOwner = members.find((m) => !layout.ownersOfKey(k0!).includes(m))!
    h[notOwner]!.push([k0!, 1])
    const owner1 = layout.ownersOfKey(k1!)[1]!
    h[owner1] = h[owner1]!.filter(([k]) => k !== k1)
    const owner2 = layout.ownersOfKey(k2!)[0]!
    h[owner2] = h[owner2]!.map(([k, v]) => [k, k === k2 ? 0 : v])
    const r = verifyRing({members, spec: small, holdings: h, expected: [...keys, 'never-written']})
    expect(r).toMatchObject({misplaced: 1, missing: 1, underReplicated: 1, lost: 1, stale: 1, ok: false})
    expect(r.examples).toEqual({misplaced: [[notOwner, k0]], missing: [[owner1, k1]], lost: ['never-written'], stale: [[owner2, k2]]})
  })

  it('a node that could not be asked is not counted as missing its keys', () => {
    const h = clean()
    delete h.c
    const r = verifyRing({members, spec: small, holdings: h, unreachable: ['c']})
    expect(r).toMatchObject({missing: 0, misplaced: 0, underReplicated: 0, ok: true})
    expect(r.nodes.map((n) => n.node)).toEqual(['a', 'b'])
  })
})
