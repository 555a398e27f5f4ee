import net from 'node:net'
import {afterEach} from 'vitest'
import {PROTOCOL_VERSION, Transport, UdpEndpoint, encodeFrame, type PeerAddress, type StreamBreak, type TransportOptions} from '../../src/transport/index.js'

const open: {close(): Promise<void> | void}[] = []

afterEach(async () => {
  const all = open.splice(0)
  await Promise.all(all.map((x) => x.close()))
})

export function track<T extends {close(): Promise<void> | void}>(x: T): T {
  open.push(x)
  return x
}

export async function transport(opts: Partial<TransportOptions> & {id: string}): Promise<Transport> {
  return track(await Transport.listen({requestTimeoutMs: 2000, ...opts}))
}

export async function udp(opts: Parameters<typeof UdpEndpoint.bind>[0]): Promise<UdpEndpoint> {
  return track(await UdpEndpoint.bind(opts))
}

export function addr(t: {id: string; address: {host: string; port: number}}): PeerAddress {
  return {id: t.id, host: t.address.host, port: t.address.port}
}

/** A raw TCP server for hostile/peculiar peers; sockets are destroyed on close. */
export async function rawServer(onConn: (s: net.Socket) => void): Promise<{port: number; close(): Promise<void>}> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    onConn(s)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as net.AddressInfo).port
  return track({
    port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        server.close(() => r())
      }),
  })
}

export async function until(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const t0 = performance.now()
  while (!cond()) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

/** A hello as a peer of protocol `version` sends it (version 1 had no `v`). */
export function helloFrame(id: string, version = PROTOCOL_VERSION): Buffer {
  // kind 0 (hello) followed by the msgpack map {id, control, v}
  const f = encodeFrame(version === 1 ? {id, control: false} : {id, control: false, v: version})
  const out = Buffer.alloc(f.length + 1)
  out.writeUInt32BE(f.length - 4 + 1)
  out[4] = 0
  f.copy(out, 5, 4)
  return out
}


/** Records every stream break an endpoint reports. */
export function breaks(t: Transport): {peer: string; info: StreamBreak}[] {
  const got: {peer: string; info: StreamBreak}[] = []
  t.onStreamBroken((peer, info) => got.push({peer, info}))
  return got
}

/**
 * A loopback port nobody listens on: bound and released, then checked to refuse a connection
 * (another process could take it in between; the check catches that before a test relies on it).
 */
export async function deadPort(): Promise<number> {
  for (let i = 0; i < 5; i++) {
    const s = net.createServer()
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    const port = (s.address() as net.AddressInfo).port
    await new Promise((r) => s.close(r))
    const refused = await new Promise<boolean>((resolve) => {
      const c = net.connect({port, host: '127.0.0.1'})
      c.once('connect', () => {
        c.destroy()
        resolve(false)
      })
      c.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'))
    })
    if (refused) return port
  }
  throw new Error('no free loopback port that refuses connections after 5 tries')
}

/**
 * A relay in front of `port` whose client-to-server direction starts shut: what a client writes
 * piles up in the kernel until `open()`, so the client's socket backs up and its transport keeps
 * further frames in its own queue. Server-to-client bytes (the hello, responses) flow at once.
 * `cut()` destroys every relayed connection (the client sees its connection lost).
 */
export async function gate(port: number): Promise<{port: number; open(): void; cut(): void; accepted(): number; close(): Promise<void>}> {
  let opened = false
  let accepted = 0
  const pairs = new Set<[net.Socket, net.Socket]>()
  const shut: net.Socket[] = []
  const server = net.createServer((c) => {
    accepted++
    const up = net.connect({port, host: '127.0.0.1'})
    const pair: [net.Socket, net.Socket] = [c, up]
    pairs.add(pair)
    for (const s of pair) {
      s.on('error', () => {})
      s.on('close', () => {
        pairs.delete(pair)
        c.destroy()
        up.destroy()
      })
    }
    up.pipe(c)
    if (opened) c.pipe(up)
    else {
      c.pause()
      shut.push(c)
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return track({
    port: (server.address() as net.AddressInfo).port,
    open() {
      opened = true
      for (const [c, up] of pairs) {
        if (!shut.includes(c)) continue
        c.pipe(up)
        c.resume()
      }
      shut.length = 0
    },
    cut() {
      for (const [c, up] of [...pairs]) {
        c.destroy()
        up.destroy()
      }
    },
    accepted: () => accepted,
    close: () =>
      new Promise<void>((r) => {
        for (const [c, up] of pairs) {
          c.destroy()
          up.destroy()
        }
        server.close(() => r())
      }),
  })
}

/** Whether the link to `peer` is held back by socket backpressure right now. */
export async function blocked(t: Transport, peer: PeerAddress): Promise<boolean> {
  let done = false
  void t.whenWritable(peer).then(() => (done = true))
  await Promise.resolve()
  await Promise.resolve()
  return !done
}

/** Sends 64 KiB one-way fillers until the link backs up; returns how many were sent. */
export async function fillUntilBlocked(t: Transport, peer: PeerAddress): Promise<number> {
  const pad = Buffer.alloc(64 * 1024)
  for (let i = 0; i < 4000; i++) {
    t.send(peer, {fill: i, pad})
    if (i % 4 === 3) {
      await new Promise((r) => setImmediate(r))
      if (await blocked(t, peer)) return i + 1
    }
  }
  throw new Error('the link never backed up')
}
