import {describe, expect, it} from 'vitest'
import {checkHistory, HistoryError, type ModelName} from '../../src/check/index.js'
import {events} from './helpers.js'

/** Small hand-made histories whose answer is known, one claim each (docs/tutorials/checking-histories.md). */
const verdict = (text: string, model?: ModelName) => checkHistory(events(text), {model}).verdict

describe('known answers: registers', () => {
  it('a read returns the last write that completed before it', () => {
    expect(verdict(`0 invoke write 1\n0 ok write 1\n1 invoke read\n1 ok read 1`)).toBe('linearizable')
    expect(verdict(`0 invoke write 1\n0 ok write 1\n1 invoke read\n1 ok read null`)).toBe('not linearizable')
  })

  it('the register starts empty: a read before any write returns null', () => {
    expect(verdict(`1 invoke read\n1 ok read null\n0 invoke write 1\n0 ok write 1`)).toBe('linearizable')
  })

  it('concurrent writes may take effect in either order; afterwards the value cannot change by itself', () => {
    const both = `0 invoke write 1\n1 invoke write 2\n0 ok write 1\n1 ok write 2`
    expect(verdict(`${both}\n2 invoke read\n2 ok read 1`)).toBe('linearizable')
    expect(verdict(`${both}\n2 invoke read\n2 ok read 2`)).toBe('linearizable')
    expect(verdict(`${both}\n2 invoke read\n2 ok read 3`)).toBe('not linearizable')
    expect(verdict(`${both}\n2 invoke read\n2 ok read 1\n2 invoke read\n2 ok read 2`)).toBe('not linearizable')
  })

  it('a read concurrent with a write may see the old or the new value, but not go back', () => {
    const w = `0 invoke write 1\n0 ok write 1\n0 invoke write 2`
    expect(verdict(`${w}\n1 invoke read\n1 ok read 1\n1 invoke read\n1 ok read 2\n0 ok write 2`)).toBe('linearizable')
    expect(verdict(`${w}\n1 invoke read\n1 ok read 2\n1 invoke read\n1 ok read 1\n0 ok write 2`)).toBe('not linearizable')
  })

  it('an info write may have taken effect, at any time after its call, even after the info', () => {
    const info = `0 invoke write 3\n0 info write 3`
    expect(verdict(`${info}\n1 invoke read\n1 ok read null`)).toBe('linearizable')
    expect(verdict(`${info}\n1 invoke read\n1 ok read 3`)).toBe('linearizable')
    expect(verdict(`${info}\n1 invoke read\n1 ok read null\n1 invoke read\n1 ok read 3`)).toBe('linearizable')
    // Once seen, it has happened: the register cannot go back to null.
    expect(verdict(`${info}\n1 invoke read\n1 ok read 3\n1 invoke read\n1 ok read null`)).toBe('not linearizable')
    // It takes effect at most once.
    expect(verdict(`${info}\n2 invoke write 4\n2 ok write 4\n1 invoke read\n1 ok read 3\n1 invoke read\n1 ok read 4\n1 invoke read\n1 ok read 3`)).toBe('not linearizable')
    // But not before its call.
    expect(verdict(`1 invoke read\n1 ok read 3\n0 invoke write 3\n0 info write 3`)).toBe('not linearizable')
  })

  it('an operation that never returns is unknown like an info', () => {
    expect(verdict(`0 invoke write 7\n1 invoke read\n1 ok read 7`)).toBe('linearizable')
    expect(verdict(`0 invoke cas [null,7]\n1 invoke read\n1 ok read 7`, 'cas-register')).toBe('linearizable')
  })

  it('a failed write changed nothing; a read that failed or timed out constrains nothing', () => {
    expect(verdict(`0 invoke write 5\n0 fail write 5\n1 invoke read\n1 ok read 5`)).toBe('not linearizable')
    expect(verdict(`0 invoke write 5\n0 ok write 5\n1 invoke read\n1 fail read\n1 invoke read\n1 info read`)).toBe('linearizable')
  })

  it('a cas succeeds only on its expected value; a failed cas happened and found another value', () => {
    const one = `0 invoke write 1\n0 ok write 1`
    expect(verdict(`${one}\n1 invoke cas [1,2]\n1 ok cas [1,2]\n2 invoke read\n2 ok read 2`)).toBe('linearizable')
    expect(verdict(`${one}\n1 invoke cas [0,2]\n1 ok cas [0,2]`)).toBe('not linearizable')
    expect(verdict(`${one}\n1 invoke cas [0,2]\n1 fail cas [0,2]\n2 invoke read\n2 ok read 1`)).toBe('linearizable')
    // It found another value: with 1 certainly there for its whole interval, it cannot have failed.
    expect(verdict(`${one}\n1 invoke cas [1,2]\n1 fail cas [1,2]`)).toBe('not linearizable')
    // Concurrent with a write of 3, it may have compared before or after.
    expect(verdict(`${one}\n2 invoke write 3\n1 invoke cas [1,2]\n1 fail cas [1,2]\n2 ok write 3`)).toBe('linearizable')
  })

  it('an unknown cas takes effect only if its compare matches', () => {
    expect(verdict(`0 invoke write 1\n0 ok write 1\n1 invoke cas [1,2]\n1 info cas [1,2]\n2 invoke read\n2 ok read 2`)).toBe('linearizable')
    expect(verdict(`0 invoke write 1\n0 ok write 1\n1 invoke cas [0,2]\n1 info cas [0,2]\n2 invoke read\n2 ok read 2`)).toBe('not linearizable')
  })

  it('two unknown operations that both could have written 3 can both be used, once each', () => {
    const two = `0 invoke write 1\n0 ok write 1\n1 invoke cas [1,3]\n1 info cas [1,3]\n2 invoke write 3\n2 info write 3`
    const seen3 = `3 invoke read\n3 ok read 3\n4 invoke write 1\n4 ok write 1\n3 invoke read\n3 ok read 3`
    expect(verdict(`${two}\n${seen3}`)).toBe('linearizable')
    expect(verdict(`${two}\n${seen3}\n4 invoke write 1\n4 ok write 1\n3 invoke read\n3 ok read 3`)).toBe('not linearizable')
  })

  it('the register model refuses a cas, and one-object models refuse keys, naming the line', () => {
    expect(() => verdict(`0 invoke write 1\n0 ok write 1\n1 invoke cas [1,2]\n1 ok cas [1,2]`, 'register')).toThrow(/line 3: the register model has no operation 'cas'.*--model cas-register/)
    expect(() => verdict(`0 invoke write 1 key=a\n0 ok write 1 key=a`, 'cas-register')).toThrow(HistoryError)
    expect(() => verdict(`0 invoke write 1 key=a\n0 ok write 1 key=a`, 'cas-register')).toThrow(/line 1: .*use --model kv/)
  })
})

describe('the stale read: a counterexample a person can follow', () => {
  const stale = `0 invoke write 1\n0 ok write 1\n0 invoke write 2\n0 ok write 2\n1 invoke read\n1 ok read 1`
  const r = checkHistory(events(stale))
  const f = r.partitions[0]!.failure!

  it('is not linearizable, and the blocked operation is the read', () => {
    expect(r.verdict).toBe('not linearizable')
    expect(r.partitions[0]!.ops[f.op]).toMatchObject({f: 'read', output: 1, invokeLine: 5, completeLine: 6})
  })

  it('says what the register held, which write left it there, and where the writes of 1 were', () => {
    expect(f.explanation).toHaveLength(3)
    expect(f.explanation[0]).toBe('read → 1 by process 1 (lines 5–6) cannot be placed: the history can be linearized up to just before line 6, and not once it returns.')
    expect(f.explanation[1]).toBe(
      'Every valid order of the operations that completed before it, with or without those still running, leaves the register holding 2 (after write 2 by process 0, lines 3–4); but it read 1.',
    )
    expect(f.explanation[2]).toBe('Operations that could have produced it: write 1 by process 0 (lines 1–2) ended before it began.')
    expect(f.states).toEqual([{state: '2', stateJson: 2, after: [1]}])
  })

  it('the window holds the overwriting write and the read; the longest prefix is both writes', () => {
    expect(f.window).toEqual([1, 2])
    expect(f.prefix!.map((s) => [s.op, s.state])).toEqual([
      [0, '1'],
      [1, '2'],
    ])
  })

  it('a linearizable history comes with its order and the state after each step', () => {
    const ok = checkHistory(events(`0 invoke write 1\n1 invoke write 2\n0 ok write 1\n1 ok write 2\n2 invoke read\n2 ok read 1`))
    expect(ok.partitions[0]!.order!.map((s) => [s.op, s.state])).toEqual([
      [1, '2'],
      [0, '1'],
      [2, '1'],
    ])
  })
})

describe('known answers: kv and set', () => {
  it('kv checks each key on its own: values on one key do not satisfy reads on another', () => {
    const h = `0 invoke write 1 key=a\n0 ok write 1 key=a\n1 invoke read key=b\n1 ok read 1 key=b\n2 invoke read key=a\n2 ok read 1 key=a`
    const r = checkHistory(events(h))
    expect(r.model).toBe('kv')
    expect(r.verdict).toBe('not linearizable')
    expect(r.partitions.map((p) => [p.key, p.status])).toEqual([
      ['a', 'linearizable'],
      ['b', 'not linearizable'],
    ])
    expect(r.partitions[1]!.failure!.explanation[1]).toMatch(/leaves the key "b" holding null \(its initial value\); but it read 1\./)
  })

  it('a set read returns exactly the elements added before it, plus any concurrent ones', () => {
    const adds = `0 invoke add 1\n0 ok add 1\n1 invoke add 2\n1 ok add 2`
    expect(verdict(`${adds}\n2 invoke read\n2 ok read [2,1]`)).toBe('linearizable')
    expect(verdict(`${adds}\n2 invoke read\n2 ok read [2]`)).toBe('not linearizable')
    expect(verdict(`0 invoke add 1\n2 invoke read\n2 ok read []\n2 invoke read\n2 ok read [1]\n0 ok add 1`)).toBe('linearizable')
    expect(verdict(`0 invoke add 1\n0 info add 1\n2 invoke read\n2 ok read [1]`)).toBe('linearizable')
  })
})
