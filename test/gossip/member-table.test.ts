import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {IdInterner, resolveSwimConfig} from '../../src/gossip/index.js'
import {MemberTable} from '../../src/gossip/member-table.js'
import {Rng} from '../../src/sim/index.js'

/**
 * The member table against a plain Map, under any sequence of joins, deaths, leaves, returns and
 * reaps, with an interner of its own (which reuses numbers) or a shared one.
 */
describe('member table', () => {
  it('a private interner gives a forgotten member\'s number to the next new one; a shared one keeps every number', () => {
    const table = new MemberTable('self', resolveSwimConfig('lan', {reconnectTimeout: 1}), new Rng(1))
    for (const id of ['a', 'b', 'c']) table.add(id, 7, {}, 0)
    table.setState(table.get('b')!, 'dead', 0)
    expect(table.reap(10).map((r) => r.id)).toEqual(['b'])
    table.add('d', 3, {}, 10)
    expect(['a', 'b', 'c', 'd'].map((id) => table.incOf(id))).toEqual([7, -1, 7, 3])
    // The same with the interner in hand: it holds the table's members and no more, and the
    // forgotten member's number goes to the next new one.
    const own = new IdInterner()
    const t0 = new MemberTable('self', resolveSwimConfig('lan', {reconnectTimeout: 1}), new Rng(1), own)
    for (const id of ['a', 'b', 'c']) t0.add(id, 7, {}, 0)
    const bNumber = own.find('b')
    expect(own.size).toBe(3)
    t0.setState(t0.get('b')!, 'dead', 0)
    t0.reap(10)
    expect([own.size, own.find('b')]).toEqual([2, undefined])
    t0.add('d', 3, {}, 10)
    expect([own.size, own.find('d')]).toEqual([3, bNumber])
    const shared = new IdInterner(true)
    const t1 = new MemberTable('x', resolveSwimConfig('lan', {reconnectTimeout: 1}), new Rng(1), shared)
    const t2 = new MemberTable('y', resolveSwimConfig('lan'), new Rng(1), shared)
    t1.add('a', 1, {}, 0)
    t2.add('a', 2, {}, 0)
    t1.setState(t1.get('a')!, 'dead', 0)
    t1.reap(10)
    expect([t1.incOf('a'), t2.incOf('a'), shared.size]).toEqual([-1, 2, 1])
  })

  it('the interner belongs to one table, not the process: one table forgetting a member does not lose it in another', () => {
    const config = resolveSwimConfig('lan', {reconnectTimeout: 1})
    const t1 = new MemberTable('x', config, new Rng(1))
    const t2 = new MemberTable('y', config, new Rng(1))
    t1.add('a', 1, {}, 0)
    t2.add('a', 2, {}, 0)
    t1.setState(t1.get('a')!, 'dead', 0)
    expect(t1.reap(10).map((r) => r.id)).toEqual(['a'])
    t1.add('b', 5, {}, 10)
    expect([t1.incOf('a'), t1.incOf('b'), t2.incOf('a'), t2.get('a')?.inc, t2.incOf('b')]).toEqual([-1, 5, 2, 2, -1])
  })

  it('finds exactly the members it holds, with their incarnations, whatever joins and is forgotten', () => {
    const op = fc.oneof(
      fc.record({t: fc.constant('add' as const), id: fc.integer({min: 0, max: 300})}),
      fc.record({t: fc.constantFrom('dead' as const, 'left' as const, 'alive' as const), id: fc.integer({min: 0, max: 300})}),
      fc.record({t: fc.constant('inc' as const), id: fc.integer({min: 0, max: 300}), inc: fc.integer({min: 0, max: 1000})}),
      fc.record({t: fc.constant('reap' as const)}),
    )
    fc.assert(
      fc.property(fc.array(op, {maxLength: 400}), fc.boolean(), fc.boolean(), (ops, sharedClock, sharedInterner) => {
        const config = resolveSwimConfig('lan', {reconnectTimeout: 10, tombstoneTimeout: 20, sharedClock})
        const table = new MemberTable('self', config, new Rng(1), new IdInterner(sharedInterner))
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
