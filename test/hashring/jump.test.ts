import {describe, expect, it} from 'vitest'
import {createPlacement, jumpHash, syntheticKey} from '../../src/hashring/index.js'

const halves = (k: bigint) => [Number(k >> 32n), Number(k & 0xffffffffn)] as const

describe('jump consistent hash matches the paper (Lamping & Veach 2014) on known results', () => {
  it("Guava's golden values: consistentHash(i, 100) for i = 0..19, and its larger cases", () => {
    // Guava HashingTest.testConsistentHash_linearCongruentialGeneratorCompatibility
    const golden100 = [0, 55, 62, 8, 45, 59, 86, 97, 82, 59, 73, 37, 17, 56, 86, 21, 90, 37, 38, 83]
    expect(golden100.map((_, i) => jumpHash(0, i, 100))).toEqual(golden100)
    const more: Array<[bigint, number, number]> = [
      [10863919174838991n, 11, 6],
      [2016238256797177309n, 11, 3],
      [1673758223894951030n, 11, 5],
      [2n, 100001, 80343],
      [2201n, 100001, 22152],
      [2202n, 100001, 15018],
    ]
    for (const [key, n, want] of more) expect(jumpHash(...halves(key), n), `${key} ${n}`).toBe(want)
  })

  it("ClickHouse's jumpConsistentHash results, including a key above 2^63", () => {
    // tests/queries/0_stateless/00580_consistent_hashing_functions: 0 43 520 0 361 237
    const cases: Array<[bigint, number, number]> = [
      [1n, 1, 0],
      [42n, 57, 43],
      [256n, 1024, 520],
      [3735883980n, 1, 0],
      [3735883980n, 666, 361],
      [16045690984833335023n, 255, 237],
    ]
    for (const [key, n, want] of cases) expect(jumpHash(...halves(key), n)).toBe(want)
  })

  it('growing from n to n + 1 buckets moves keys only into the new bucket', () => {
    let changed = 0
    const wrong: string[] = []
    for (let i = 0; i < 2000; i++) {
      const lo = (i * 2654435761) >>> 0
      const hi = (i * 40503) >>> 0
      for (let n = 1; n < 60; n++) {
        const a = jumpHash(hi, lo, n)
        const b = jumpHash(hi, lo, n + 1)
        if (a === b) continue
        changed++
        if (b !== n) wrong.push(`${hi}:${lo} ${n}: ${a} -> ${b}`)
      }
    }
    expect(changed).toBeGreaterThan(1000)
    expect(wrong).toEqual([])
  })
})

describe('jump: a node removed from the middle leaves an empty bucket', () => {
  const keys = Array.from({length: 30_000}, (_, i) => syntheticKey(i))
  const nodes = ['a', 'b', 'c', 'd', 'e']

  it('only the removed node keys move, evenly over the others, and a join fills the hole back', () => {
    const before = createPlacement({algo: 'jump', nodes})
    const after = before.remove('c')
    expect(after.slots).toEqual(['a', 'b', null, 'd', 'e'])
    const movedTo = new Map<string, number>()
    let fromC = 0
    const wrong: string[] = []
    for (const k of keys) {
      const x = before.lookup(k)
      const y = after.lookup(k)
      if (x === 'c') fromC++
      if (y === 'c' || (x !== y && x !== 'c')) wrong.push(`${k}: ${x} -> ${y}`)
      if (x !== y) movedTo.set(y, (movedTo.get(y) ?? 0) + 1)
    }
    expect(wrong).toEqual([])
    expect(fromC).toBeGreaterThan(keys.length / 5 - 600)
    expect([...movedTo.keys()].sort()).toEqual(['a', 'b', 'd', 'e'])
    for (const n of movedTo.values()) expect(Math.abs(n - fromC / 4)).toBeLessThan(fromC / 4 / 5)
    const back = after.add('f')
    expect(back.slots).toEqual(['a', 'b', 'f', 'd', 'e'])
    expect(keys.filter((k) => back.lookup(k) !== before.lookup(k).replace('c', 'f'))).toEqual([])
  })

  it('removing the last bucket is the paper own shrink: only its keys move', () => {
    const before = createPlacement({algo: 'jump', nodes})
    const after = before.remove('e')
    expect(after.slots).toEqual(['a', 'b', 'c', 'd'])
    expect(keys.filter((k) => before.lookup(k) !== 'e' && after.lookup(k) !== before.lookup(k))).toEqual([])
  })
})
