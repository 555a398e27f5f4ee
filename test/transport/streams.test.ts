import {describe, expect, it} from 'vitest'
import fc from 'fast-check'
import {Transport, type PeerAddress} from '../../src/transport/index.js'
import {addr, breaks, rejection, sleep, transport, until} from './helpers.js'

// src/core's stream channel: FIFO per ordered pair of nodes, never loses, duplicates or reorders
// single messages; it can only break as a whole, and both ends are told. The fault layer delays
// (keeping FIFO), cuts (holds) and breaks whole streams; drop on a stream means "break here".

describe('stream faults on TCP links', () => {
  it('a cut holds the stream; clearing it delivers the held frames in order, nothing lost, and a request held past its deadline never runs', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    const got: unknown[] = []
    const reqs: unknown[] = []
    b.onMessage((m) => got.push(m))
    b.onRequest((m) => {
      reqs.push(m)
      return m
    })
    expect(await a.request(addr(b), 'warm')).toBe('warm')
    a.faults.set('b', {block: true})
    a.send(addr(b), 'held-1')
    const held = rejection(a.request(addr(b), 'held-request', {timeoutMs: 150}))
    a.send(addr(b), 'held-2')
    const err = await held
    expect([err.code, err.outcome]).toEqual(['TIMEOUT', 'never-sent'])
    expect(got).toEqual([])
    a.faults.clear('b')
    a.send(addr(b), 'after')
    await until(() => got.length === 3)
    expect(got).toEqual(['held-1', 'held-2', 'after'])
    expect(reqs).toEqual(['warm'])
    expect(a.stats().dropped).toBe(0)
  })

  it('a cut in one direction holds only that direction: the other still delivers, and responses across the cut are held', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    const atA: unknown[] = []
    const atB: unknown[] = []
    a.onMessage((m) => atA.push(m))
    b.onMessage((m) => atB.push(m))
    a.onRequest((m) => m)
    a.faults.set('b', {block: true}) // a -> b only
    a.send(addr(b), 'a->b')
    b.send(addr(a), 'b->a')
    await until(() => atA.length === 1)
    expect(atA).toEqual(['b->a'])
    // b's request reaches a, but a's answer goes a -> b: held, so b times out not knowing.
    const err = await rejection(b.request(addr(a), 'question', {timeoutMs: 200}))
    expect([err.code, err.outcome]).toEqual(['TIMEOUT', 'unknown'])
    expect(atB).toEqual([])
    a.faults.clear()
    await until(() => atB.length === 1)
    expect(atB).toEqual(['a->b'])
  })

  it('a cut that outlasts unreachableTimeoutMs breaks the stream: held frames are dropped, counted, and both sides are told', async () => {
    const a = await transport({id: 'a', unreachableTimeoutMs: 200})
    const b = await transport({id: 'b'})
    const aBreaks = breaks(a)
    const bBreaks = breaks(b)
    const got: unknown[] = []
    b.onMessage((m) => got.push(m))
    a.send(addr(b), 'before')
    await until(() => got.length === 1)
    a.faults.set('b', {block: true})
    a.send(addr(b), 'held')
    await until(() => aBreaks.length === 1 && bBreaks.length === 1)
    expect(aBreaks[0]).toMatchObject({peer: 'b', info: {direction: 'outbound', reason: 'stalled', lostMessages: 1}})
    expect(bBreaks[0]).toMatchObject({peer: 'a', info: {direction: 'inbound', reason: 'lost'}})
    expect(a.stats().lost).toBe(1)
    a.faults.clear()
    a.send(addr(b), 'after')
    await until(() => got.length === 2)
    expect(got).toEqual(['before', 'after'])
  })

  it('breakStreams closes the stream at once: the written request fails unknown, both sides report the break, the next message opens a new stream', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    const aBreaks = breaks(a)
    const bBreaks = breaks(b)
    let asked = 0
    b.onRequest((m) => {
      asked++
      return m === 'hang' ? new Promise(() => {}) : m
    })
    const p = rejection(a.request(addr(b), 'hang', {timeoutMs: 10_000}))
    await until(() => asked === 1)
    expect(a.breakStreams('b')).toBe(1)
    const err = await p
    expect([err.code, err.outcome]).toEqual(['CONNECTION_LOST', 'unknown'])
    expect(aBreaks).toEqual([{peer: 'b', info: {direction: 'outbound', reason: 'fault', lostMessages: 0, failedRequests: 1, control: false}}])
    await until(() => bBreaks.length === 1)
    expect(bBreaks[0]).toMatchObject({peer: 'a', info: {direction: 'inbound', reason: 'lost'}})
    expect(await a.request(addr(b), 'again')).toBe('again')
    // The receiving side can break it too: b closes its end of a's stream, a is told.
    expect(b.breakStreams('a')).toBe(1)
    await until(() => aBreaks.length === 2)
    expect(aBreaks[1]).toMatchObject({peer: 'b', info: {direction: 'outbound', reason: 'lost'}})
    expect(bBreaks[1]).toMatchObject({peer: 'a', info: {direction: 'inbound', reason: 'fault'}})
  })

  it('drop on a stream breaks it at that frame instead of losing one frame inside it; 0 delivers everything in order', async () => {
    const a = await transport({id: 'a', faultSeed: 3})
    const b = await transport({id: 'b'})
    const aBreaks = breaks(a)
    const bBreaks = breaks(b)
    const got: number[] = []
    b.onMessage((m) => got.push(m as number))
    a.send(addr(b), -1)
    await until(() => got.length === 1)
    a.faults.set('b', {drop: 1})
    for (let i = 0; i < 5; i++) a.send(addr(b), i)
    expect(aBreaks).toHaveLength(5)
    expect(aBreaks.every((x) => x.info.reason === 'fault' && x.info.lostMessages >= 1)).toBe(true)
    await until(() => bBreaks.length === 1) // only the first had reached b as a stream
    a.faults.set('b', {drop: 0})
    for (let i = 0; i < 50; i++) a.send(addr(b), 100 + i)
    await until(() => got.length === 51)
    expect(got).toEqual([-1, ...Array.from({length: 50}, (_, i) => 100 + i)])
    expect(a.stats().dropped).toBe(5)
    expect(a.stats().lost).toBe(5)
    const r = await rejection((a.faults.set('b', {drop: 1}), a.request(addr(b), 'x')))
    expect([r.code, r.outcome]).toEqual(['CONNECTION_LOST', 'never-sent'])
  })

  it('duplicate does not apply to a stream: every message arrives once, in order', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    const got: number[] = []
    b.onMessage((m) => got.push(m as number))
    a.faults.set('b', {duplicate: 1})
    for (let i = 0; i < 20; i++) a.send(addr(b), i)
    a.faults.clear()
    a.send(addr(b), 999) // FIFO: once it is in, any duplicate would be too
    await until(() => got.includes(999))
    expect(got).toEqual([...Array.from({length: 20}, (_, i) => i), 999])
  })

  it('delay with jitter keeps FIFO: a delayed frame never overtakes an earlier one', async () => {
    const a = await transport({id: 'a', faultSeed: 11})
    const b = await transport({id: 'b'})
    const got: number[] = []
    b.onMessage((m) => got.push(m as number))
    b.onRequest(() => got.length)
    a.faults.set('b', {delayMs: 2, jitterMs: 40})
    const answers: Promise<unknown>[] = []
    for (let i = 0; i < 300; i++) {
      a.send(addr(b), i)
      if (i % 50 === 25) answers.push(a.request(addr(b), i))
      if (i % 37 === 0) await sleep(1)
    }
    // each request was answered after every message queued before it
    const counts = (await Promise.all(answers)) as number[]
    expect(counts).toHaveLength(6)
    expect(counts.map((c, k) => c >= 26 + 50 * k)).toEqual(Array(6).fill(true))
    await until(() => got.length === 300)
    expect(got).toEqual([...Array(300).keys()])
  })

  it('delays delivery by at least delayMs', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    b.onRequest((m) => m)
    expect(await a.request(addr(b), 'warm')).toBe('warm')
    a.faults.set('b', {delayMs: 120, jitterMs: 30})
    const t0 = performance.now()
    expect(await a.request(addr(b), 'slow')).toBe('slow')
    expect(performance.now() - t0).toBeGreaterThanOrEqual(119)
    const got: number[] = []
    b.onMessage(() => got.push(performance.now()))
    const t1 = performance.now()
    a.send(addr(b), 1)
    await until(() => got.length === 1)
    expect(got[0]! - t1).toBeGreaterThanOrEqual(119)
  })

  it('a control client and its node are exempt from faults, even under a * block', async () => {
    const node = await transport({id: 'n1'})
    node.onRequest((m) => m)
    node.faults.set('*', {block: true})
    const cli = await transport({id: 'cli', listen: false, control: true})
    cli.faults.set('*', {block: true})
    expect(await cli.request(addr(node), 'clear please')).toBe('clear please')
    const peer = await transport({id: 'n2'})
    peer.onRequest((m) => m)
    expect((await rejection(node.request(addr(peer), 'x', {timeoutMs: 100}))).code).toBe('TIMEOUT')
  })

  it('property: under any sequence of delay, jitter, cut, heal and break, a stream delivers in order, loses only at reported breaks, and every break is reported on both sides', async () => {
    const action = fc.oneof(
      fc.record({k: fc.constant('send' as const), n: fc.integer({min: 1, max: 30})}),
      fc.record({k: fc.constant('delay' as const), delayMs: fc.integer({min: 0, max: 15}), jitterMs: fc.integer({min: 0, max: 25})}),
      fc.record({k: fc.constant('cut' as const)}),
      fc.record({k: fc.constant('heal' as const)}),
      fc.record({k: fc.constant('break' as const)}),
      fc.record({k: fc.constant('pause' as const), ms: fc.integer({min: 0, max: 25})}),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(action, {minLength: 1, maxLength: 14}), fc.integer({min: 1, max: 1000}), async (actions, seed) => {
        const a = await Transport.listen({id: 'a', faultSeed: seed})
        const b = await Transport.listen({id: 'b'})
        try {
          const peer: PeerAddress = {id: 'b', host: b.address.host, port: b.address.port}
          const got: number[] = []
          b.onMessage((m) => got.push(m as number))
          let seq = 0
          const aBreaks: number[] = [] // seq counter at each break a reported
          a.onStreamBroken((p, info) => {
            expect([p, info.direction]).toEqual(['b', 'outbound'])
            aBreaks.push(seq)
          })
          let bBreaks = 0
          b.onStreamBroken((p, info) => {
            expect([p, info.direction]).toEqual(['a', 'inbound'])
            bBreaks++
          })
          let broken = 0
          for (const act of actions) {
            if (act.k === 'send') for (let i = 0; i < act.n; i++) a.send(peer, seq++)
            else if (act.k === 'delay') a.faults.set('b', {delayMs: act.delayMs, jitterMs: act.jitterMs})
            else if (act.k === 'cut') a.faults.set('b', {block: true})
            else if (act.k === 'heal') a.faults.set('b', {block: false})
            else if (act.k === 'break') broken += a.breakStreams('b')
            else await sleep(act.ms)
          }
          a.faults.clear()
          const last = seq++
          a.send(peer, last)
          await until(() => got.includes(last), 10_000, 'the final message')
          // FIFO, no duplicates
          for (let i = 1; i < got.length; i++) expect(got[i]!).toBeGreaterThan(got[i - 1]!)
          // every break we caused was reported by a, and by b once it saw the close
          expect(aBreaks).toHaveLength(broken)
          await until(() => bBreaks === broken, 5000, `b to report ${broken} breaks (has ${bBreaks})`)
          // losses only before the last reported break; everything sent after it arrived
          const lastBreak = aBreaks.length ? Math.max(...aBreaks) : 0
          const have = new Set(got)
          for (let s = 0; s < seq; s++) if (!have.has(s)) expect(s).toBeLessThan(lastBreak)
          for (let s = lastBreak; s < seq; s++) expect(have.has(s)).toBe(true)
        } finally {
          await a.close()
          await b.close()
        }
      }),
      {numRuns: 25},
    )
  }, 120_000)
})
