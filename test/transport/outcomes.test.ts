import net from 'node:net'
import {describe, expect, it} from 'vitest'
import {PROTOCOL_VERSION, Transport} from '../../src/transport/index.js'
import {addr, deadPort, fillUntilBlocked, gate, helloFrame, rawServer, rejection, transport, until} from './helpers.js'

// Jepsen's terms: a request reported `never-sent` must never take effect (a history records it as
// `fail`); one reported `unknown` may have (`info`). Each test below shows a failure path and
// checks both what the caller was told and what the peer executed.

/** A peer that records, in arrival order, every one-way message and request it executes. */
async function recorder(id: string, opts: {port?: number} = {}) {
  const t = await transport({id, connectTimeoutMs: 10_000, ...opts})
  const log: string[] = []
  t.onMessage((m) => log.push(`msg:${(m as {fill?: number}).fill === undefined ? String(m) : 'fill'}`))
  t.onRequest((m) => {
    log.push(`req:${String(m)}`)
    return m
  })
  const executed = () => log.filter((l) => l !== 'msg:fill')
  return {t, log, executed}
}

describe('request outcomes: never-sent means never delivered', () => {
  it('CONNECT_FAILED with a one-way message queued ahead: the request is taken out of the queue; the message still goes when the peer starts', async () => {
    const port = await deadPort()
    const a = await transport({id: 'a', backoff: {initialMs: 20, maxMs: 100}})
    const peer = {id: 'b', host: '127.0.0.1', port}
    a.send(peer, 'early')
    const err = await rejection(a.request(peer, 'ghost', {timeoutMs: 5000}))
    expect([err.code, err.outcome]).toEqual(['CONNECT_FAILED', 'never-sent'])
    const b = await recorder('b', {port})
    await until(() => b.log.includes('msg:early'), 5000, 'the queued message')
    a.send(peer, 'sentinel')
    await until(() => b.log.includes('msg:sentinel'))
    expect(b.log).toEqual(['msg:early', 'msg:sentinel'])
  })

  it('close() takes queued requests out before rejecting them CLOSED never-sent, then flushes the one-way messages around them', async () => {
    const b = await recorder('b')
    const g = await gate(b.t.address.port)
    const a = await Transport.listen({id: 'a'})
    const peer = {id: 'b', host: '127.0.0.1', port: g.port}
    await fillUntilBlocked(a, peer)
    a.send(peer, 'm1')
    const r = rejection(a.request(peer, 'queued-at-close', {timeoutMs: 10_000}))
    a.send(peer, 'm2')
    const closed = a.close()
    const err = await r
    expect([err.code, err.outcome]).toEqual(['CLOSED', 'never-sent'])
    g.open()
    await closed
    await until(() => b.log.includes('msg:m2'), 10_000, 'the flushed messages')
    expect(b.executed()).toEqual(['msg:m1', 'msg:m2'])
  })

  it('TIMEOUT while still queued: never-sent, and the frame is not written when the link drains', async () => {
    const b = await recorder('b')
    const g = await gate(b.t.address.port)
    const a = await transport({id: 'a'})
    const peer = {id: 'b', host: '127.0.0.1', port: g.port}
    await fillUntilBlocked(a, peer)
    const err = await rejection(a.request(peer, 'late', {timeoutMs: 50}))
    expect([err.code, err.outcome]).toEqual(['TIMEOUT', 'never-sent'])
    g.open()
    a.send(peer, 'sentinel')
    await until(() => b.log.includes('msg:sentinel'), 10_000, 'the sentinel')
    expect(b.executed()).toEqual(['msg:sentinel'])
  })

  it('CONNECTION_LOST while still queued: never-sent, and the frame does not go out on the next connection', async () => {
    const b = await recorder('b')
    const g = await gate(b.t.address.port)
    const a = await transport({id: 'a'})
    const peer = {id: 'b', host: '127.0.0.1', port: g.port}
    await fillUntilBlocked(a, peer)
    const r = rejection(a.request(peer, 'stranded', {timeoutMs: 10_000}))
    g.open() // new connections flow; the current one is cut below, with our frame still queued
    g.cut()
    const err = await r
    expect([err.code, err.outcome]).toEqual(['CONNECTION_LOST', 'never-sent'])
    a.send(peer, 'sentinel')
    await until(() => b.log.includes('msg:sentinel'), 10_000, 'the sentinel')
    expect(g.accepted()).toBe(2)
    expect(b.executed().filter((l) => l.startsWith('req:'))).toEqual([])
  })

  it('one-way messages and requests mixed in one queue: the timed-out request is removed, everything else keeps its order', async () => {
    const b = await recorder('b')
    const g = await gate(b.t.address.port)
    const a = await transport({id: 'a'})
    const peer = {id: 'b', host: '127.0.0.1', port: g.port}
    await fillUntilBlocked(a, peer)
    a.send(peer, 'm1')
    const r1 = a.request(peer, 'r1', {timeoutMs: 10_000})
    a.send(peer, 'm2')
    const r2 = rejection(a.request(peer, 'r2', {timeoutMs: 50}))
    a.send(peer, 'm3')
    const r3 = a.request(peer, 'r3', {timeoutMs: 10_000})
    a.send(peer, 'm4')
    const e2 = await r2
    expect([e2.code, e2.outcome]).toEqual(['TIMEOUT', 'never-sent'])
    g.open()
    expect(await Promise.all([r1, r3])).toEqual(['r1', 'r3'])
    await until(() => b.log.includes('msg:m4'))
    expect(b.executed()).toEqual(['msg:m1', 'req:r1', 'msg:m2', 'msg:m3', 'req:r3', 'msg:m4'])
  })

  it('a wrong node at the address (a restarted or foreign process on a reused port): PEER_MISMATCH, never-sent, and it receives nothing', async () => {
    const c = await recorder('c')
    const logs: string[] = []
    const a = await transport({id: 'a', backoff: {initialMs: 20, maxMs: 100}, log: (lvl, msg, f) => lvl === 'warn' && logs.push(`${msg} ${JSON.stringify(f)}`)})
    const wrong = {id: 'b', host: '127.0.0.1', port: c.t.address.port}
    a.send(wrong, 'for-b')
    const err = await rejection(a.request(wrong, 'for-b-request'))
    expect([err.code, err.outcome]).toEqual(['PEER_MISMATCH', 'never-sent'])
    expect(err.message).toContain("answered as node 'c'")
    expect(a.stats().refused).toBeGreaterThanOrEqual(1)
    expect(logs.some((l) => l.includes('refusing connection at hello'))).toBe(true)
    // Addressed by its own id, c gets what is meant for it, and nothing meant for b.
    a.send(addr(c.t), 'for-c')
    await until(() => c.log.includes('msg:for-c'))
    expect(c.log).toEqual(['msg:for-c'])
  })

  it('a peer speaking another protocol version is refused both ways with PROTOCOL_MISMATCH, and nothing is delivered', async () => {
    // We dial an old peer: its version-1 hello (no `v`) fails our requests, never-sent.
    const old = await rawServer((s) => s.write(helloFrame('b', 1)))
    const a = await transport({id: 'a'})
    const err = await rejection(a.request({id: 'b', host: '127.0.0.1', port: old.port}, 'x'))
    expect([err.code, err.outcome]).toEqual(['PROTOCOL_MISMATCH', 'never-sent'])
    expect(err.message).toMatch(new RegExp(`protocol version 1, this endpoint ${PROTOCOL_VERSION}`))
    // An old peer dials us: refused at its hello, its request is never executed.
    const logs: string[] = []
    const b = await transport({id: 'b', log: (lvl, msg, f) => lvl === 'warn' && logs.push(`${msg} ${JSON.stringify(f)}`)})
    let executed = 0
    b.onRequest(() => ++executed)
    const req = Buffer.from([0, 0, 0, 8, 2, 0xce, 0, 0, 0, 1, 0xa1, 0x78]) // kind 2, id 1, "x"
    await new Promise<void>((resolve) => {
      const s = net.connect({port: b.address.port, host: '127.0.0.1'}, () => s.write(Buffer.concat([helloFrame('old', 1), req])))
      s.on('error', () => {})
      s.on('data', () => {})
      s.on('close', () => resolve())
    })
    expect(executed).toBe(0)
    expect(b.stats().refused).toBe(1)
    expect(logs).toHaveLength(1)
    expect(logs[0]).toMatch(/protocol version 1/)
  })
})
