import {describe, expect, it} from 'vitest'
import {TransportError} from '../../src/transport/index.js'
import {addr, rejection, sleep, transport} from './helpers.js'

// Request timeouts share one timer per endpoint (one FIFO list per distinct timeout value).
describe('request timeouts (shared timer)', () => {
  it('rejects many requests with different timeouts each near its own deadline', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    b.onRequest(() => new Promise(() => {}))
    const timeouts = [300, 60, 180, 30, 120, 60, 240, 30, 90, 150]
    const t0 = Date.now()
    const took = await Promise.all(
      timeouts.map(async (ms, i) => {
        // Stagger a few so that the lists are not simply created in deadline order.
        if (i % 3 === 1) await sleep(10)
        const start = Date.now()
        const err = await rejection(a.request(addr(b), i, {timeoutMs: ms}))
        expect(err).toBeInstanceOf(TransportError)
        expect(err.code).toBe('TIMEOUT')
        expect(err.peer).toBe('b')
        expect(err.message).toContain(`${ms} ms`)
        return Date.now() - start
      }),
    )
    for (let i = 0; i < timeouts.length; i++) {
      expect(took[i]).toBeGreaterThanOrEqual(timeouts[i]! - 2)
      // "near": a few ms in a quiet process; generous for a loaded CI machine.
      expect(took[i]).toBeLessThan(timeouts[i]! + 60)
    }
    expect(Date.now() - t0).toBeLessThan(1000)
  })

  it('a request answered just before its deadline resolves; a later one still times out', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    b.onRequest(async (m) => {
      await sleep(m as number)
      return m
    })
    const early = a.request(addr(b), 120, {timeoutMs: 200})
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
    for (let i = 0; i < 200; i++) results.push(await a.request(addr(b), i, {timeoutMs: 40 + (i % 5) * 10}))
    expect(results).toEqual([...Array(200).keys()])
    await sleep(120) // past every deadline: nothing may reject late or throw
    b.onRequest(() => new Promise(() => {}))
    const err = await rejection(a.request(addr(b), 'x', {timeoutMs: 50}))
    expect(err.code).toBe('TIMEOUT')
  })

  it('a shorter timeout issued after a long one still fires on time', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    b.onRequest(() => new Promise(() => {}))
    const long = rejection(a.request(addr(b), 1, {timeoutMs: 2000}))
    const start = Date.now()
    const err = await rejection(a.request(addr(b), 2, {timeoutMs: 50}))
    expect(err.code).toBe('TIMEOUT')
    expect(Date.now() - start).toBeLessThan(150)
    await a.close()
    expect((await long).code).toBe('CLOSED')
  })
})
