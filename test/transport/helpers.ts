import net from 'node:net'
import {afterEach} from 'vitest'
import {Transport, UdpEndpoint, encodeFrame, type PeerAddress, type TransportOptions} from '../../src/transport/index.js'

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
  const t0 = Date.now()
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`)
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

export function helloFrame(id: string): Buffer {
  // kind 0 (hello) followed by the msgpack map {id, control}
  const f = encodeFrame({id, control: false})
  const out = Buffer.alloc(f.length + 1)
  out.writeUInt32BE(f.length - 4 + 1)
  out[4] = 0
  f.copy(out, 5, 4)
  return out
}

