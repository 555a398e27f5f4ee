import {describe, expect, it} from 'vitest'
import {addr, breaks, deadPort, transport, until} from './helpers.js'

// Never grow without bound: idle outbound connections close, and one-way messages for a peer that
// stays unreachable are dropped after a bound, counted and reported as a broken stream.
describe('bounded state', () => {
  it('an idle outbound connection closes in order (no break on either side) and the next request dials again', async () => {
    const a = await transport({id: 'a', idleTimeoutMs: 100})
    const b = await transport({id: 'b'})
    const aBreaks = breaks(a)
    const bBreaks = breaks(b)
    b.onRequest((m) => m)
    expect(await a.request(addr(b), 1)).toBe(1)
    expect(a.stats().connections).toBe(1)
    await until(() => a.stats().connections === 0 && b.stats().connections === 0, 5000, 'the idle connection to close')
    expect(await a.request(addr(b), 2)).toBe(2)
    expect([aBreaks, bBreaks]).toEqual([[], []])
  })

  it('a connection with a request in flight is not idle', async () => {
    const a = await transport({id: 'a', idleTimeoutMs: 50})
    const b = await transport({id: 'b'})
    const c = await transport({id: 'c'})
    c.onRequest((m) => m)
    let release: (v: unknown) => void = () => {}
    let asked = 0
    b.onRequest(() => {
      asked++
      return new Promise((r) => (release = r))
    })
    const p = a.request(addr(b), 'slow', {timeoutMs: 10_000})
    await until(() => asked === 1)
    // Idle periods pass while the request waits (the link to c, used once, closes meanwhile);
    // the link to b must stay and carry the answer.
    expect(await a.request(addr(c), 'once')).toBe('once')
    await until(() => a.stats().connections === 1, 5000, 'the idle link to c to close')
    release('done')
    expect(await p).toBe('done')
  })

  it('one-way messages for a peer that stays unreachable are dropped after unreachableTimeoutMs, counted, and the break reported', async () => {
    const port = await deadPort()
    const a = await transport({id: 'a', unreachableTimeoutMs: 200, backoff: {initialMs: 20, maxMs: 50}})
    const aBreaks = breaks(a)
    const peer = {id: 'b', host: '127.0.0.1', port}
    for (let i = 0; i < 3; i++) a.send(peer, i)
    await until(() => aBreaks.length === 1, 5000, 'the unreachable report')
    expect(aBreaks[0]).toEqual({peer: 'b', info: {direction: 'outbound', reason: 'unreachable', lostMessages: 3, failedRequests: 0, control: false}})
    expect(a.stats().lost).toBe(3)
    expect(a.queuedBytes(peer)).toBe(0)
    // When it does come up, it gets what was sent after, not the dropped ones.
    const b = await transport({id: 'b', port})
    const got: unknown[] = []
    b.onMessage((m) => got.push(m))
    a.send(peer, 'after')
    await until(() => got.length === 1)
    expect(got).toEqual(['after'])
  })
})
