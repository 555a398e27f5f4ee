import {afterEach, describe, expect, it} from 'vitest'
import {KvClient, outcomeOfError, outcomeOfResult, type KvNode} from '../../src/kvclient/index.js'
import {Transport, TransportError, type TransportErrorCode} from '../../src/transport/index.js'
import {deadPort} from '../transport/helpers.js'
import {KvDouble} from './helpers/kv-server.js'

const open: Array<{close(): Promise<void>}> = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()))
})

async function double(opts: Parameters<typeof KvDouble.start>[0] = {}): Promise<KvDouble> {
  const d = await KvDouble.start(opts)
  open.push(d)
  return d
}

function nodeOf(d: {id: string; address: {host: string; port: number}}, core = 'kv'): KvNode {
  return {id: d.id, host: d.address.host, port: d.address.port, core}
}

async function client(nodes: KvNode[], opts: Partial<Parameters<typeof KvClient.open>[0]> = {}): Promise<KvClient> {
  const c = await KvClient.open({nodes: new Map(nodes.map((n) => [n.id, n])), timeoutMs: 2000, ...opts})
  open.push(c)
  return c
}

const CODES: TransportErrorCode[] = ['TIMEOUT', 'CONNECTION_LOST', 'REMOTE_ERROR', 'QUEUE_FULL', 'CLOSED', 'CONNECT_FAILED', 'FRAME_TOO_LARGE', 'PEER_MISMATCH', 'PROTOCOL_MISMATCH']

describe('outcome mapping (the client contract: never-sent is fail, unknown is info)', () => {
  it('maps every transport error by its outcome, whatever its code', () => {
    for (const code of CODES) {
      expect(outcomeOfError(new TransportError(code, 'x', 'n1', 'never-sent')).type, `${code} never-sent`).toBe('fail')
      expect(outcomeOfError(new TransportError(code, 'x', 'n1', 'unknown')).type, `${code} unknown`).toBe('info')
    }
    expect(outcomeOfError(new TransportError('CONNECT_FAILED', 'x', 'n1', 'never-sent'))).toMatchObject({type: 'fail', error: 'connect-failed'})
    expect(outcomeOfError(new TransportError('TIMEOUT', 'x', 'n1', 'unknown'))).toMatchObject({type: 'info', error: 'timeout'})
  })

  it('a remote error is fail only when the node says it refused the request before a core saw it', () => {
    expect(outcomeOfError(new TransportError('REMOTE_ERROR', "unknown op 'client'", 'n1', 'answered'))).toMatchObject({type: 'fail', error: 'bad-request'})
    expect(outcomeOfError(new TransportError('REMOTE_ERROR', 'bad-request: malformed envelope', 'n1', 'answered'))).toMatchObject({type: 'fail', error: 'bad-request'})
    expect(outcomeOfError(new TransportError('REMOTE_ERROR', 'full: more than 10000 requests wait on node n1; the request reached no core', 'n1', 'answered'))).toMatchObject({type: 'fail'})
    expect(outcomeOfError(new TransportError('REMOTE_ERROR', 'disk I/O error', 'n1', 'answered'))).toMatchObject({type: 'info', error: 'remote-error'})
  })

  it('an error that is not the transport\'s never left the process: fail', () => {
    expect(outcomeOfError(new Error('cannot encode'))).toMatchObject({type: 'fail', error: 'client'})
  })

  it('takes a node\'s result as it is', () => {
    expect(outcomeOfResult({type: 'ok', value: 3})).toEqual({type: 'ok', value: 3})
    expect(outcomeOfResult({type: 'ok', existed: false})).toEqual({type: 'ok', existed: false})
    expect(outcomeOfResult({type: 'fail', error: 'mismatch', value: 7})).toMatchObject({type: 'fail', error: 'mismatch', value: 7})
    expect(outcomeOfResult({type: 'info', error: 'timeout'})).toMatchObject({type: 'info', error: 'timeout'})
  })
})

describe('the client against a real endpoint', () => {
  it('puts, reads, compares-and-sets and deletes through the contract envelope', async () => {
    const n1 = await double()
    const c = await client([nodeOf(n1)])
    const s = c.session()
    expect((await c.call(s, {f: 'put', key: 'a', value: 1}, 'n1')).outcome).toEqual({type: 'ok'})
    expect((await c.call(s, {f: 'get', key: 'a'}, 'n1')).outcome).toEqual({type: 'ok', value: 1})
    expect((await c.call(s, {f: 'cas', key: 'a', expected: 2, value: 3}, 'n1')).outcome).toMatchObject({type: 'fail', error: 'mismatch', value: 1})
    expect((await c.call(s, {f: 'cas', key: 'a', expected: 1, value: 3}, 'n1')).outcome).toEqual({type: 'ok'})
    expect((await c.call(s, {f: 'delete', key: 'a'}, 'n1')).outcome).toEqual({type: 'ok', existed: true})
    expect((await c.call(s, {f: 'get', key: 'a'}, 'n1')).outcome).toEqual({type: 'ok', value: null})
    expect(n1.seen).toHaveLength(6)
    expect(n1.seen.every((x) => x.core === 'kv' && x.client === c.id && x.from === c.id)).toBe(true)
    expect(c.id).toMatch(/^client-\d+-[0-9a-f]{8}$/)
  })

  it('numbers requests once per endpoint, so sessions sharing it never reuse a number', async () => {
    const n1 = await double()
    const c = await client([nodeOf(n1)])
    const calls = await Promise.all(Array.from({length: 20}, (_, i) => c.call(c.session(`p${i % 4}`), {f: 'put', key: `k${i % 3}`, value: i}, 'n1')))
    expect(calls).toHaveLength(20)
    expect(calls.every((x) => x.outcome.type === 'ok')).toBe(true)
    expect(new Set(n1.seen.map((x) => x.req)).size).toBe(20)
  })

  it('CONNECT_FAILED: retried with the same request until the node is there, and applied once', async () => {
    const port = await deadPort()
    const c = await client([{id: 'n1', host: '127.0.0.1', port, core: 'kv'}], {timeoutMs: 10_000})
    const call = c.call(c.session(), {f: 'put', key: 'a', value: 1}, 'n1')
    // The first attempts find nothing listening; then the node starts on that port.
    await new Promise((r) => setTimeout(r, 150))
    const n1 = await double({port})
    const r = await call
    expect(r.outcome).toEqual({type: 'ok'})
    expect(r.attempts).toBeGreaterThan(1)
    expect(n1.seen.map((x) => x.req)).toEqual([r.req])
    expect(n1.core.get('a')).toBe(1)
  })

  it('CONNECT_FAILED until the deadline: fail (it never reached a node)', async () => {
    const port = await deadPort()
    const c = await client([{id: 'n1', host: '127.0.0.1', port, core: 'kv'}], {timeoutMs: 300})
    const r = await c.call(c.session(), {f: 'put', key: 'a', value: 1}, 'n1')
    expect(r.outcome).toMatchObject({type: 'fail', error: 'connect-failed'})
  })

  it('TIMEOUT after the request was written: info, and the node did see it', async () => {
    const n1 = await double({drop: () => true})
    const c = await client([nodeOf(n1)], {timeoutMs: 300})
    const r = await c.call(c.session(), {f: 'put', key: 'a', value: 1}, 'n1')
    expect(r.outcome).toMatchObject({type: 'info', error: 'timeout'})
    expect(r.attempts).toBe(1)
    expect(n1.seen).toHaveLength(1)
    expect(n1.core.get('a')).toBe(1)
  })

  it('CONNECTION_LOST under a written request: info, not retried', async () => {
    const n1 = await double({
      answer: (_m, ctx) => {
        setImmediate(() => n1.transport.breakStreams(ctx.from))
        return new Promise(() => {})
      },
    })
    const c = await client([nodeOf(n1)])
    const r = await c.call(c.session(), {f: 'put', key: 'a', value: 1}, 'n1')
    expect(r.outcome).toMatchObject({type: 'info', error: 'connection-lost'})
    expect(r.attempts).toBe(1)
    expect(n1.seen).toHaveLength(1)
  })

  it('QUEUE_FULL and FRAME_TOO_LARGE: fail, and nothing reaches the node', async () => {
    const n1 = await double()
    const small = await client([nodeOf(n1)], {transport: {maxQueueBytes: 16}})
    expect((await small.call(small.session(), {f: 'put', key: 'a', value: 'x'.repeat(64)}, 'n1')).outcome).toMatchObject({type: 'fail', error: 'queue-full'})
    const tiny = await client([nodeOf(n1)], {transport: {maxFrameBytes: 32}})
    expect((await tiny.call(tiny.session(), {f: 'put', key: 'a', value: 'x'.repeat(64)}, 'n1')).outcome).toMatchObject({type: 'fail', error: 'frame-too-large'})
    expect(n1.seen).toHaveLength(0)
  })

  it('PEER_MISMATCH (the address answers as another node): fail, not retried', async () => {
    const n1 = await double({id: 'n9'})
    const c = await client([{id: 'n1', host: n1.address.host, port: n1.address.port, core: 'kv'}])
    const r = await c.call(c.session(), {f: 'get', key: 'a'}, 'n1')
    expect(r.outcome).toMatchObject({type: 'fail', error: 'peer-mismatch'})
    expect(r.attempts).toBe(1)
    expect(n1.seen).toHaveLength(0)
  })

  it('CLOSED: a call on a closed client fails', async () => {
    const n1 = await double()
    const c = await client([nodeOf(n1)])
    await c.close()
    expect((await c.call(c.session(), {f: 'get', key: 'a'}, 'n1')).outcome).toMatchObject({type: 'fail', error: 'closed'})
  })

  it('REMOTE_ERROR: fail when the node refused the request before a core saw it, info otherwise', async () => {
    const refusing = await Transport.listen({id: 'n1'})
    open.push(refusing)
    refusing.onRequest((m) => {
      throw new Error(`unknown op '${(m as {op: string}).op}'`)
    })
    const failing = await Transport.listen({id: 'n2'})
    open.push(failing)
    failing.onRequest(() => {
      throw new Error('the disk is on fire')
    })
    const c = await client([nodeOf(refusing), nodeOf(failing)])
    expect((await c.call(c.session(), {f: 'put', key: 'a', value: 1}, 'n1')).outcome).toMatchObject({type: 'fail', error: 'bad-request'})
    expect((await c.call(c.session(), {f: 'put', key: 'a', value: 1}, 'n2')).outcome).toMatchObject({type: 'info', error: 'remote-error'})
  })

  it('a core name the node does not run: fail bad-request, from the node\'s answer', async () => {
    const n1 = await double()
    const c = await client([nodeOf(n1, 'shard')])
    expect((await c.call(c.session(), {f: 'put', key: 'a', value: 1}, 'n1')).outcome).toMatchObject({type: 'fail', error: 'bad-request'})
    expect(n1.core.get('a')).toBe(null)
  })

  it('an answer that is not a result for this request: info', async () => {
    const n1 = await double({answer: () => ({type: 'kv.res', req: -5, result: {type: 'ok'}})})
    const n2 = await double({id: 'n2', answer: () => 'hello'})
    const c = await client([nodeOf(n1), nodeOf(n2)])
    expect((await c.call(c.session(), {f: 'put', key: 'a', value: 1}, 'n1')).outcome).toMatchObject({type: 'info', error: 'bad-response'})
    expect((await c.call(c.session(), {f: 'put', key: 'a', value: 1}, 'n2')).outcome).toMatchObject({type: 'info', error: 'bad-response'})
  })
})

describe('redirects', () => {
  it('follows "not here, try n2" with the same client and request number', async () => {
    const n1 = await double({id: 'n1', redirectTo: 'n2'})
    const n2 = await double({id: 'n2'})
    const c = await client([nodeOf(n1), nodeOf(n2)])
    const r = await c.call(c.session(), {f: 'put', key: 'a', value: 1}, 'n1')
    expect(r).toMatchObject({outcome: {type: 'ok'}, node: 'n2', hops: 1, attempts: 2})
    expect(n1.seen).toHaveLength(1)
    expect(n2.seen).toHaveLength(1)
    expect([n2.seen[0]!.client, n2.seen[0]!.req]).toEqual([n1.seen[0]!.client, n1.seen[0]!.req])
    expect(n2.core.get('a')).toBe(1)
  })

  it('follows at most maxHops redirects, then fails (every hop certainly did nothing)', async () => {
    const n1 = await double({id: 'n1', redirectTo: 'n2'})
    const n2 = await double({id: 'n2', redirectTo: 'n1'})
    const c = await client([nodeOf(n1), nodeOf(n2)], {maxHops: 3})
    const r = await c.call(c.session(), {f: 'get', key: 'a'}, 'n1')
    expect(r.outcome).toMatchObject({type: 'fail', error: 'not-leader'})
    expect(r.outcome.type === 'fail' && r.outcome.message).toMatch(/redirected 3 times/)
    expect([r.hops, r.attempts]).toEqual([3, 4])
    expect(n1.seen.length + n2.seen.length).toBe(4)
    expect(new Set([...n1.seen, ...n2.seen].map((x) => x.req)).size).toBe(1)
  })

  it('a redirect to a node the client cannot find: fail, naming it', async () => {
    const n1 = await double({id: 'n1', redirectTo: 'n7'})
    const c = await client([nodeOf(n1)])
    const r = await c.call(c.session(), {f: 'get', key: 'a'}, 'n1')
    expect(r.outcome).toMatchObject({type: 'fail', error: 'not-leader'})
    expect(r.outcome.type === 'fail' && r.outcome.message).toMatch(/n7/)
  })
})
