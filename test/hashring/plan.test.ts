import {describe, expect, it} from 'vitest'
import {ALGOS, createPlacement, keyAt, planChange, syntheticKeys, type Algo, type RingConfig} from '../../src/hashring/index.js'

const keys = syntheticKeys(20_000)

/** The plan's moved keys recomputed the slow way: look every key up before and after. */
function diffOfLookups(from: RingConfig, to: RingConfig, r: number): Map<string, [string[], string[]]> {
  const a = createPlacement(from)
  const b = createPlacement(to)
  const out = new Map<string, [string[], string[]]>()
  for (let i = 0; i < keys.count; i++) {
    const k = keyAt(keys, i)
    const x = a.lookupN(k, r)
    const y = b.lookupN(k, r)
    if (x.length !== y.length || x.some((n) => !y.includes(n))) out.set(k, [x, y])
  }
  return out
}

const changes: Array<[string, string[], Array<string | null>]> = [
  ['a join', ['a', 'b', 'c', 'd'], ['a', 'b', 'c', 'd', 'e']],
  ['a leave from the middle', ['a', 'b', 'c', 'd'], ['a', 'b', 'd']],
  ['a replacement', ['a', 'b', 'c', 'd'], ['a', 'x', 'c', 'd']],
]

describe('a plan is exactly the difference of the lookups before and after', () => {
  for (const algo of ALGOS) {
    for (const [what, from, to0] of changes) {
      for (const r of [1, 2]) {
        it(`${algo}, ${what}, ${r} replica${r > 1 ? 's' : ''}`, () => {
          // Jump keeps bucket numbers: the leave is written with an empty bucket.
          const to = algo === 'jump' && what.includes('leave') ? ['a', 'b', null, 'd'] : to0
          const fromC: RingConfig = {algo: algo as Algo, nodes: from}
          const toC: RingConfig = {algo: algo as Algo, nodes: to}
          const plan = planChange(createPlacement(fromC), createPlacement(toC), keys, {replicas: r})
          const want = diffOfLookups(fromC, toC, r)
          expect(want.size).toBeGreaterThan(0)
          expect(plan.moved).toBe(want.size)
          expect(plan.movedKeys).toHaveLength(want.size)
          for (const m of plan.movedKeys!) expect([m.from, m.to]).toEqual(want.get(m.key))
          expect(plan.transfers.reduce((s, t) => s + t.keys, 0)).toBe(plan.copies)
          if (r === 1) expect(plan.copies).toBe(plan.moved)
        })
      }
    }
  }
})

describe('the ideal is the least movement the fair shares force', () => {
  it('K/(N+1) for a join, K/N for a leave, 2K/N for a replacement', () => {
    const p = (nodes: string[]) => createPlacement({algo: 'rendezvous', nodes})
    expect(planChange(p(['a', 'b', 'c']), p(['a', 'b', 'c', 'd']), keys).ideal).toBeCloseTo(keys.count / 4, 6)
    expect(planChange(p(['a', 'b', 'c', 'd']), p(['a', 'b', 'd']), keys).ideal).toBeCloseTo(keys.count / 4, 6)
    expect(planChange(p(['a', 'b', 'c', 'd']), p(['a', 'b', 'c', 'x']), keys).ideal).toBeCloseTo(keys.count / 4, 6)
    expect(planChange(p(['a', 'b', 'c']), p(['a', 'b', 'c', 'd']), keys, {replicas: 2}).ideal).toBeCloseTo((2 * keys.count) / 4, 6)
  })
})

describe('ring plans list the hash ranges that change hands, and they agree with the keys', () => {
  for (const algo of ['ring', 'ketama'] as const) {
    for (const r of [1, 2]) {
      it(`${algo}, ${r} replica${r > 1 ? 's' : ''}: a key moves exactly when its position lies in a moved range, between the same nodes`, () => {
        const a = createPlacement({algo, nodes: ['a', 'b', 'c', 'd']})
        const b = createPlacement({algo, nodes: ['a', 'c', 'd', 'e']})
        const plan = planChange(a, b, keys, {replicas: r})
        const ranges = plan.ranges!.list
        expect(ranges.length).toBeGreaterThan(10)
        for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.start).toBeGreaterThan(ranges[i - 1]!.end)
        const moved = new Map(plan.movedKeys!.map((m) => [m.key, m]))
        const wrong: string[] = []
        for (let i = 0; i < keys.count; i++) {
          const k = keyAt(keys, i)
          const pos = a.keyPosition(k)
          const range = ranges.find((x) => x.start <= pos && pos <= x.end)
          const m = moved.get(k)
          if (Boolean(range) !== Boolean(m)) wrong.push(`${k} at ${pos}: range ${JSON.stringify(range)} moved ${JSON.stringify(m)}`)
          else if (range && m && (range.from.join() !== m.from.join() || range.to.join() !== m.to.join())) wrong.push(`${k}: ${JSON.stringify(range)} vs ${JSON.stringify(m)}`)
        }
        expect(wrong).toEqual([])
        // The moved fraction of the circle is the expected fraction of keys.
        expect(Math.abs(plan.ranges!.fraction - plan.moved / keys.count)).toBeLessThan(0.02)
      })
    }
  }
})
