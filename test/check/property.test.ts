import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {checkHistory, pairOperations, type Op} from '../../src/check/index.js'
import {bruteLinearizable, memoLinearizable, validOrder} from './brute.js'
import {actions, generate} from './generate.js'

/**
 * The checker agrees with a brute-force checker (every order of every admissible subset, written
 * from the definition: test/check/brute.ts) on random small histories, with concurrent
 * operations, unknown outcomes, failed cas and lying completions. The search's shortcuts (memo,
 * observers first, symmetric and no-op unknown operations skipped) must not change a verdict.
 */
describe('the search agrees with brute force on random small histories', () => {
  for (const model of ['cas-register', 'set'] as const) {
    it(`${model}: same verdict on 3000 random histories of up to 7 operations, both verdicts well represented`, () => {
      const seen = {linearizable: 0, 'not linearizable': 0, unknownOps: 0}
      fc.assert(
        fc.property(actions(3, 24), (list) => {
          const h = pairOperations(generate(list, model))
          const got = checkHistory(h, {model}).verdict
          const want = bruteLinearizable(h.ops, model) ? 'linearizable' : 'not linearizable'
          seen[want]++
          if (h.ops.some((o) => o.outcome === 'info' || o.outcome === 'none')) seen.unknownOps++
          expect(got).toBe(want)
        }),
        {numRuns: 3000, seed: model === 'set' ? 11 : 7},
      )
      expect(seen.linearizable + seen['not linearizable']).toBe(3000)
      expect(seen.linearizable).toBeGreaterThan(300)
      expect(seen['not linearizable']).toBeGreaterThan(300)
      expect(seen.unknownOps).toBeGreaterThan(300)
    })
  }

  it('with 4 processes and more unknown outcomes, still the same verdicts', () => {
    fc.assert(
      fc.property(actions(4, 30), (list) => {
        const h = pairOperations(generate(list, 'cas-register', 8))
        expect(checkHistory(h, {model: 'cas-register'}).verdict).toBe(bruteLinearizable(h.ops) ? 'linearizable' : 'not linearizable')
      }),
      {numRuns: 1500, seed: 3},
    )
  })

  it('on longer histories (up to 24 operations, 5 processes), the same verdicts as a plain memoized search', () => {
    const seen = {linearizable: 0, 'not linearizable': 0}
    for (const model of ['cas-register', 'set'] as const) {
      fc.assert(
        fc.property(actions(5, 70), (list) => {
          const h = pairOperations(generate(list, model, 24))
          const want = memoLinearizable(h.ops, model) ? 'linearizable' : 'not linearizable'
          seen[want]++
          expect(checkHistory(h, {model}).verdict).toBe(want)
        }),
        {numRuns: 400, seed: 13},
      )
    }
    expect(seen.linearizable).toBeGreaterThan(50)
    expect(seen['not linearizable']).toBeGreaterThan(50)
  })

  it('the blocked operation is the first place where the history stops being linearizable', () => {
    let failures = 0
    fc.assert(
      fc.property(actions(3, 24), (list) => {
        const h = pairOperations(generate(list))
        const r = checkHistory(h, {model: 'cas-register'})
        if (r.verdict !== 'not linearizable') return
        failures++
        const p = r.partitions[0]!
        const x = p.ops[p.failure!.op]!
        expect(x.outcome === 'ok' || (x.f === 'cas' && x.outcome === 'fail')).toBe(true)
        // Cut just before its completion: operations still running become unknown, except those
        // known to change nothing (a failed write or cas), which are left out.
        const cut = (end: number, keep: Op | undefined): Op[] =>
          h.ops
            .filter((o) => o.invoke < end && (o === keep || (o.complete >= 0 && o.complete < end) || !(o.outcome === 'fail' && !o.timedOut)))
            .map((o) => (o === keep || (o.complete >= 0 && o.complete < end) ? o : {...o, outcome: 'info' as const, complete: -1, completeLine: -1, timedOut: false}))
        expect(bruteLinearizable(cut(x.complete, undefined))).toBe(true)
        expect(bruteLinearizable(cut(x.complete, x))).toBe(false)
        // It cannot take effect in any state the explanation lists.
        const xs = p.failure!.states.map((s) => s.stateJson)
        expect(xs.length).toBeGreaterThan(0)
        for (const s of xs) {
          if (x.f === 'read') expect(s).not.toEqual(x.output)
          else if (x.outcome === 'ok') expect(s).not.toEqual((x.input as unknown[])[0])
          else expect(s).toEqual((x.input as unknown[])[0])
        }
        // The longest prefix is a valid order holding every operation that had to be placed before it.
        const prefix = p.failure!.prefix.map((st) => p.ops[st.op]!)
        expect(validOrder(prefix)).toBe(true)
        const mustBeIn = h.ops.filter((o) => o.complete >= 0 && o.complete < x.complete && (o.outcome === 'ok' || (o.f === 'cas' && o.outcome === 'fail' && !o.timedOut)))
        for (const o of mustBeIn) expect(prefix).toContain(o)
      }),
      {numRuns: 2000, seed: 5},
    )
    expect(failures).toBeGreaterThan(200)
  })
})
