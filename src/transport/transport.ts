/**
 * Framed msgpack over TCP: one-way messages and request/response, per-peer connection reuse,
 * reconnect with backoff, bounded queues and state, sender-side faults with stream semantics.
 * The pieces: frames.ts (envelope, hello), codec.ts (msgpack, frame splitting), write-queue.ts,
 * deadlines.ts (pending requests, one timer), conn.ts (one link), links.ts (lifecycle),
 * incoming.ts (what arrives). docs/transport.md is the user's description.
 *
 * A request that fails is told whether its frame certainly never reached the peer
 * (`never-sent`: it was taken out of every queue before the caller heard) or may have
 * (`unknown`: it was written and no answer came). A frame written to a socket cannot be taken
 * back, so only frames still queued can be `never-sent`.
 */
import net from 'node:net'
import {monotonicNow, Deadlines, Pending} from './deadlines.js'
import {TransportError} from './errors.js'
import {FaultController} from './faults.js'
import {K_MSG, K_REQ, helloFrame, makeFrame} from './frames.js'
import {handleFrame} from './incoming.js'
import {LinkTable, type LinkHost} from './links.js'
import type {Conn} from './conn.js'
import {
  DEFAULTS,
  type IncomingContext,
  type LogFn,
  type PeerAddress,
  type StreamBreak,
  type StreamBreakReason,
  type TransportOptions,
  type TransportStats,
} from './options.js'

const MAX_CORR_ID = 0xffffffff

export type MessageHandler = (msg: unknown, ctx: IncomingContext) => void
export type RequestHandler = (msg: unknown, ctx: IncomingContext) => unknown | Promise<unknown>
export type StreamBrokenHandler = (peer: string, info: StreamBreak) => void

export class Transport implements LinkHost {
  readonly id: string
  readonly address: {host: string; port: number}
  readonly faults: FaultController
  readonly control: boolean
  readonly maxFrameBytes: number
  readonly maxQueueBytes: number
  readonly requestTimeoutMs: number
  readonly connectTimeoutMs: number
  readonly backoff: {initialMs: number; maxMs: number}
  readonly idleTimeoutMs: number
  readonly unreachableTimeoutMs: number
  readonly closeGraceMs: number = DEFAULTS.closeGraceMs
  /** @internal One timer for every request timeout of this endpoint. */
  readonly deadlines = new Deadlines((p) => p.link.expire(p))
  /** @internal */
  readonly counters: TransportStats = {framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, badFrames: 0, dropped: 0, lost: 0, streamBreaks: 0, refused: 0, connections: 0}
  /** @internal */ readonly log: LogFn
  /** @internal */ readonly helloFrame: Buffer
  /** @internal */ readonly links: LinkTable
  /** @internal */ msgHandler: MessageHandler | null = null
  /** @internal */ reqHandler: RequestHandler | null = null
  private breakHandler: StreamBrokenHandler | null = null
  private server: net.Server | null
  private nextCorr = 1
  private closed = false
  private closing: Promise<void> | null = null
  private readonly unsubscribeFaults: () => void

  private constructor(opts: TransportOptions, server: net.Server | null, address: {host: string; port: number}) {
    this.id = opts.id
    this.control = !!opts.control
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULTS.maxFrameBytes
    this.maxQueueBytes = opts.maxQueueBytes ?? DEFAULTS.maxQueueBytes
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs
    this.connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs
    this.backoff = opts.backoff ?? DEFAULTS.backoff
    this.idleTimeoutMs = opts.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs
    this.unreachableTimeoutMs = opts.unreachableTimeoutMs ?? DEFAULTS.unreachableTimeoutMs
    this.faults = new FaultController(opts.faultSeed)
    this.log = opts.log ?? (() => {})
    this.server = server
    this.address = address
    this.helloFrame = helloFrame(this.id, this.control)
    this.links = new LinkTable(this)
    this.unsubscribeFaults = this.faults.onChange(() => this.links.recheck())
    if (server) server.on('connection', (s) => this.links.accept(s))
  }

  /** Binds (unless listen: false) and resolves once the port is known. */
  static async listen(opts: TransportOptions): Promise<Transport> {
    const host = opts.host ?? '127.0.0.1'
    if (opts.listen === false) return new Transport(opts, null, {host, port: 0})
    const server = net.createServer({noDelay: true})
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen({host, port: opts.port ?? 0}, () => {
        server.off('error', reject)
        resolve()
      })
    })
    const a = server.address() as net.AddressInfo
    const t = new Transport(opts, server, {host, port: a.port})
    server.on('error', (err) => t.log('error', 'transport: server error', {err: String(err)}))
    return t
  }

  onMessage(handler: MessageHandler): void {
    this.msgHandler = handler
  }

  /** A throw or rejection in the handler reaches the caller as REMOTE_ERROR (outcome `answered`) with its message. */
  onRequest(handler: RequestHandler): void {
    this.reqHandler = handler
  }

  /**
   * Called when a stream to or from a peer breaks: an established connection closed under us
   * (not by our close(), and not an orderly bye from an idle or closing peer), a fault broke it,
   * a cut stalled it for `unreachableTimeoutMs`, or queued messages were dropped because the peer
   * stayed unreachable that long. Messages sent on it and not yet delivered may be lost.
   */
  onStreamBroken(handler: StreamBrokenHandler): void {
    this.breakHandler = handler
  }

  /**
   * One-way, fire and forget, FIFO with every other frame to the same peer. Throws a
   * TransportError (always `never-sent`): QUEUE_FULL, FRAME_TOO_LARGE, CLOSED.
   */
  send(peer: PeerAddress, msg: unknown): void {
    if (this.closed) throw new TransportError('CLOSED', 'transport is closed', peer.id, 'never-sent')
    const frame = makeFrame(K_MSG, -1, msg)
    if (frame.length - 4 > this.maxFrameBytes) throw this.tooLarge(frame, peer.id)
    const conn = this.links.forPeer(peer)
    if (!conn.room(frame.length)) throw this.queueFull(conn, frame.length)
    const d = conn.faulted ? conn.verdict() : 0
    if (d < 0) {
      this.counters.dropped++
      this.links.breakStream(conn, 'fault', 1)
      return
    }
    conn.queueMsg(frame, d)
  }

  /** Rejects with a TransportError whose `outcome` says whether the peer may have executed it. */
  request<T = unknown>(peer: PeerAddress, msg: unknown, opts?: {timeoutMs?: number}): Promise<T> {
    if (this.closed) return Promise.reject(new TransportError('CLOSED', 'transport is closed', peer.id, 'never-sent'))
    const id = this.nextCorr
    this.nextCorr = id >= MAX_CORR_ID ? 1 : id + 1
    let frame: Buffer
    try {
      frame = makeFrame(K_REQ, id, msg)
    } catch (err) {
      return Promise.reject(err)
    }
    if (frame.length - 4 > this.maxFrameBytes) return Promise.reject(this.tooLarge(frame, peer.id))
    const conn = this.links.forPeer(peer)
    if (!conn.room(frame.length)) return Promise.reject(this.queueFull(conn, frame.length))
    const d = conn.faulted ? conn.verdict() : 0
    if (d < 0) {
      this.counters.dropped++
      this.links.breakStream(conn, 'fault')
      return Promise.reject(new TransportError('CONNECTION_LOST', `stream to ${peer.id} broken by an injected fault; the request was never sent`, peer.id, 'never-sent'))
    }
    const timeoutMs = opts?.timeoutMs ?? this.requestTimeoutMs
    const pending = new Pending(conn, id, peer.id, monotonicNow() + timeoutMs, timeoutMs)
    const p = new Promise<T>((resolve, reject) => {
      pending.resolve = resolve
      pending.reject = reject
    })
    conn.pending.set(id, pending)
    this.deadlines.add(pending)
    conn.queueRequest(frame, pending, d)
    return p
  }

  /**
   * The stream `break` fault: closes every established connection to or from `peer` at once, as
   * a crash or reset would. Both sides report the break; returns how many connections broke.
   */
  breakStreams(peer: string): number {
    return this.links.breakPeer(peer)
  }

  stats(): TransportStats {
    return {...this.counters}
  }

  /** Bytes queued toward `peer` (ours plus the socket's): lets a bulk sender pace itself instead of catching QUEUE_FULL. */
  queuedBytes(peer: PeerAddress): number {
    const c = this.links.find(peer)
    return c ? c.queue.bytes + (c.socket ? c.socket.writableLength : 0) : 0
  }

  /** Resolves once the link to `peer` is not held back by socket backpressure (at once when it is not). */
  whenWritable(peer: PeerAddress): Promise<void> {
    const c = this.links.find(peer)
    if (!c || !c.blocked || !c.socket) return Promise.resolve()
    const s = c.socket
    return new Promise((resolve) => {
      const done = (): void => {
        s.off('drain', done)
        s.off('close', done)
        setImmediate(resolve)
      }
      s.on('drain', done)
      s.on('close', done)
    })
  }

  /**
   * Graceful: pending requests reject CLOSED (`never-sent` when still queued, taken out of the
   * queue; `unknown` when written), queued one-way frames are flushed, dialled links say bye, and
   * sockets and the server close.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing
    this.closed = true
    this.closing = this.doClose()
    return this.closing
  }

  private async doClose(): Promise<void> {
    this.unsubscribeFaults()
    const server = this.server
    const serverClosed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve()
    for (const c of this.links.all()) c.failPending('CLOSED', 'transport closed')
    this.deadlines.clear()
    await this.links.closeAll()
    await serverClosed
  }

  /** @internal */
  isClosed(): boolean {
    return this.closed
  }

  /** @internal */
  onFrame(c: Conn, buf: Buffer, start: number, end: number): void {
    handleFrame(this, c, buf, start, end)
  }

  /** @internal */
  breakStream(c: Conn, reason: StreamBreakReason): void {
    this.links.breakStream(c, reason)
  }

  /** @internal */
  reportBreak(peer: string, info: StreamBreak): void {
    this.counters.streamBreaks++
    this.log('debug', 'transport: stream broken', {peer, ...info})
    const h = this.breakHandler
    if (h === null) return
    try {
      h(peer, info)
    } catch (err) {
      this.log('error', 'transport: stream-broken handler threw', {peer, err: String(err)})
    }
  }

  private queueFull(conn: Conn, n: number): TransportError {
    const have = conn.queue.bytes + (conn.socket?.writableLength ?? 0)
    return new TransportError('QUEUE_FULL', `queue to ${conn.peerId} is full (${have} + ${n} > ${this.maxQueueBytes} bytes)`, conn.peerId, 'never-sent')
  }

  private tooLarge(frame: Buffer, peer: string): TransportError {
    return new TransportError('FRAME_TOO_LARGE', `frame of ${frame.length - 4} bytes exceeds the ${this.maxFrameBytes}-byte limit`, peer, 'never-sent')
  }
}
