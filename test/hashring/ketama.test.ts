import HashRing from 'hashring'
import {describe, expect, it} from 'vitest'
import {createPlacement, ketamaDigests, syntheticKey, type Placement} from '../../src/hashring/index.js'

const keys = Array.from({length: 50_000}, (_, i) => syntheticKey(i))

function disagreements(hr: HashRing, p: Placement): number {
  let n = 0
  for (const k of keys) if (hr.get(k) !== p.lookup(k)) n++
  return n
}

describe('ketama mode places keys exactly as the npm hashring package (libketama) does', () => {
  for (const n of [1, 2, 3, 7, 10, 33, 100]) {
    it(`${n} equal servers: the same server for all ${keys.length} keys, and the same points`, () => {
      const servers = Array.from({length: n}, (_, i) => `10.0.${i >> 8}.${i & 255}:11211`)
      const hr = new HashRing(servers)
      const p = createPlacement({algo: 'ketama', nodes: servers}) as Placement & {continuum: {points: Uint32Array}}
      expect(p.continuum.points.length).toBe(hr.ring.length)
      expect(Array.from(p.continuum.points)).toEqual(hr.ring.map((x: {value: number}) => x.value))
      expect(disagreements(hr, p)).toBe(0)
    })
  }

  it('weighted servers: the same placement as hashring given the same weights', () => {
    const weights = {'a:1': 3, 'b:1': 1, 'c:1': 2, 'd:1': 5}
    const hr = new HashRing(Object.fromEntries(Object.entries(weights).map(([s, weight]) => [s, {weight}])))
    const p = createPlacement({algo: 'ketama', nodes: Object.keys(weights), weights})
    expect(disagreements(hr, p)).toBe(0)
  })

  it('replicas are hashring.range(key, r): the first r distinct servers clockwise', () => {
    const servers = ['s1:11211', 's2:11211', 's3:11211', 's4:11211', 's5:11211']
    const hr = new HashRing(servers)
    const p = createPlacement({algo: 'ketama', nodes: servers})
    const sample = keys.slice(0, 5000)
    expect(sample).toHaveLength(5000)
    for (const r of [2, 3, 5]) expect(sample.filter((k) => JSON.stringify(p.lookupN(k, r)) !== JSON.stringify(hr.range(k, r)))).toEqual([])
  })

  it('after hashring.add and hashring.remove, the same placement as a fresh ketama config', () => {
    const hr = new HashRing(['a:1', 'b:1', 'c:1'])
    let p = createPlacement({algo: 'ketama', nodes: ['a:1', 'b:1', 'c:1']})
    hr.add('d:1')
    p = p.add('d:1')
    expect(disagreements(hr, p)).toBe(0)
    hr.remove('b:1')
    p = p.remove('b:1')
    expect(disagreements(hr, p)).toBe(0)
  })

  it('a server whose share rounds to no digest owns no key, but can still be a replica', () => {
    const p = createPlacement({algo: 'ketama', nodes: ['big', 'tiny'], weights: {big: 1000}})
    const hr = new HashRing({big: {weight: 1000}, tiny: {weight: 1}})
    expect(disagreements(hr, p)).toBe(0)
    expect(keys.slice(0, 100).every((k) => p.lookup(k) === 'big')).toBe(true)
    expect(p.lookupN('user:1', 2)).toEqual(['big', 'tiny'])
  })

  it("libketama's single-precision share gives 7 equal servers 160 points each, hashring's double 156", () => {
    // ketama.c: float pct = (float)w / (float)W; ks = floorf(pct * 40.0 * (float)n)
    expect(ketamaDigests(1, 7, 7, 'libketama')).toBe(40)
    expect(ketamaDigests(1, 7, 7, 'hashring')).toBe(39)
    const servers = Array.from({length: 7}, (_, i) => `s${i}`)
    const lib = createPlacement({algo: 'ketama', nodes: servers, ketama: 'libketama'}) as Placement & {continuum: {size: number}}
    expect(lib.continuum.size).toBe(7 * 160)
    expect(new HashRing(servers).ring.length).toBe(7 * 156)
    // Where both round alike (10 servers) the two modes are the same ring.
    const ten = Array.from({length: 10}, (_, i) => `s${i}`)
    const a = createPlacement({algo: 'ketama', nodes: ten, ketama: 'libketama'})
    const b = createPlacement({algo: 'ketama', nodes: ten})
    expect(keys.filter((k) => a.lookup(k) !== b.lookup(k))).toEqual([])
  })
})
