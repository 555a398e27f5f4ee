import net from 'node:net'
import {describe, expect, it} from 'vitest'
import {Transport, TransportError} from '../../src/transport/index.js'
import {addr, helloFrame, rawServer, rejection, sleep, track, transport, until} from './helpers.js'

describe('Transport over TCP', () => {
  it('delivers one-way messages in order with the sender id', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    const got: [unknown, string, boolean][] = []
    b.onMessage((m, ctx) => got.push([m, ctx.from, ctx.control]))
    for (let i = 0; i < 100; i++) a.send(addr(b), {i, buf: Buffer.from([i])})
    await until(() => got.length === 100)
    expect(got.map((g) => (g[0] as {i: number}).i)).toEqual([...Array(100).keys()])
    expect(got[5]).toEqual([{i: 5, buf: Buffer.from([5])}, 'a', false])
    expect(a.stats().framesOut).toBeGreaterThanOrEqual(100)
    expect(b.stats().framesIn).toBeGreaterThanOrEqual(100)
    expect(a.stats().connections).toBe(1)
  })

  it('keeps one-way order across batches, requests and large messages', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    const got: number[] = []
    b.onMessage((m) => got.push((m as {i: number}).i))
    b.onRequest(() => got.length)
    const reqs: Promise<unknown>[] = []
    for (let i = 0; i < 3000; i++) {
      a.send(addr(b), i % 97 === 0 ? {i, big: Buffer.alloc(40_000)} : {i})
      if (i % 500 === 0) reqs.push(a.request(addr(b), i))
      if (i % 700 === 0) await new Promise((r) => setImmediate(r))
    }
    await Promise.all(reqs)
    await until(() => got.length === 3000)
    expect(got).toEqual([...Array(3000).keys()])
    expect(b.stats().framesIn).toBeGreaterThanOrEqual(3000)
  })

  it('answers requests, many concurrently, with sync and async handlers', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    b.onRequest(async (m, ctx) => {
      const n = (m as {n: number}).n
      if (n % 2) await sleep(n % 7)
      return {n: n * 2, from: ctx.from}
    })
    const res = await Promise.all(Array.from({length: 500}, (_, n) => a.request<{n: number; from: string}>(addr(b), {n})))
    expect(res.map((r) => r.n)).toEqual(Array.from({length: 500}, (_, n) => n * 2))
    expect(res[0]!.from).toBe('a')
    b.onRequest((m) => m)
    expect(await a.request(addr(b), 'sync')).toBe('sync')
  })

  it('both sides can be requester and responder at once', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    a.onRequest(() => 'from a')
    b.onRequest(() => 'from b')
    expect(await Promise.all([a.request(addr(b), 1), b.request(addr(a), 2)])).toEqual(['from b', 'from a'])
  })

  it('times out near the requested timeout', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    b.onRequest(() => new Promise(() => {}))
    const t0 = Date.now()
    const err = await rejection(a.request(addr(b), 'x', {timeoutMs: 200}))
    const took = Date.now() - t0
    expect(err).toBeInstanceOf(TransportError)
    expect(err.code).toBe('TIMEOUT')
    expect(err.peer).toBe('b')
    expect(took).toBeGreaterThanOrEqual(190)
    expect(took).toBeLessThan(2000)
  })

  it('reports a remote handler throw as REMOTE_ERROR with its message', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    b.onRequest((m) => {
      if (m === 'sync') throw new Error('boom sync')
      return Promise.reject(new Error('boom async'))
    })
    const e1 = await rejection(a.request(addr(b), 'sync'))
    expect([e1.code, e1.message]).toEqual(['REMOTE_ERROR', 'boom sync'])
    const e2 = await rejection(a.request(addr(b), 'async'))
    expect([e2.code, e2.message]).toEqual(['REMOTE_ERROR', 'boom async'])
    // no handler at all
    const c = await transport({id: 'c'})
    expect((await rejection(a.request(addr(c), 1))).code).toBe('REMOTE_ERROR')
  })

  it('rejects in-flight requests with CONNECTION_LOST when the peer dies', async () => {
    const a = await transport({id: 'a'})
    let sock: net.Socket | undefined
    // A peer that says hello, then dies without answering.
    const srv = await rawServer((s) => {
      sock = s
      s.write(helloFrame('b'))
    })
    const p = a.request({id: 'b', host: '127.0.0.1', port: srv.port}, 'x', {timeoutMs: 10_000})
    await until(() => sock !== undefined)
    await sleep(20)
    const t0 = Date.now()
    sock!.destroy()
    const err = await rejection(p)
    expect(err.code).toBe('CONNECTION_LOST')
    expect(Date.now() - t0).toBeLessThan(1000)
  })

  it('fails with CONNECT_FAILED when nobody listens', async () => {
    const a = await transport({id: 'a'})
    const port = await freePort()
    const err = await rejection(a.request({id: 'z', host: '127.0.0.1', port}, 'x'))
    expect(err.code).toBe('CONNECT_FAILED')
  })

  it('reconnects after the server restarts on the same port', async () => {
    const a = await transport({id: 'a', backoff: {initialMs: 10, maxMs: 100}})
    let b = await Transport.listen({id: 'b'})
    const port = b.address.port
    b.onRequest(() => 'v1')
    const peer = {id: 'b', host: '127.0.0.1', port}
    expect(await a.request(peer, 1)).toBe('v1')
    await b.close()
    const err = await rejection(a.request(peer, 2, {timeoutMs: 500}))
    expect(['CONNECTION_LOST', 'CONNECT_FAILED', 'TIMEOUT']).toContain(err.code)
    b = track(await Transport.listen({id: 'b', port}))
    b.onRequest(() => 'v2')
    let answer: unknown
    const t0 = Date.now()
    while (Date.now() - t0 < 5000) {
      try {
        answer = await a.request(peer, 3, {timeoutMs: 500})
        break
      } catch {
        await sleep(20)
      }
    }
    expect(answer).toBe('v2')
  })

  it('a peer that was down for a while is dialled at once when it is back, not after a grown backoff', async () => {
    const a = await transport({id: 'a', backoff: {initialMs: 20, maxMs: 5000}})
    const port = await freePort()
    const peer = {id: 'b', host: '127.0.0.1', port}
    // Sparse requests to a dead peer, each after the link went quiet: backoff must not pile up.
    for (let i = 0; i < 8; i++) {
      expect((await rejection(a.request(peer, i, {timeoutMs: 500}))).code).toBe('CONNECT_FAILED')
      await sleep(60)
    }
    await sleep(100)
    const b = await transport({id: 'b', port})
    b.onRequest(() => 'back')
    const t0 = Date.now()
    expect(await a.request(peer, 'hello', {timeoutMs: 1000})).toBe('back')
    expect(Date.now() - t0).toBeLessThan(200)
  })

  it('a request rejected with CONNECT_FAILED is never delivered later', async () => {
    const a = await transport({id: 'a', backoff: {initialMs: 20, maxMs: 100}})
    const port = await freePort()
    const peer = {id: 'b', host: '127.0.0.1', port}
    expect((await rejection(a.request(peer, 'ghost', {timeoutMs: 500}))).code).toBe('CONNECT_FAILED')
    const b = await transport({id: 'b', port})
    const seen: unknown[] = []
    b.onRequest((m) => {
      seen.push(m)
      return 'ok'
    })
    await sleep(150)
    expect(await a.request(peer, 'real')).toBe('ok')
    expect(seen).toEqual(['real'])
  })

  it('queued one-way messages are delivered once the peer comes up', async () => {
    const port = await freePort()
    const a = await transport({id: 'a', backoff: {initialMs: 10, maxMs: 50}})
    const got: unknown[] = []
    a.send({id: 'b', host: '127.0.0.1', port}, 'early')
    await sleep(50)
    const b = await transport({id: 'b', port})
    b.onMessage((m) => got.push(m))
    await until(() => got.length === 1, 5000, 'queued message')
    expect(got).toEqual(['early'])
  })

  it('throws QUEUE_FULL when the peer never reads', async () => {
    const srv = await rawServer((s) => s.pause())
    const a = await transport({id: 'a', maxQueueBytes: 256 * 1024})
    const peer = {id: 'sink', host: '127.0.0.1', port: srv.port}
    const payload = Buffer.alloc(4096)
    let err: unknown
    for (let i = 0; i < 100_000 && !err; i++) {
      try {
        a.send(peer, payload)
      } catch (e) {
        err = e
      }
      if (i % 50 === 0) await new Promise((r) => setImmediate(r))
    }
    expect(err).toBeInstanceOf(TransportError)
    expect((err as TransportError).code).toBe('QUEUE_FULL')
    expect((await rejection(a.request(peer, payload))).code).toBe('QUEUE_FULL')
    await srv.close()
  })

  it('close() flushes queued one-way messages, then rejects with CLOSED', async () => {
    const a = await Transport.listen({id: 'a'})
    const b = await transport({id: 'b'})
    const got: number[] = []
    b.onMessage((m) => got.push(m as number))
    for (let i = 0; i < 5000; i++) a.send(addr(b), i)
    await a.close()
    await until(() => got.length === 5000, 5000, 'all messages')
    expect(got[4999]).toBe(4999)
    expect(() => a.send(addr(b), 1)).toThrow(expect.objectContaining({code: 'CLOSED'}))
    expect((await rejection(a.request(addr(b), 1))).code).toBe('CLOSED')
  })

  it('close() rejects pending requests with CLOSED', async () => {
    const a = await Transport.listen({id: 'a'})
    const b = await transport({id: 'b'})
    b.onRequest(() => new Promise(() => {}))
    const p = rejection(a.request(addr(b), 1, {timeoutMs: 10_000}))
    await sleep(20)
    await a.close()
    expect((await p).code).toBe('CLOSED')
  })

  it('a client-only endpoint (listen: false) talks to a server', async () => {
    const srv = await transport({id: 'n1'})
    srv.onRequest((m, ctx) => ({m, ctx}))
    const cli = await transport({id: 'cli', listen: false, control: true})
    const r = await cli.request<{ctx: {from: string; control: boolean}}>(addr(srv), 'ping')
    expect(r.ctx.from).toBe('cli')
    expect(r.ctx.control).toBe(true)
  })

  it('carries large payloads up to the frame limit and refuses bigger ones', async () => {
    const a = await transport({id: 'a', maxFrameBytes: 1 << 20})
    const b = await transport({id: 'b'})
    b.onRequest((m) => (m as Buffer).length)
    expect(await a.request(addr(b), Buffer.alloc(900_000, 1))).toBe(900_000)
    expect(() => a.send(addr(b), Buffer.alloc(2 << 20))).toThrow(/exceeds/)
  })
})

async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as net.AddressInfo).port
  await new Promise((r) => s.close(r))
  return port
}
