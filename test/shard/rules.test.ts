import {describe, expect, it} from 'vitest'
import {Layout, Part, partitionOf, type ShardConfig, type ShardRecord, type WriteBody} from '../../src/shard/index.js'
import {Hand} from './hand.js'

/**
 * The shard core's rules, driven by hand (test/shard/hand.ts): records are durable as soon as
 * they are returned, messages wait until delivered, timers fire when ticked.
 */
const P = 4

/** `n` keys whose partition is `p`. */
function keysIn(p: number, n: number, partitions = P): string[] {
  const out: string[] = []
  for (let i = 0; out.length < n; i++) if (partitionOf(`k${i}`, partitions) === p) out.push(`k${i}`)
  return out
}

const limits = {maxSessions: 16, sessionTtl: 60_000, backlog: 8}
const session = (req: number): WriteBody['c'] => ['s#0', req, 0, {type: 'ok'}]

describe('copies: versions and sequence numbers', () => {
  it('a batch applied twice, or after a newer write of the same key, changes nothing: a key keeps its newest version', () => {
    const part = new Part(0, limits)
    expect(part.applyBatch(1, [['x', 'old', 3], ['y', 'y1', 5]])).toBe(2)
    part.applyWrite(1, {s: 7, k: 'x', v: 'new', c: session(1)})
    const before = part.keyTuples()
    expect(before).toEqual([['x', 'new', 7], ['y', 'y1', 5]])
    // The same batch again (a resend), and an older copy of x: nothing taken.
    expect(part.applyBatch(1, [['x', 'old', 3], ['y', 'y1', 5]])).toBe(0)
    expect(part.keyTuples()).toEqual(before)
    // A newer version is taken.
    expect(part.applyBatch(2, [['y', 'y2', 9]])).toBe(1)
    expect(part.data.get('y')).toEqual({v: 'y2', ver: 9})
  })

  it('a copy applies a batch of its move once: a duplicate is acknowledged again without a second record, a batch of another move is ignored', () => {
    const hand = new Hand({initial: ['a', 'b'], partitions: P, replicas: 1, settle: 0})
    const b = hand.start('b')
    const p = [0, 1, 2, 3].find((x) => b.initialLayout.primaryOf(x) === 'a')!
    const [k1, k2] = keysIn(p, 2)
    hand.inject('a', 'b', {type: 'sh.reset', p, e: 1, g: 7, s: 0, ss: []})
    const batch = {type: 'sh.batch', p, e: 1, g: 7, n: 1, kv: [[k1, 'v1', 1], [k2, 'v2', 2]]}
    const first = hand.inject('a', 'b', batch)
    const again = hand.inject('a', 'b', batch)
    expect(hand.recordsOf('b', 'b')).toHaveLength(1)
    expect(first.send.map((s) => s.msg)).toEqual([{type: 'sh.ack', p, e: 1, g: 7, s: 0, c: false, n: 1}])
    expect(again.send.map((s) => s.msg)).toEqual(first.send.map((s) => s.msg))
    expect(again.persist).toEqual([])
    // Another move's batch (a session this copy was not reset for) is not applied.
    const other = hand.inject('a', 'b', {type: 'sh.batch', p, e: 1, g: 8, n: 2, kv: [[k1, 'stale', 0]]})
    expect(other.send).toEqual([])
    expect(b.parts[p]!.data.get(k1)).toEqual({v: 'v1', ver: 1})
  })

  it('writes apply in sequence order only: an old one is acknowledged again, a gap is reported, an older authority is ignored', () => {
    const hand = new Hand({initial: ['a', 'b'], partitions: P, replicas: 1, settle: 0})
    const b = hand.start('b')
    const p = [0, 1, 2, 3].find((x) => b.initialLayout.primaryOf(x) === 'a')!
    const [k] = keysIn(p, 1)
    const write = (e: number, s: number, v: string, from = 'a') => hand.inject(from, 'b', {type: 'sh.write', p, e, g: 3, w: {s, k, v, c: session(s)}})
    expect(write(1, 1, 'one').send.map((x) => x.msg)).toEqual([{type: 'sh.ack', p, e: 1, g: 3, s: 1, c: true, n: 0}])
    expect(write(1, 1, 'one').persist).toEqual([])
    expect(write(1, 3, 'three').send.map((x) => x.msg)).toEqual([{type: 'sh.state', p, e: 1, g: 3, s: 1, c: true}])
    // A newer authority (epoch 2) continues the sequence; then the older one is not listened to.
    expect(write(2, 2, 'two', 'c').send.map((x) => (x.msg as {type: string}).type)).toEqual(['sh.ack'])
    const stale = write(1, 3, 'stale')
    expect(stale.send).toEqual([])
    expect(stale.persist).toEqual([])
    expect(b.parts[p]!.data.get(k)).toEqual({v: 'two', ver: 2})
    expect(hand.recordsOf('b', 'w').map((r) => (r as Extract<ShardRecord, {t: 'w'}>).w.s)).toEqual([1, 2])
  })

  it('a handoff is accepted only by a complete copy at exactly the sender’s sequence number, and the acceptance leaves with its durable claim', () => {
    const hand = new Hand({initial: ['a', 'b'], partitions: P, replicas: 1, settle: 0})
    const b = hand.start('b')
    const p = [0, 1, 2, 3].find((x) => b.initialLayout.primaryOf(x) === 'a')!
    const [k] = keysIn(p, 1)
    hand.inject('a', 'b', {type: 'sh.write', p, e: 1, g: 3, w: {s: 1, k, v: 'x', c: session(1)}})
    const behind = hand.inject('a', 'b', {type: 'sh.handoff', p, e: 2, g: 3, s: 2, holders: ['a']})
    expect(behind.send.map((x) => x.msg)).toEqual([{type: 'sh.state', p, e: 1, g: 3, s: 1, c: true}])
    expect(b.parts[p]!.role).toBe('holder')
    const exact = hand.inject('a', 'b', {type: 'sh.handoff', p, e: 2, g: 3, s: 1, holders: ['a']})
    expect(exact.persist!.map((r) => JSON.parse(new TextDecoder().decode(r.data)))).toEqual([{t: 'c', p, e: 2}])
    expect(exact.send.map((x) => x.msg)).toEqual([{type: 'sh.took', p, e: 2}])
    expect(b.parts[p]!.role).toBe('auth')
    // Asked again (the answer was lost with a broken stream): the same answer, nothing new persisted.
    const again = hand.inject('a', 'b', {type: 'sh.handoff', p, e: 2, g: 4, s: 1, holders: ['a']})
    expect(again.send.map((x) => x.msg)).toEqual([{type: 'sh.took', p, e: 2}])
    expect(again.persist).toEqual([])
  })

  it('malformed messages from the wire are ignored: no output, no exception', () => {
    const hand = new Hand({initial: ['a'], partitions: P, replicas: 1, settle: 0})
    hand.start('a')
    const garbage: unknown[] = [
      null,
      42,
      {type: 'sh.write', p: 99, e: 1, g: 1, w: {s: 1, k: 'x', v: 1, c: session(1)}},
      {type: 'sh.write', p: 0, e: -1, g: 1, w: {s: 1, k: 'x', v: 1, c: session(1)}},
      {type: 'sh.write', p: 0, e: 1, g: 1, w: {s: 0, k: 'x', v: 1, c: session(1)}},
      {type: 'sh.write', p: 0, e: 1, g: 1, w: {s: 1, k: 'x', v: null, c: session(1)}},
      {type: 'sh.write', p: 0, e: 1, g: 1, w: {s: 1, k: '', v: 1, c: session(1)}},
      {type: 'sh.batch', p: 0, e: 1, g: 1, n: 1, kv: [['x', 1]]},
      {type: 'sh.batch', p: 0, e: 1, g: 1, n: 1, kv: [['x', 'v'.repeat(20_000), 1]]},
      {type: 'sh.handoff', p: 0, e: 2, g: 1, s: 0, holders: ['bad id']},
      {type: 'sh.ring', ring: [['n1', 1, 'gone']], pull: true},
      {type: 'sh.nope', p: 0, e: 0},
      {type: 'kv.req', client: '', req: 1, op: {f: 'get', key: 'x'}},
    ]
    for (const g of garbage) {
      const out = hand.inject('evil', 'a', g)
      expect(out.send).toEqual([])
      expect(out.persist).toEqual([])
    }
  })
})

/** Two nodes: `a` owns every partition (R = 1); `f` joins; keys are written first through the protocol. */
function joinOfTwo(config: Partial<ShardConfig> = {}) {
  const hand = new Hand({initial: ['a'], partitions: P, replicas: 1, settle: 0, batchKeys: 2, window: 1, moveRate: Infinity, ...config})
  hand.start('a')
  const keys = Array.from({length: 24}, (_, i) => `k${i}`)
  keys.forEach((key, i) => expect(hand.request('a', {f: 'put', key, value: i}, i + 1)).toEqual([{type: 'ok'}]))
  hand.start('f')
  hand.join('a', 'f')
  return {hand, keys}
}

describe('moves and handoffs', () => {
  it('the old owner deletes a moved key only after the new owner acknowledged durably, and hands over only a complete copy', () => {
    const {hand, keys} = joinOfTwo()
    hand.settle()
    const f = hand.core('f')
    const moved = f.parts.filter((x) => x.role === 'auth').map((x) => x.p)
    expect(moved.length).toBeGreaterThan(0)
    const first = (node: string, t: ShardRecord['t'], p: number) => hand.persisted.find((x) => x.node === node && x.rec !== 'snapshot' && x.rec.t === t && 'p' in x.rec && x.rec.p === p)?.seq ?? Infinity
    for (const p of moved) {
      const claimed = first('f', 'c', p)
      const filled = Math.min(first('f', 'f', p), first('f', 'w', p))
      expect(filled).toBeLessThan(claimed)
      // a decided to hand over after f's copy was complete, learnt f took it after f's claim was durable, deleted after that.
      expect(first('a', 'h', p)).toBeGreaterThan(filled)
      expect(first('a', 'hd', p)).toBeGreaterThan(claimed)
      expect(first('a', 'd', p)).toBeGreaterThan(first('a', 'hd', p))
      expect(hand.core('a').parts[p]!.data.size).toBe(0)
    }
    // Every key is readable after the move, through redirects, with its value.
    keys.forEach((key, i) => {
      const where = hand.core('a').layout.primaryOf(partitionOf(key, P))!
      expect(hand.request(where, {f: 'get', key}, 100 + i)).toEqual([{type: 'ok', value: i}])
    })
  })

  it('the receiver crashing before its claim is durable: the sender still holds everything, serves none of it, and completes the handoff after the restart', () => {
    const {hand, keys} = joinOfTwo()
    // Deliver until a handoff is on its way to f, then lose it with f (a crash before the claim reached the disk).
    hand.now += 100
    hand.tick('a')
    let handoff: number | undefined
    for (let i = 0; i < 10_000 && handoff === undefined; i++) {
      const next = hand.queue[0]
      if (!next) {
        hand.now += 100
        hand.tick('a')
        hand.tick('a', 'pace')
        continue
      }
      if (next.to === 'f' && (next.msg as {type: string}).type === 'sh.handoff') handoff = (next.msg as {p: number}).p
      else hand.step()
    }
    expect(handoff).toBeDefined()
    const p = handoff!
    const inP = keys.filter((k) => partitionOf(k, P) === p)
    expect(inP.length).toBeGreaterThan(0)
    hand.crash('f')
    hand.apply('a', hand.core('a').streamBroken('f', hand.now))
    const a = hand.core('a')
    expect(a.parts[p]!.handing).toEqual({to: 'f', epoch: 2})
    expect(a.parts[p]!.data.size).toBe(inP.length)
    // While handing over, a request for the partition is held, not answered.
    expect(hand.request('a', {f: 'get', key: inP[0]}, 500)).toEqual([])
    hand.start('f')
    hand.settle(30, 1000)
    expect(hand.core('f').parts[p]!.role).toBe('auth')
    expect(hand.core('f').parts[p]!.epoch).toBe(2)
    expect(hand.core('a').parts[p]!.data.size).toBe(0)
    // The held request was answered with a redirect to the new authority.
    expect(hand.replies.filter((r) => (r.msg as {req: number}).req === 500).map((r) => (r.msg as {result: unknown}).result)).toEqual([
      {type: 'fail', error: 'not-leader', redirect: 'f', message: `partition ${p} was handed to f`},
    ])
    for (const k of inP) expect(hand.request('f', {f: 'get', key: k}, 600)).toEqual([{type: 'ok', value: keys.indexOf(k)}])
  })

  it('while a partition is being handed over its authority answers none of its requests; they are redirected to the new authority once it took over', () => {
    const {hand} = joinOfTwo()
    hand.now += 100
    hand.tick('a')
    // Run until a has decided to hand over (its record is durable and the handoff is queued).
    hand.run(() => hand.recordsOf('a', 'h').length > 0)
    for (let i = 0; i < 50 && hand.recordsOf('a', 'h').length === 0; i++) {
      hand.now += 100
      hand.tick('a')
      hand.tick('a', 'pace')
      hand.run(() => hand.recordsOf('a', 'h').length > 0)
    }
    const h = hand.recordsOf('a', 'h')[0] as Extract<ShardRecord, {t: 'h'}>
    expect(h).toBeDefined()
    const [key] = keysIn(h.p, 1).filter((k) => Number(k.slice(1)) < 24)
    const before = hand.replies.length
    hand.inject('client', 'a', {type: 'kv.req', client: 'c#0', req: 1, op: {f: 'put', key, value: 'during'}})
    expect(hand.replies.length).toBe(before)
    expect(hand.core('a').parts[h.p]!.data.get(key)?.v).not.toBe('during')
    hand.run()
    expect(hand.replies.slice(before).map((r) => (r.msg as {result: unknown}).result)).toEqual([{type: 'fail', error: 'not-leader', redirect: 'f', message: `partition ${h.p} was handed to f`}])
    expect(hand.request('f', {f: 'put', key, value: 'during'}, 1, 'client', 'c#0')).toEqual([{type: 'ok'}])
  })

  it('a write is acknowledged to its client only once every copy being kept up to date has it durably', () => {
    const hand = new Hand({initial: ['a', 'b'], partitions: P, replicas: 2, settle: 0})
    hand.start('a')
    hand.start('b')
    hand.settle(5)
    const a = hand.core('a')
    const p = [0, 1, 2, 3].find((x) => a.parts[x]!.role === 'auth')!
    const [key] = keysIn(p, 1)
    const out = hand.inject('client', 'a', {type: 'kv.req', client: 'c#0', req: 1, op: {f: 'put', key, value: 7}})
    // The authority's record and the forward to the copy leave together (once the record is durable); no answer yet.
    expect(out.persist).toHaveLength(1)
    expect(out.send.map((s) => [s.to, (s.msg as {type: string}).type])).toEqual([['b', 'sh.write']])
    expect(hand.replies).toEqual([])
    // The copy persists and acknowledges in one output.
    hand.step()
    const copyOut = hand.outputs.at(-1)!
    expect(copyOut.node).toBe('b')
    expect(copyOut.out.persist).toHaveLength(1)
    expect(copyOut.out.send.map((s) => (s.msg as {type: string}).type)).toEqual(['sh.ack'])
    hand.step()
    expect(hand.replies.map((r) => (r.msg as {result: unknown}).result)).toEqual([{type: 'ok'}])
    expect(hand.core('b').parts[p]!.data.get(key)).toEqual({v: 7, ver: 1})
  })

  it('at most once across a handoff: a retried write reaching the new authority gets the first answer and is not applied again', () => {
    const hand = new Hand({initial: ['a'], partitions: P, replicas: 1, settle: 0})
    hand.start('a')
    const after = new Layout({partitions: P, replicas: 1, algo: 'ring', vnodes: 160}, ['a', 'f'])
    const p = [0, 1, 2, 3].find((x) => after.primaryOf(x) === 'f')!
    const [key] = keysIn(p, 1)
    // The answer is lost (the client never sees it); the client retries later, at the new owner.
    hand.inject('client', 'a', {type: 'kv.req', client: 'c#0', req: 1, op: {f: 'cas', key, expected: null, value: 'first'}})
    hand.replies.length = 0
    hand.start('f')
    hand.join('a', 'f')
    hand.settle()
    const f = hand.core('f')
    expect(f.parts[p]!.role).toBe('auth')
    const seq = f.parts[p]!.seq
    expect(hand.request('f', {f: 'cas', key, expected: null, value: 'first'}, 1, 'client', 'c#0')).toEqual([{type: 'ok'}])
    expect(f.parts[p]!.seq).toBe(seq)
    expect(f.parts[p]!.data.get(key)).toEqual({v: 'first', ver: 1})
    // A new request of the same session is applied (and, a cas whose expected no longer holds, fails).
    expect(hand.request('f', {f: 'cas', key, expected: null, value: 'second'}, 2, 'client', 'c#0')).toEqual([{type: 'fail', error: 'mismatch', value: 'first'}])
    expect(f.parts[p]!.seq).toBe(seq + 1)
  })

  it('a restart rebuilds exactly what was durable, from snapshots and records', () => {
    const {hand} = joinOfTwo({snapshotEvery: 4})
    hand.settle()
    expect(hand.persisted.some((x) => x.rec === 'snapshot')).toBe(true)
    const state = (id: string) =>
      hand.core(id).parts.map((x) => ({role: x.role, epoch: x.epoch, seq: x.seq, complete: x.complete, lastTook: x.lastTook, pointer: x.pointer, keys: x.keyTuples(), sessions: x.sessionTuples()}))
    for (const id of ['a', 'f']) {
      const before = state(id)
      const ring = hand.core(id).ringView()
      hand.crash(id)
      hand.start(id)
      expect(state(id)).toEqual(before)
      expect(hand.core(id).ringView()).toEqual(ring)
    }
  })
})
