import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import type {Envelope} from '../../src/core/index.js'
import {nodeIo, type StorageIo} from '../../src/storage/index.js'
import {MemoryTrace} from '../../src/trace/index.js'
import {Transport, TransportError} from '../../src/transport/index.js'
import {EventLog} from '../../src/events/index.js'
import {NodeHost} from '../../src/node/host/index.js'
import {tempDir, waitFor} from '../helpers/cli.js'
import {core, out, startClient, startHost, type TestNode} from './helpers.js'

/**
 * The node host on real sockets, timers and files (src/node/host): the Ready rule as src/core
 * states it, timers per core, routing between cores, and client requests as
 * docs/architecture.md (Client requests) states them.
 */
const nodes: TestNode[] = []
const clients: Transport[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close()
  for (const n of nodes.splice(0)) await n.stop()
})

type Req = {type: 'req'; req: number; write: boolean}
type Res = {type: 'res'; req: number}

/** Writes persist one record and reply; reads reply at once. */
const store = core<Req | Res>({
  receive(from, msg) {
    const o = out<Req | Res>()
    const m = msg as Req
    if (m.write) o.persist!.push({type: 'append', data: new TextEncoder().encode(String(m.req))})
    o.send.push({to: from, msg: {type: 'res', req: m.req}, channel: 'stream'})
    return o
  },
})

/** A disk whose fdatasync waits until the test lets it go. */
function gatedIo() {
  const waiting: Array<() => void> = []
  let syncs = 0
  const io: StorageIo = {
    ...nodeIo,
    fdatasync: async (fd) => {
      syncs++
      await new Promise<void>((r) => waiting.push(r))
      return nodeIo.fdatasync(fd)
    },
  }
  return {io, syncs: () => syncs, release: () => waiting.splice(0).forEach((r) => r())}
}

async function keep<T extends TestNode | Transport>(x: Promise<T>): Promise<T> {
  const v = await x
  if ('host' in v) nodes.push(v)
  else clients.push(v)
  return v
}

describe('the Ready rule on a real node', () => {
  it('a reply leaves only once its record is fdatasynced, and a read answered after the write waits behind it', async () => {
    const disk = gatedIo()
    const n = await keep(startHost('s1', {cores: {store: {factory: store, durable: true}}}, {storage: {io: disk.io}}))
    const c = await keep(startClient())
    const answers: number[] = []
    const ask = (req: number, write: boolean) =>
      c.request<Res>(n.address, {op: 'client', core: 'store', msg: {type: 'req', req, write}}, {timeoutMs: 30_000}).then((r) => {
        answers.push(r.req)
        return r
      })
    const write = ask(1, true)
    await waitFor(() => disk.syncs() === 1, 10_000, 'the write to reach fdatasync')
    const read = ask(2, false)
    await waitFor(() => n.host.counters.messagesIn === 2, 10_000, 'the read to reach the core')
    // Both outputs are held by the host (the read's too: it persisted nothing, but comes after).
    expect(n.host.tableSizes()).toMatchObject({held: 2, clients: 2})
    expect(answers).toEqual([])
    disk.release()
    expect(await write).toEqual({type: 'res', req: 1})
    expect(await read).toEqual({type: 'res', req: 2})
    expect(answers).toEqual([1, 2])
    expect(n.host.tableSizes()).toMatchObject({held: 0, clients: 0})
  })

  it('a restarted node hands the core exactly the records it acknowledged', async () => {
    const n = await keep(startHost('s2', {cores: {store: {factory: store, durable: true}}}))
    const c = await keep(startClient())
    for (let i = 1; i <= 5; i++) await c.request(n.address, {op: 'client', core: 'store', msg: {type: 'req', req: i, write: true}})
    await n.stop()
    let recovered: string[] = []
    let restarts = -1
    const again = await keep(
      startHost(
        's2',
        {
          cores: {
            store: {
              factory: (ctx) => {
                restarts = ctx.restarts
                return core({start: (_now, r) => ((recovered = r!.records.map((b) => new TextDecoder().decode(b))), out())})(ctx)
              },
              durable: true,
            },
          },
        },
        {dataDir: n.dir},
      ),
    )
    expect(again.host.identity?.restarts).toBe(1)
    expect(restarts).toBe(1)
    expect(recovered).toEqual(['1', '2', '3', '4', '5'])
  })
})

describe('timers, routes and commands', () => {
  it('fires each timer at or after its instant, per core; a replaced timer fires once at its new time, a cancelled one never', async () => {
    const fired: Array<{core: string; key: string; late: number}> = []
    const timed = (name: string) =>
      core({
        start(now) {
          const o = out()
          // The second `a` replaces the first; `c` is cancelled when `b` fires, before its time.
          o.timers.push({key: 'a', at: now + 60}, {key: 'b', at: now + 20}, {key: 'c', at: now + 40}, {key: 'a', at: now + 10}, {key: 'end', at: now + 120})
          at[name] = {a: now + 10, b: now + 20, c: now + 40, end: now + 120}
          return o
        },
        tick(key, now) {
          fired.push({core: name, key, late: now - at[name]![key]!})
          const o = out()
          if (key === 'b') o.cancel.push('c')
          return o
        },
      })
    const at: Record<string, Record<string, number>> = {}
    await keep(startHost('t1', {cores: {one: {factory: timed('one')}, two: {factory: timed('two'), clock: 'wall'}}}))
    await waitFor(() => fired.filter((f) => f.key === 'end').length === 2, 10_000, 'both cores to reach their last timer')
    expect(fired).toHaveLength(6)
    for (const name of ['one', 'two']) expect(fired.filter((f) => f.core === name).map((f) => f.key)).toEqual(['a', 'b', 'end'])
    for (const f of fired) expect(f.late).toBeGreaterThanOrEqual(0)
  })

  it("routes a core's events to another core as commands, after the event's records are durable", async () => {
    const disk = gatedIo()
    const got: unknown[] = []
    let durableWhenRouted = -1
    const n = await keep(
      startHost(
        'r1',
        {
          cores: {
            source: {
              factory: core({
                command(cmd) {
                  const o = out()
                  o.persist!.push({type: 'append', data: new Uint8Array([1])})
                  o.events.push({type: 'did', cmd})
                  return o
                },
              }),
              durable: true,
            },
            sink: {
              factory: core({
                command(cmd) {
                  got.push(cmd)
                  durableWhenRouted = disk.syncs()
                  return out()
                },
              }),
            },
          },
          route: (from, e) => (from === 'source' ? [{core: 'sink', cmd: e}] : undefined),
        },
        {storage: {io: disk.io}},
      ),
    )
    expect(n.host.command('source', 'x')).toBe(true)
    await waitFor(() => disk.syncs() === 1, 10_000, 'the event to wait for its sync')
    expect(got).toEqual([])
    disk.release()
    await waitFor(() => got.length === 1, 10_000, 'the routed command')
    expect(got).toEqual([{type: 'did', cmd: 'x'}])
    expect(durableWhenRouted).toBe(1)
  })
})

describe('client requests', () => {
  const silent = core({receive: () => out()})

  it('answers a request for a core the node does not run with fail: bad-request, or REMOTE_ERROR when it has no req', async () => {
    const n = await keep(startHost('c1', {cores: {kv: {factory: silent}}}))
    const c = await keep(startClient())
    expect(await c.request(n.address, {op: 'client', core: 'nope', msg: {type: 'kv.req', req: 7}})).toMatchObject({type: 'kv.res', req: 7, result: {type: 'fail', error: 'bad-request'}})
    const err = await c.request(n.address, {op: 'client', core: 'nope', msg: {}}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(TransportError)
    expect((err as TransportError).code).toBe('REMOTE_ERROR')
    expect((err as TransportError).message).toMatch(/bad-request.*reached no core/)
  })

  it('refuses with fail: full beyond the per-client bound, without handing the request to the core', async () => {
    let seen = 0
    const n = await keep(startHost('c2', {cores: {kv: {factory: core({receive: () => (seen++, out())})}}}, {clients: {maxPerClient: 2}}))
    const c = await keep(startClient())
    const pending = [1, 2].map((req) => c.request(n.address, {op: 'client', core: 'kv', msg: {req}}, {timeoutMs: 30_000}).catch(() => undefined))
    await waitFor(() => seen === 2, 10_000, 'two requests to reach the core')
    expect(await c.request(n.address, {op: 'client', core: 'kv', msg: {req: 3}})).toMatchObject({req: 3, result: {type: 'fail', error: 'full'}})
    expect(seen).toBe(2)
    expect(n.host.rejects.counts.full).toBe(1)
    await n.stop()
    await Promise.all(pending)
  })
})

describe('message ids and Lamport clocks', () => {
  it('every delivery carries the id of a send, from that sender, with a higher Lamport clock', async () => {
    const traces = [new MemoryTrace(), new MemoryTrace()]
    const pinger = (peer: string) =>
      core<{n: number}>({
        command(cmd) {
          const o = out<{n: number}>()
          o.send.push({to: peer, msg: {n: cmd as number}, channel: 'stream'} as Envelope<{n: number}>)
          o.send.push({to: peer, msg: {n: cmd as number}, channel: 'datagram'} as Envelope<{n: number}>)
          return o
        },
        receive(from, msg) {
          const o = out<{n: number}>()
          if (msg.n > 0) o.send.push({to: from, msg: {n: msg.n - 1}, channel: msg.n % 2 ? 'stream' : 'datagram'})
          return o
        },
      })
    const a = await keep(startHost('a', {cores: {p: {factory: pinger('b')}}}, {datagrams: true, trace: traces[0]}))
    const b = await keep(startHost('b', {cores: {p: {factory: pinger('a')}}}, {datagrams: true, trace: traces[1], seedPeers: [a.address]}))
    // a learns where b is from b's first datagram; b knows a as a seed.
    b.host.command('p', 6)
    await waitFor(() => a.host.counters.messagesIn + b.host.counters.messagesIn === 14, 10_000, 'the exchange to finish')
    const all = [...traces[0]!.records, ...traces[1]!.records]
    const sends = new Map(all.filter((r) => r.k === 'send').map((r) => [(r as {id: string}).id, r as {id: string; node: string; to: string; lc: number}]))
    const delivers = all.filter((r) => r.k === 'deliver') as Array<{id: string; from: string; node: string; lc: number}>
    expect(delivers).toHaveLength(14)
    for (const d of delivers) {
      const s = sends.get(d.id)
      expect(s, d.id).toBeDefined()
      expect(s!.node).toBe(d.from)
      expect(s!.to).toBe(d.node)
      expect(d.lc).toBeGreaterThan(s!.lc)
    }
    expect(new Set(delivers.map((d) => d.id)).size).toBe(14)
  })
})

describe('nothing reaches a core before it has started (issue 13 §6)', () => {
  it('a peer stream message and a client request that arrive between bind and start reach no core; the client is told; after start the core hears the next one', async () => {
    const received: unknown[] = []
    const dir = tempDir('host-early')
    const transport = await Transport.listen({id: 'early', port: 0})
    const events = new EventLog(join(dir, 'events.jsonl'), 'early')
    const host = new NodeHost(
      {id: 'early', dataDir: dir, transport, events, seedPeers: [], seed: 1},
      {cores: {store: {factory: core({receive: (_from, msg) => (received.push(msg), out())})}}},
    )
    transport.onRequest((m, ctx) => host.clientRequest(ctx.from, m))
    try {
      await host.bind()
      const addr = {id: 'early', host: '127.0.0.1', port: transport.address.port}
      const client = await keep(startClient())
      const reply = await client.request(addr, {op: 'client', core: 'store', msg: {type: 'kv.req', client: client.id, req: 1, op: {f: 'get', key: 'a'}}})
      expect(reply).toMatchObject({type: 'kv.res', req: 1, result: {type: 'fail', error: 'bad-request'}})
      const sender = core({command: (cmd) => {
        const o = out()
        o.send.push({to: 'early', msg: cmd, channel: 'stream'})
        return o
      }})
      const peer = await keep(startHost('peer', {cores: {store: {factory: sender}}}, {seedPeers: [addr]}))
      const before = transport.stats().framesIn
      expect(peer.host.command('store', {n: 1})).toBe(true)
      await waitFor(() => transport.stats().framesIn > before)
      expect(received).toEqual([])
      await host.start()
      expect(peer.host.command('store', {n: 2})).toBe(true)
      await waitFor(() => received.length > 0)
      expect(received).toEqual([{n: 2}])
    } finally {
      await host.stop()
      await transport.close()
      events.close()
    }
  })
})
