import {describe, expect, it} from 'vitest'
import type {Recovered} from '../../src/core/index.js'
import {decodeWrite, KvCore, parseRequest, Sessions, type KvOp, type KvOutput, type KvRequest, type KvResult} from '../../src/kv/index.js'

/** Drives the kv core by hand: what a host would do, minus the disk. */
function req(client: string, n: number, op: KvOp): KvRequest {
  return {type: 'kv.req', client, req: n, op}
}

function answer(out: KvOutput): KvResult | undefined {
  expect(out.send.length).toBeLessThanOrEqual(1)
  const m = out.send[0]
  if (!m) return undefined
  expect(m.channel).toBe('stream')
  return (m.msg as {result: KvResult}).result
}

/** Keeps every record the core asked to persist, as a host's log would, and recovers from it. */
class Log {
  snapshot: Uint8Array | null = null
  records: Uint8Array[] = []
  take(out: KvOutput): KvOutput {
    for (const r of out.persist ?? []) {
      if (r.type === 'snapshot') {
        this.snapshot = r.data
        this.records = []
      } else this.records.push(r.data)
    }
    return out
  }
  recovered(): Recovered {
    return {snapshot: this.snapshot, records: [...this.records], truncatedBytes: 0}
  }
}

describe('the kv core answers the kv protocol', () => {
  it('get, put, cas and delete, with Jepsen’s ok / fail: a cas that does not match fails and says what it found', () => {
    const kv = new KvCore('s1')
    kv.start(0, {snapshot: null, records: [], truncatedBytes: 0})
    expect(answer(kv.receive('c', req('c#0', 1, {f: 'get', key: 'x'}), 1))).toEqual({type: 'ok', value: null})
    expect(answer(kv.receive('c', req('c#0', 2, {f: 'put', key: 'x', value: 3}), 2))).toEqual({type: 'ok'})
    expect(answer(kv.receive('c', req('c#0', 3, {f: 'cas', key: 'x', expected: 4, value: 5}), 3))).toEqual({type: 'fail', error: 'mismatch', value: 3})
    expect(answer(kv.receive('c', req('c#0', 4, {f: 'cas', key: 'x', expected: 3, value: 5}), 4))).toEqual({type: 'ok'})
    expect(answer(kv.receive('c', req('c#0', 5, {f: 'cas', key: 'y', expected: null, value: {a: [1]}}), 5))).toEqual({type: 'ok'})
    expect(answer(kv.receive('c', req('c#0', 6, {f: 'keys'}), 6))).toEqual({type: 'ok', keys: ['x', 'y']})
    expect(answer(kv.receive('c', req('c#0', 7, {f: 'delete', key: 'x'}), 7))).toEqual({type: 'ok', existed: true})
    expect(answer(kv.receive('c', req('c#0', 8, {f: 'delete', key: 'x'}), 8))).toEqual({type: 'ok', existed: false})
    expect(answer(kv.receive('c', req('c#0', 9, {f: 'get', key: 'y'}), 9))).toEqual({type: 'ok', value: {a: [1]}})
  })

  it('every write, applied or not, is one record in the same output as its reply; reads persist nothing', () => {
    const kv = new KvCore('s1')
    kv.start(0)
    const put = kv.receive('c', req('c#0', 1, {f: 'put', key: 'x', value: 1}), 1)
    expect(put.persist).toHaveLength(1)
    expect(put.send).toHaveLength(1)
    expect(decodeWrite(put.persist![0]!.data)).toEqual({s: 'c#0', r: 1, t: 1, res: {type: 'ok'}, set: ['x', 1]})
    const miss = kv.receive('c', req('c#0', 2, {f: 'cas', key: 'x', expected: 9, value: 2}), 2)
    expect(miss.persist).toHaveLength(1)
    expect(decodeWrite(miss.persist![0]!.data).set).toBeUndefined()
    expect(kv.receive('c', req('c#0', 3, {f: 'get', key: 'x'}), 3).persist).toEqual([])
  })

  it('a retried or duplicated write is applied once and answered with its first answer; an older one is ignored', () => {
    const kv = new KvCore('s1')
    kv.start(0)
    expect(answer(kv.receive('c', req('c#0', 1, {f: 'put', key: 'x', value: 1}), 1))).toEqual({type: 'ok'})
    expect(answer(kv.receive('d', req('d#0', 1, {f: 'put', key: 'x', value: 2}), 2))).toEqual({type: 'ok'})
    const dup = kv.receive('c', req('c#0', 1, {f: 'put', key: 'x', value: 1}), 3)
    expect(answer(dup)).toEqual({type: 'ok'})
    expect(dup.persist).toEqual([])
    expect(kv.get('x')).toBe(2)
    // A cas that failed fails again on retry, even though it would match now: it never takes effect later.
    expect(answer(kv.receive('c', req('c#0', 2, {f: 'cas', key: 'x', expected: 5, value: 6}), 4))).toEqual({type: 'fail', error: 'mismatch', value: 2})
    kv.receive('d', req('d#0', 2, {f: 'put', key: 'x', value: 5}), 5)
    expect(answer(kv.receive('c', req('c#0', 2, {f: 'cas', key: 'x', expected: 5, value: 6}), 6))).toEqual({type: 'fail', error: 'mismatch', value: 2})
    expect(kv.get('x')).toBe(5)
    kv.receive('c', req('c#0', 3, {f: 'put', key: 'x', value: 7}), 7)
    expect(kv.receive('c', req('c#0', 2, {f: 'cas', key: 'x', expected: 7, value: 8}), 8).send).toEqual([])
    expect(kv.get('x')).toBe(7)
  })

  it('never trusts the wire: malformed requests are answered fail bad-request, or ignored when they cannot be answered', () => {
    const kv = new KvCore('s1')
    kv.start(0)
    const bad = (op: unknown) => answer(kv.receive('c', {type: 'kv.req', client: 'c#0', req: 1, op} as never, 1))
    expect(bad({f: 'put', key: 'x', value: null})).toMatchObject({type: 'fail', error: 'bad-request'})
    expect(bad({f: 'put', key: '', value: 1})).toMatchObject({type: 'fail', error: 'bad-request'})
    expect(bad({f: 'put', key: 'k'.repeat(257), value: 1})).toMatchObject({type: 'fail', error: 'bad-request'})
    expect(bad({f: 'put', key: 'x', value: 'v'.repeat(17_000)})).toMatchObject({type: 'fail', error: 'bad-request'})
    expect(bad({f: 'cas', key: 'x', value: 1})).toMatchObject({type: 'fail', error: 'bad-request'})
    expect(bad({f: 'drop-table'})).toMatchObject({type: 'fail', error: 'bad-request'})
    for (const m of [null, 'x', {type: 'kv.req'}, {type: 'kv.req', client: 'c', req: 0, op: {f: 'get', key: 'x'}}, {type: 'kv.req', client: 'c', req: 1.5, op: {}}]) {
      expect(kv.receive('c', m as never, 1).send).toEqual([])
    }
    expect(parseRequest({type: 'kv.req', client: 'c'.repeat(129), req: 1, op: {f: 'keys'}})).toBeNull()
    expect(kv.size).toBe(0)
  })

  it('a store full of keys fails a put of a new key (and keeps failing its retries)', () => {
    const kv = new KvCore('s1', {maxKeys: 2})
    kv.start(0)
    kv.receive('c', req('c#0', 1, {f: 'put', key: 'a', value: 1}), 1)
    kv.receive('c', req('c#0', 2, {f: 'put', key: 'b', value: 1}), 2)
    expect(answer(kv.receive('c', req('c#0', 3, {f: 'put', key: 'c', value: 1}), 3))).toEqual({type: 'fail', error: 'full'})
    expect(answer(kv.receive('c', req('c#0', 4, {f: 'put', key: 'a', value: 2}), 4))).toEqual({type: 'ok'})
    expect(kv.size).toBe(2)
  })
})

describe('the kv core recovers what it persisted', () => {
  it('state and sessions come back from the log: a retry after a restart is answered, not applied again', () => {
    const log = new Log()
    const a = new KvCore('s1', {snapshotEvery: 1000})
    log.take(a.start(0, log.recovered()))
    log.take(a.receive('c', req('c#0', 1, {f: 'put', key: 'x', value: 1}), 1))
    log.take(a.receive('d', req('d#0', 1, {f: 'put', key: 'y', value: 2}), 2))
    log.take(a.receive('c', req('c#0', 2, {f: 'delete', key: 'y'}), 3))
    const b = new KvCore('s1', {snapshotEvery: 1000})
    const started = b.start(10, log.recovered())
    expect(started.events).toEqual([{type: 'recovered', snapshot: false, records: 3, keys: 1, sessions: 2, truncatedBytes: 0}])
    expect(b.entries()).toEqual([['x', 1]])
    const retry = b.receive('c', req('c#0', 2, {f: 'delete', key: 'y'}), 11)
    expect(answer(retry)).toEqual({type: 'ok', existed: true})
    expect(retry.persist).toEqual([])
  })

  it('every N writes the record is a snapshot of the whole state instead, so the log stays short', () => {
    const log = new Log()
    const a = new KvCore('s1', {snapshotEvery: 4})
    a.start(0, log.recovered())
    const kinds: string[] = []
    for (let i = 1; i <= 10; i++) {
      const out = log.take(a.receive('c', req('c#0', i, {f: 'put', key: `k${i % 3}`, value: i}), i))
      kinds.push(out.persist![0]!.type)
    }
    expect(kinds).toEqual(['append', 'append', 'append', 'snapshot', 'append', 'append', 'append', 'snapshot', 'append', 'append'])
    expect(log.records).toHaveLength(2)
    const b = new KvCore('s1', {snapshotEvery: 4})
    expect(b.start(20, log.recovered()).events[0]).toMatchObject({snapshot: true, records: 2, keys: 3})
    expect(b.entries().sort()).toEqual(a.entries().sort())
    expect(answer(b.receive('c', req('c#0', 10, {f: 'put', key: 'k1', value: 10}), 21))).toEqual({type: 'ok'})
    expect(b.receive('c', req('c#0', 9, {f: 'put', key: 'k0', value: 9}), 22).send).toEqual([])
  })

  it('reports the torn bytes its host cut off', () => {
    const kv = new KvCore('s1')
    expect(kv.start(0, {snapshot: null, records: [], truncatedBytes: 7}).events).toEqual([{type: 'recovered', snapshot: false, records: 0, keys: 0, sessions: 0, truncatedBytes: 7}])
  })
})

describe('sessions are bounded', () => {
  it('beyond max sessions the least recently written is dropped; an idle one expires after the TTL', () => {
    const s = new Sessions(3, 1000)
    const ok: KvResult = {type: 'ok'}
    s.record('a', 1, ok, 0)
    s.record('b', 1, ok, 10)
    s.record('c', 1, ok, 20)
    s.record('a', 2, ok, 30)
    s.record('d', 1, ok, 40)
    expect(s.entries().map(([c]) => c)).toEqual(['c', 'a', 'd'])
    expect(s.check('b', 1)).toEqual({kind: 'new'})
    expect(s.check('a', 2)).toEqual({kind: 'duplicate', result: ok})
    expect(s.check('a', 1)).toEqual({kind: 'stale'})
    s.record('e', 1, ok, 1025)
    expect(s.entries().map(([c]) => c)).toEqual(['a', 'd', 'e'])
    s.expire(1041)
    expect(s.entries().map(([c]) => c)).toEqual(['e'])
  })
})
