import {afterEach, describe, expect, it, vi} from 'vitest'
import {TransportError} from '../../src/transport/index.js'
import {addr, rejection, sleep, transport} from './helpers.js'

// Request timeouts share one timer per endpoint (one FIFO list per distinct timeout value), on the
// monotonic clock. These tests check behaviour (which request times out, in what order, never
// early); how close to its deadline a timeout fires is timer granularity plus load, not asserted.
describe('request timeouts (shared timer)', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('rejects many requests with different timeouts in deadline order, none before its own deadline', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    b.onRequest((m) => (m === 'warm' ? m : new Promise(() => {})))
    // Connected first, so that every request below is written before its deadline (a request that
    // expires still queued would be `never-sent`, tested elsewhere).
    expect(await a.request(addr(b), 'warm')).toBe('warm')
    const timeouts = [300, 60, 180, 30, 120, 60, 240, 30, 90, 150]
    const order: number[] = []
    const deadlines: number[] = []
    const took = await Promise.all(
      timeouts.map(async (ms, i) => {
        // Stagger a few so that the lists are not simply created in deadline order.
        if (i % 3 === 1) await sleep(10)
        const start = performance.now()
        deadlines[i] = start + ms
        const err = await rejection(a.request(addr(b), i, {timeoutMs: ms}))
        order.push(i)
        expect(err).toBeInstanceOf(TransportError)
        expect([err.code, err.peer, err.outcome]).toEqual(['TIMEOUT', 'b', 'unknown'])
        expect(err.message).toContain(`${ms} ms`)
        return performance.now() - start
      }),
    )
    expect(took).toHaveLength(timeouts.length)
    for (let i = 0; i < timeouts.length; i++) expect(took[i]).toBeGreaterThanOrEqual(timeouts[i]! - 1)
    expect(order).toHaveLength(timeouts.length)
    const byDeadline = [...order].sort((x, y) => deadlines[x]! - deadlines[y]! || x - y)
    expect(order).toEqual(byDeadline)
  })

  it('answered requests resolve while a slower one among them times out', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    b.onRequest(async (m) => {
      await sleep(m as number)
      return m
    })
    const early = a.request(addr(b), 120, {timeoutMs: 2000})
    const late = rejection(a.request(addr(b), 400, {timeoutMs: 150}))
    const long = a.request(addr(b), 20, {timeoutMs: 5000})
    expect(await early).toBe(120)
    expect(await long).toBe(20)
    expect((await late).code).toBe('TIMEOUT')
  })

  it('an answered request does not fire its timeout later, and the timer does not pin the process', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    b.onRequest((m) => m)
    const results: unknown[] = []
    for (let i = 0; i < 200; i++) results.push(await a.request(addr(b), i, {timeoutMs: 1000 + (i % 5) * 100}))
    expect(results).toEqual([...Array(200).keys()])
    // A request whose timeout is past every earlier deadline: the sweeps it causes must not
    // reject anything late or throw.
    b.onRequest(() => new Promise(() => {}))
    const err = await rejection(a.request(addr(b), 'x', {timeoutMs: 1500}))
    expect(err.code).toBe('TIMEOUT')
  })

  it('a shorter timeout issued after a long one fires first, and the long one is still pending', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    b.onRequest(() => new Promise(() => {}))
    let longSettled = false
    const long = rejection(a.request(addr(b), 1, {timeoutMs: 10_000})).finally(() => (longSettled = true))
    const err = await rejection(a.request(addr(b), 2, {timeoutMs: 50}))
    expect(err.code).toBe('TIMEOUT')
    expect(longSettled).toBe(false)
    await a.close()
    expect((await long).code).toBe('CLOSED')
  })

  it('deadlines run on the monotonic clock: a wall-clock jump neither expires a request early nor keeps it alive', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    b.onRequest(async (m) => {
      await sleep(m === 'slow' ? 300 : 0)
      return m
    })
    expect(await a.request(addr(b), 'warm')).toBe('warm')
    const slow = a.request(addr(b), 'slow', {timeoutMs: 10_000})
    // The wall clock jumps an hour ahead; a short request's sweep must not take the slow one with it.
    const real = Date.now.bind(Date)
    vi.spyOn(Date, 'now').mockImplementation(() => real() + 3_600_000)
    b.onRequest(async (m) => {
      if (m === 'never') await new Promise(() => {})
      await sleep(m === 'slow' ? 300 : 0)
      return m
    })
    const order: string[] = []
    const short = rejection(a.request(addr(b), 'never', {timeoutMs: 30})).finally(() => order.push('short timed out'))
    const slowDone = slow.finally(() => order.push('slow answered'))
    expect((await short).code).toBe('TIMEOUT')
    expect(await slowDone).toBe('slow')
    // The short one expired on its own deadline, well before the slow answer (300 ms), and the
    // slow one was not expired by the jump.
    expect(order).toEqual(['short timed out', 'slow answered'])
  })
})
