/**
 * Datagrams carrying one msgpack value each (no length prefix: the datagram is the frame), with
 * the same codec and the same sender-side faults as TCP. Gossip uses it; anything larger than
 * maxDatagramBytes is refused so the caller can split, because IP fragmentation loses whole
 * datagrams when any fragment is lost.
 */
import dgram from 'node:dgram'
import {decodeBody, packr} from './codec.js'
import {FaultController} from './faults.js'
import type {LogFn, PeerAddress} from './options.js'

export interface UdpOptions {
  id: string
  host?: string
  port?: number
  maxDatagramBytes?: number
  faults?: FaultController
  /** Wraps an encoded datagram (e.g. MAC or encryption); applied after encoding, before the size check. */
  seal?: (plain: Buffer) => Buffer
  /** Unwraps a received datagram; null = reject (counted in badDatagrams). */
  open?: (sealed: Buffer) => Buffer | null
  log?: LogFn
}

export interface UdpStats {
  datagramsIn: number
  datagramsOut: number
  bytesIn: number
  bytesOut: number
  badDatagrams: number
  dropped: number
}

export class UdpEndpoint {
  readonly id: string
  readonly address: {host: string; port: number}
  readonly faults: FaultController
  readonly maxDatagramBytes: number
  private readonly counters: UdpStats = {datagramsIn: 0, datagramsOut: 0, bytesIn: 0, bytesOut: 0, badDatagrams: 0, dropped: 0}
  private handler: ((msg: unknown, from: {host: string; port: number}) => void) | null = null
  private readonly timers = new Set<NodeJS.Timeout>()
  private closed = false

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly opts: UdpOptions,
    address: {host: string; port: number},
  ) {
    this.id = opts.id
    this.address = address
    this.faults = opts.faults ?? new FaultController()
    this.maxDatagramBytes = opts.maxDatagramBytes ?? 1400
    const log = opts.log ?? (() => {})
    socket.on('message', (buf, rinfo) => this.receive(buf, rinfo))
    socket.on('error', (err) => log('warn', 'udp: socket error', {err: String(err)}))
  }

  static async bind(opts: UdpOptions): Promise<UdpEndpoint> {
    const host = opts.host ?? '127.0.0.1'
    // An IPv6 literal is the only address with a colon. Not net.isIPv6: its large regular
    // expression takes tens of ms to compile in a node process's lite mode (src/node/process-flags.ts).
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4')
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(opts.port ?? 0, host, () => {
        socket.off('error', reject)
        resolve()
      })
    })
    return new UdpEndpoint(socket, opts, {host, port: socket.address().port})
  }

  onMessage(handler: (msg: unknown, from: {host: string; port: number}) => void): void {
    this.handler = handler
  }

  /** false when the sealed datagram exceeds maxDatagramBytes (the caller splits); faults apply by `to.id`. */
  send(to: PeerAddress, msg: unknown): boolean {
    if (this.closed) return false
    let buf = packr.pack(msg)
    if (this.opts.seal) buf = this.opts.seal(buf)
    if (buf.length > this.maxDatagramBytes) return false
    const plan = this.faults.active ? this.faults.plan(to.id) : [0]
    if (plan.length === 0) this.counters.dropped++
    for (const d of plan) {
      if (d <= 0) this.emit(buf, to)
      else {
        const t = setTimeout(() => {
          this.timers.delete(t)
          if (!this.closed) this.emit(buf, to)
        }, d)
        this.timers.add(t)
      }
    }
    return true
  }

  stats(): UdpStats {
    return {...this.counters}
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve()
    this.closed = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    return new Promise((resolve) => this.socket.close(() => resolve()))
  }

  private emit(buf: Buffer, to: PeerAddress): void {
    this.counters.datagramsOut++
    this.counters.bytesOut += buf.length
    // Errors (unreachable host, closed socket) are a lost datagram, which UDP callers expect anyway.
    this.socket.send(buf, to.port, to.host, () => {})
  }

  private receive(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    this.counters.datagramsIn++
    this.counters.bytesIn += buf.length
    if (this.closed) return
    let plain: Buffer | null = buf
    let msg: unknown
    try {
      if (buf.length > this.maxDatagramBytes) throw new Error('oversized')
      if (this.opts.open) plain = this.opts.open(buf)
      if (plain === null) throw new Error('rejected by open()')
      msg = decodeBody(plain)
    } catch {
      this.counters.badDatagrams++
      return
    }
    try {
      this.handler?.(msg, {host: rinfo.address, port: rinfo.port})
    } catch (err) {
      this.opts.log?.('error', 'udp: message handler threw', {err: String(err)})
    }
  }
}
