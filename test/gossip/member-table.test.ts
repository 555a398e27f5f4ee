import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {resolveSwimConfig} from '../../src/gossip/index.js'
import {hashId, MemberTable} from '../../src/gossip/member-table.js'
import {Rng} from '../../src/sim/index.js'

/**
 * The member table's lookup (open addressing with backward-shift deletion) against a plain Map,
 * under any sequence of joins, deaths, leaves, returns and reaps.
 */
describe('member table', () => {
  it('a forgotten member does not hide the members that collided with it in the lookup table', () => {
    // Ids whose hashes share a home slot in the table's first size (64 slots).
    const home = (id: string) => hashId(id) & 63
    const pool = Array.from({length: 5000}, (_, i) => `c${i}`)
    const same = pool.filter((id) => home(id) === home(pool[0]!)).slice(0, 4)
    expect(same).toHaveLength(4)
    const table = new MemberTable('self', resolveSwimConfig('lan', {reconnectTimeout: 1}), new Rng(1))
    for (const id of same) table.add(id, 7, {}, 0)
    // Forget the first two: the two displaced behind them must still be found.
    for (const id of same.slice(0, 2)) table.setState(table.get(id)!, 'dead', 0)
    expect(table.reap(10).map((r) => r.id).sort()).toEqual(same.slice(0, 2).sort())
    for (const id of same.slice(2)) expect(table.incOf(id)).toBe(7)
    for (const id of same.slice(0, 2)) expect(table.get(id)).toBeUndefined()
  })

  it('finds exactly the members it holds, with their incarnations, whatever joins and is forgotten', () => {
    const op = fc.oneof(
      fc.record({t: fc.constant('add' as const), id: fc.integer({min: 0, max: 300})}),
      fc.record({t: fc.constantFrom('dead' as const, 'left' as const, 'alive' as const), id: fc.integer({min: 0, max: 300})}),
      fc.record({t: fc.constant('inc' as const), id: fc.integer({min: 0, max: 300}), inc: fc.integer({min: 0, max: 1000})}),
      fc.record({t: fc.constant('reap' as const)}),
    )
    fc.assert(
      fc.property(fc.array(op, {maxLength: 400}), fc.boolean(), (ops, sharedClock) => {
        const config = resolveSwimConfig('lan', {reconnectTimeout: 10, tombstoneTimeout: 20, sharedClock})
        const table = new MemberTable('self', config, new Rng(1))
        const model = new Map<string, {state: string; inc: number; at: number}>()
        let now = 0
        for (const o of ops) {
          now += 1
          const id = 'id' in o ? `m${o.id}` : ''
          const r = table.get(id)
          if (o.t === 'add') {
            if (r) continue
            table.add(id, 0, {}, now)
            model.set(id, {state: 'alive', inc: 0, at: now})
          } else if (o.t === 'inc') {
            if (!r) continue
            table.setInc(r, o.inc)
            model.get(id)!.inc = o.inc
          } else if (o.t === 'reap') {
            const gone = table.reap(now).map((x) => x.id).sort()
            const expected = [...model].filter(([, m]) => (m.state === 'dead' && now - m.at >= 10) || (m.state === 'left' && now - m.at >= 20)).map(([k]) => k).sort()
            expect(gone).toEqual(expected)
            for (const k of expected) model.delete(k)
          } else {
            if (!r || r.state === o.t) continue
            table.setState(r, o.t, now)
            Object.assign(model.get(id)!, {state: o.t, at: now})
          }
          expect(table.size).toBe(model.size)
        }
        for (let i = 0; i <= 300; i++) {
          const id = `m${i}`
          const m = model.get(id)
          const r = table.get(id)
          expect(r?.id).toBe(m ? id : undefined)
          expect(table.incOf(id)).toBe(m ? m.inc : -1)
          if (m) expect(r).toMatchObject({state: m.state, inc: m.inc})
        }
        table.recs.forEach((r, i) => {
          expect(r.pos).toBe(i)
          expect(table.ids[i]).toBe(r.id)
        })
        expect(table.live).toBe([...model.values()].filter((m) => m.state === 'alive').length)
      }),
      {numRuns: 300},
    )
  })
})
