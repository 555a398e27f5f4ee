/**
 * Framed msgpack over TCP with request/response correlation, per-peer connection reuse, reconnect
 * with backoff, bounded queues and sender-side fault injection.
 *
 * Frame body layout (a valid msgpack *sequence*, so any msgpack library can read it):
 *   kind (positive fixint) [, 0xce + uint32 correlation id] , msgpack value
 * kinds: 0 hello {id, control} · 1 one-way · 2 request · 3 response · 4 error response (message string)
 *        · 5 batch of one-way messages (the values follow one another, no per-message prefix).
 * Small one-way messages queued toward a peer before the next (process.nextTick) flush share one batch frame:
 * the receiver then decodes them with one unpackMultiple call instead of one unpack per message,
 * which is where a msgpack transport spends its time.
 * The header is written by hand into space msgpackr reserves in front of the body, so the
 * envelope costs neither an extra msgpack array nor a copy.
 *
 * Connections: every endpoint dials its own outbound connection per peer (keyed by host:port) for
 * the traffic it originates; an accepted connection is used only to answer the requests that
 * arrive on it. So a pair of nodes talking both ways holds two sockets, and each side's faults and
 * backpressure apply to the direction it sends.
 */
import net from 'node:net'
import {
  DEFAULT_MAX_FRAME_BYTES,
  FrameReader,
  decodeRange,
  decodeSequence,
  packWithHeader,
  readU32,
  writeU32,
} from './codec.js'
import {FrameError, TransportError, type TransportErrorCode} from './errors.js'
import {FaultController} from './faults.js'

export interface PeerAddress {
  id: string
  host: string
  port: number
}

export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void

export interface TransportOptions {
  id: string
  host?: string
  port?: number
  listen?: boolean
  control?: boolean
  maxFrameBytes?: number
  maxQueueBytes?: number
  requestTimeoutMs?: number
  connectTimeoutMs?: number
  backoff?: {initialMs: number; maxMs: number}
  faultSeed?: number
  log?: LogFn
}

export interface IncomingContext {
  from: string
  control: boolean
  remote: string
}

export interface TransportStats {
  framesIn: number
  framesOut: number
  bytesIn: number
  bytesOut: number
  badFrames: number
  dropped: number
  connections: number
}

const K_HELLO = 0
const K_MSG = 1
const K_REQ = 2
const K_RES = 3
const K_ERR = 4
const K_BATCH = 5
// A batch closes at this size so it stays far below any receiver's maxFrameBytes.
const BATCH_MAX = 60 * 1024

const SLAB_BYTES = 64 * 1024
// Frames above this are queued as their own buffer instead of being copied into the slab.
const BIG_FRAME = 16 * 1024
const DEFAULT_MAX_QUEUE_BYTES = 64 * 1024 * 1024
const CLOSE_GRACE_MS = 2000
const MAX_CORR_ID = 0xffffffff

/**
 * One request awaiting its response. It is also a node of the intrusive list of requests sharing
 * its timeout (see Deadlines), so a request costs no timer and no closure of its own, and answering
 * it unlinks it in O(1). Links and callbacks are cleared when it settles, so a settled request that
 * has already reached the old generation does not keep younger ones alive.
 */
class Pending {
  resolve: ((v: any) => void) | null = null
  reject: ((e: Error) => void) | null = null
  prev: Pending | null = null
  next: Pending | null = null
  list: DeadlineList | null = null

  constructor(
    readonly conn: Conn,
    readonly id: number,
    readonly peer: string,
    readonly deadline: number,
    readonly timeoutMs: number,
  ) {}

  settle(err: Error | null, value?: unknown): void {
    const resolve = this.resolve
    const reject = this.reject
    this.resolve = this.reject = null
    if (err) reject?.(err)
    else resolve?.(value)
  }
}

/** Requests with the same timeout, oldest first: their deadlines are in insertion order. */
interface DeadlineList {
  ms: number
  head: Pending | null
  tail: Pending | null
}

/**
 * Request timeouts for one endpoint with a single timer. Requests are kept in one FIFO list per
 * distinct timeout value (so each list is sorted by deadline and a response unlinks its request in
 * O(1)); the timer is armed for the earliest list head. A response does not touch the timer: when
 * it fires early because its request was answered, it re-arms for the new earliest head. With
 * nothing pending the timer is unref'd so it never holds the process open.
 */
class Deadlines {
  private readonly lists = new Map<number, DeadlineList>()
  private timer: NodeJS.Timeout | null = null
  private timerAt = 0
  private count = 0
  private readonly sweepBound = (): void => this.sweep()

  constructor(private readonly onExpire: (p: Pending) => void) {}

  add(p: Pending): void {
    let l = this.lists.get(p.timeoutMs)
    if (l === undefined) {
      l = {ms: p.timeoutMs, head: null, tail: null}
      this.lists.set(p.timeoutMs, l)
    }
    p.list = l
    p.prev = l.tail
    if (l.tail) l.tail.next = p
    else l.head = p
    l.tail = p
    if (this.count++ === 0 && this.timer) this.timer.ref()
    if (this.timer === null || p.deadline < this.timerAt) this.arm(p.deadline)
  }

  remove(p: Pending): void {
    const l = p.list
    if (l === null) return
    if (p.prev) p.prev.next = p.next
    else l.head = p.next
    if (p.next) p.next.prev = p.prev
    else l.tail = p.prev
    p.prev = p.next = null
    p.list = null
    if (--this.count === 0 && this.timer) this.timer.unref()
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(this.sweepBound, Math.max(1, at - Date.now()))
    if (this.count === 0) this.timer.unref()
  }

  private sweep(): void {
    this.timer = null
    const now = Date.now()
    let next = Infinity
    for (const l of this.lists.values()) {
      let p = l.head
      while (p !== null && p.deadline <= now) {
        this.remove(p)
        this.onExpire(p)
        p = l.head
      }
      if (p === null) this.lists.delete(l.ms)
      else if (p.deadline < next) next = p.deadline
    }
    if (next !== Infinity && this.timer === null) this.arm(next)
  }
}

type ConnState = 'idle' | 'connecting' | 'open' | 'down' | 'closed'

class Conn {
  socket: net.Socket | null = null
  state: ConnState
  ctx: IncomingContext | null = null
  remoteControl = false
  reader: FrameReader
  // Write side: frames queue in a slab (small ones, copied) and `out` (sealed slab regions and big
  // frames, in order). Slab bytes already handed to the socket are never overwritten.
  slab: Buffer = Buffer.allocUnsafeSlow(SLAB_BYTES)
  slabStart = 0
  slabEnd = 0
  /** Slab offset of the batch frame being filled, or -1. */
  batchAt = -1
  out: Buffer[] = []
  queued = 0
  /** Whether any one-way message is among the queued bytes (requests alone can be discarded on a failed dial). */
  queuedOneWay = false
  blocked = false
  flushScheduled = false
  pending = new Map<number, Pending>()
  attempts = 0
  retryTimer: NodeJS.Timeout | null = null
  helloTimer: NodeJS.Timeout | null = null
  closeWaiters: (() => void)[] = []

  constructor(
    readonly t: Transport,
    readonly outbound: boolean,
    readonly key: string,
    /** For outbound: the id we address (faults key); for inbound: filled from the hello. */
    public peerId: string,
    readonly host: string,
    readonly port: number,
  ) {
    this.state = outbound ? 'idle' : 'open'
    this.reader = this.newReader()
  }

  newReader(): FrameReader {
    return new FrameReader(this.t.maxFrameBytes, (buf, start, end) => this.t.onFrame(this, buf, start, end))
  }

  room(n: number): boolean {
    return this.queued + (this.socket ? this.socket.writableLength : 0) + n <= this.t.maxQueueBytes
  }

  /** Queues a one-way frame built by makeFrame(K_MSG): small ones join the open batch. */
  enqueueMsg(frame: Buffer): void {
    this.queuedOneWay = true
    const n = frame.length
    if (n > BIG_FRAME) {
      this.enqueue(frame)
      return
    }
    const body = n - 5
    let added = body
    if (this.batchAt < 0 || this.slabEnd + body > this.slab.length || this.slabEnd - this.batchAt + body > BATCH_MAX) {
      this.finishBatch()
      if (this.slabEnd + n > this.slab.length) {
        this.seal()
        this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
        this.slabStart = this.slabEnd = 0
      }
      this.batchAt = this.slabEnd
      this.slab[this.slabEnd + 4] = K_BATCH
      this.slabEnd += 5
      added = n
    }
    this.slab.set(frame.subarray(5), this.slabEnd)
    this.slabEnd += body
    this.queued += added
    this.t.counters.framesOut++
    this.scheduleFlush()
  }

  finishBatch(): void {
    if (this.batchAt >= 0) {
      writeU32(this.slab, this.batchAt, this.slabEnd - this.batchAt - 4)
      this.batchAt = -1
    }
  }

  enqueue(frame: Buffer): void {
    this.finishBatch()
    const n = frame.length
    if (n > BIG_FRAME) {
      this.seal()
      this.out.push(frame)
    } else {
      if (this.slabEnd + n > this.slab.length) {
        this.seal()
        this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
        this.slabStart = this.slabEnd = 0
      }
      this.slab.set(frame, this.slabEnd)
      this.slabEnd += n
    }
    this.queued += n
    this.t.counters.framesOut++
    this.scheduleFlush()
  }

  /** Everything queued in this turn of the event loop goes out in one write, at its end. */
  private scheduleFlush(): void {
    if (!this.flushScheduled && this.state === 'open' && !this.blocked) {
      this.flushScheduled = true
      process.nextTick(this.flushBound)
    }
  }

  seal(): void {
    this.finishBatch()
    if (this.slabEnd > this.slabStart) {
      this.out.push(this.slab.subarray(this.slabStart, this.slabEnd))
      this.slabStart = this.slabEnd
    }
  }

  readonly flushBound = (): void => this.flush()

  flush(): void {
    this.flushScheduled = false
    const s = this.socket
    if (this.state !== 'open' || this.blocked || !s) return
    this.seal()
    const out = this.out
    if (out.length === 0) return
    this.out = []
    let ok = true
    if (out.length === 1) ok = s.write(out[0]!)
    else {
      s.cork()
      for (const b of out) ok = s.write(b)
      s.uncork()
    }
    this.t.counters.bytesOut += this.queued
    this.queued = 0
    this.queuedOneWay = false
    if (!ok) {
      this.blocked = true
      s.once('drain', () => {
        this.blocked = false
        this.flush()
      })
    }
  }

  /** Drops whatever was queued but not yet handed to a socket. */
  discardQueue(): void {
    this.batchAt = -1
    this.out = []
    this.slabStart = this.slabEnd
    this.queued = 0
    this.queuedOneWay = false
  }

  rejectAll(code: TransportErrorCode, why: string): void {
    if (this.pending.size === 0) return
    const p = [...this.pending.values()]
    this.pending.clear()
    for (const r of p) {
      this.t.deadlines.remove(r)
      r.settle(new TransportError(code, why, this.peerId))
    }
  }
}

export class Transport {
  readonly id: string
  readonly address: {host: string; port: number}
  readonly faults: FaultController
  readonly control: boolean
  readonly maxFrameBytes: number
  readonly maxQueueBytes: number
  readonly requestTimeoutMs: number
  readonly connectTimeoutMs: number
  readonly backoff: {initialMs: number; maxMs: number}
  /** @internal One timer for every request timeout of this endpoint. */
  readonly deadlines = new Deadlines((p) => {
    if (p.conn.pending.delete(p.id)) p.settle(new TransportError('TIMEOUT', `request to ${p.peer} timed out after ${p.timeoutMs} ms`, p.peer))
  })
  /** @internal */
  readonly counters: TransportStats = {framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, badFrames: 0, dropped: 0, connections: 0}
  private readonly log: LogFn
  private server: net.Server | null = null
  // Outbound links by port, then host: looking a peer up must not build a key string per send.
  private readonly outbound = new Map<number, Conn[]>()
  private readonly inbound = new Set<Conn>()
  private readonly delayTimers = new Set<NodeJS.Timeout>()
  private msgHandler: ((msg: unknown, ctx: IncomingContext) => void) | null = null
  private reqHandler: ((msg: unknown, ctx: IncomingContext) => unknown) | null = null
  private nextCorr = 1
  private closed = false
  private closing: Promise<void> | null = null
  private readonly helloFrame: Buffer

  private constructor(opts: TransportOptions, server: net.Server | null, address: {host: string; port: number}) {
    this.id = opts.id
    this.control = !!opts.control
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
    this.maxQueueBytes = opts.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 5000
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 2000
    this.backoff = opts.backoff ?? {initialMs: 50, maxMs: 5000}
    this.faults = new FaultController(opts.faultSeed)
    this.log = opts.log ?? (() => {})
    this.server = server
    this.address = address
    this.helloFrame = Buffer.from(makeFrame(K_HELLO, -1, {id: this.id, control: this.control}))
    if (server) server.on('connection', (s) => this.accept(s))
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

  onMessage(handler: (msg: unknown, ctx: IncomingContext) => void): void {
    this.msgHandler = handler
  }

  /** A throw or rejection in the handler reaches the caller as REMOTE_ERROR with its message. */
  onRequest(handler: (msg: unknown, ctx: IncomingContext) => unknown | Promise<unknown>): void {
    this.reqHandler = handler
  }

  /** One-way, fire and forget. Throws QUEUE_FULL when the peer's bounded queue is full, CLOSED after close(). */
  send(peer: PeerAddress, msg: unknown): void {
    if (this.closed) throw new TransportError('CLOSED', 'transport is closed', peer.id)
    const frame = makeFrame(K_MSG, -1, msg)
    if (frame.length - 4 > this.maxFrameBytes) this.checkFrameSize(frame)
    const conn = this.connFor(peer)
    if (!conn.room(frame.length)) throw this.queueFull(conn, frame.length)
    this.dispatch(conn, peer.id, conn.remoteControl, frame)
  }

  request<T = unknown>(peer: PeerAddress, msg: unknown, opts?: {timeoutMs?: number}): Promise<T> {
    if (this.closed) return Promise.reject(new TransportError('CLOSED', 'transport is closed', peer.id))
    const id = this.nextCorr
    this.nextCorr = id >= MAX_CORR_ID ? 1 : id + 1
    let frame: Buffer
    try {
      frame = makeFrame(K_REQ, id, msg)
      this.checkFrameSize(frame)
    } catch (err) {
      return Promise.reject(err)
    }
    const conn = this.connFor(peer)
    if (!conn.room(frame.length)) return Promise.reject(this.queueFull(conn, frame.length))
    const timeoutMs = opts?.timeoutMs ?? this.requestTimeoutMs
    const pending = new Pending(conn, id, peer.id, Date.now() + timeoutMs, timeoutMs)
    const p = new Promise<T>((resolve, reject) => {
      pending.resolve = resolve
      pending.reject = reject
    })
    conn.pending.set(id, pending)
    this.deadlines.add(pending)
    this.dispatch(conn, peer.id, conn.remoteControl, frame)
    return p
  }

  stats(): TransportStats {
    return {...this.counters}
  }

  /**
   * Bytes queued toward `peer` (ours plus the socket's), and a promise that resolves once the
   * socket has drained; lets a bulk sender pace itself instead of catching QUEUE_FULL.
   */
  queuedBytes(peer: PeerAddress): number {
    const c = this.findConn(peer)
    return c ? c.queued + (c.socket ? c.socket.writableLength : 0) : 0
  }

  whenWritable(peer: PeerAddress): Promise<void> {
    const c = this.findConn(peer)
    if (!c || !c.blocked || !c.socket) return Promise.resolve()
    const s = c.socket
    return new Promise((resolve) => {
      const done = () => {
        s.off('drain', done)
        s.off('close', done)
        setImmediate(resolve)
      }
      s.on('drain', done)
      s.on('close', done)
    })
  }

  /** Graceful: flushes queued frames, then closes sockets and the server; pending requests reject CLOSED. */
  close(): Promise<void> {
    if (this.closing) return this.closing
    this.closed = true
    this.closing = this.doClose()
    return this.closing
  }

  private async doClose(): Promise<void> {
    for (const t of this.delayTimers) clearTimeout(t)
    this.delayTimers.clear()
    const serverClosed = this.server
      ? new Promise<void>((resolve) => this.server!.close(() => resolve()))
      : Promise.resolve()
    const conns = [...[...this.outbound.values()].flat(), ...this.inbound]
    for (const c of conns) c.rejectAll('CLOSED', 'transport closed')
    this.deadlines.clear()
    await Promise.all(conns.map((c) => this.closeConn(c)))
    await serverClosed
  }

  private closeConn(c: Conn): Promise<void> {
    if (c.retryTimer) clearTimeout(c.retryTimer)
    c.retryTimer = null
    if (c.state === 'idle' || c.state === 'down' || c.state === 'closed' || !c.socket) {
      c.state = 'closed'
      c.discardQueue()
      return Promise.resolve()
    }
    const s = c.socket
    return new Promise<void>((resolve) => {
      const grace = setTimeout(() => s.destroy(), CLOSE_GRACE_MS)
      c.closeWaiters.push(() => {
        clearTimeout(grace)
        resolve()
      })
      const finish = () => {
        c.flush()
        s.end()
      }
      // A connect still under way gets to finish so its queue is delivered; flush() runs on open.
      if (c.state === 'open') {
        if (c.blocked) s.once('drain', finish)
        else finish()
      } else s.once('connect', () => setImmediate(finish))
    })
  }

  // ---- internals ----------------------------------------------------------------------------

  private queueFull(conn: Conn, n: number): TransportError {
    return new TransportError('QUEUE_FULL', `queue to ${conn.peerId} is full (${conn.queued + (conn.socket?.writableLength ?? 0)} + ${n} > ${this.maxQueueBytes} bytes)`, conn.peerId)
  }

  private checkFrameSize(frame: Buffer): void {
    if (frame.length - 4 > this.maxFrameBytes) throw new FrameError(`frame of ${frame.length - 4} bytes exceeds the ${this.maxFrameBytes}-byte limit`)
  }

  /** Applies this link's faults, then queues the copies that survive. */
  private dispatch(conn: Conn, to: string, remoteControl: boolean, frame: Buffer): void {
    if (!this.faults.active || this.control || remoteControl) {
      if (frame[4] === K_MSG) conn.enqueueMsg(frame)
      else conn.enqueue(frame)
      return
    }
    const plan = this.faults.plan(to)
    if (plan.length === 0) {
      this.counters.dropped++
      return
    }
    for (const d of plan) {
      if (d <= 0) {
        if (conn.room(frame.length)) frame[4] === K_MSG ? conn.enqueueMsg(frame) : conn.enqueue(frame)
        else this.counters.dropped++
        continue
      }
      const timer = setTimeout(() => {
        this.delayTimers.delete(timer)
        if (this.closed || conn.state === 'closed') return
        if (conn.room(frame.length)) {
          frame[4] === K_MSG ? conn.enqueueMsg(frame) : conn.enqueue(frame)
          if (conn.outbound) this.ensureConnecting(conn)
        } else this.counters.dropped++
      }, d)
      this.delayTimers.add(timer)
    }
  }

  private findConn(peer: PeerAddress): Conn | undefined {
    const list = this.outbound.get(peer.port)
    if (list === undefined) return undefined
    for (let i = 0; i < list.length; i++) if (list[i]!.host === peer.host) return list[i]
    return undefined
  }

  private connFor(peer: PeerAddress): Conn {
    let c = this.findConn(peer)
    if (c === undefined) {
      c = new Conn(this, true, `${peer.host}:${peer.port}`, peer.id, peer.host, peer.port)
      const list = this.outbound.get(peer.port)
      if (list) list.push(c)
      else this.outbound.set(peer.port, [c])
    } else if (c.peerId !== peer.id) c.peerId = peer.id
    if (c.state === 'idle' || c.state === 'down') this.ensureConnecting(c)
    return c
  }

  private ensureConnecting(c: Conn): void {
    // 'down' with a retry timer pending: the timer connects, since something is now queued.
    if (c.state === 'idle' || (c.state === 'down' && !c.retryTimer)) this.connect(c)
  }

  private scheduleRetry(c: Conn): void {
    if (c.retryTimer || this.closed) return
    const base = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(c.attempts, 30))
    const delay = base / 2 + Math.random() * (base / 2)
    c.retryTimer = setTimeout(() => {
      c.retryTimer = null
      if (this.closed || c.state !== 'down') return
      if (c.queued > 0 || c.pending.size > 0) this.connect(c)
      else {
        // Quiet for a whole backoff period: the next send is new traffic, not a retry storm, so it
        // dials at once and backs off from the start. Without this a peer that was down a while
        // (a restarted node) stays up to maxMs away from requests made after it is back.
        c.state = 'idle'
        c.attempts = 0
      }
    }, delay)
  }

  private connect(c: Conn): void {
    c.state = 'connecting'
    const s = net.connect({host: c.host, port: c.port, noDelay: true})
    c.socket = s
    c.reader = c.newReader()
    c.ctx = null
    c.blocked = false
    const timer = setTimeout(() => {
      if (c.state === 'connecting') {
        this.log('debug', 'transport: connect timeout', {peer: c.peerId, addr: c.key})
        s.destroy()
      }
    }, this.connectTimeoutMs)
    s.once('connect', () => {
      clearTimeout(timer)
      if (c.socket !== s) return
      this.counters.connections++
      c.state = 'open'
      s.write(this.helloFrame)
      this.counters.bytesOut += this.helloFrame.length
      c.flush()
    })
    this.wire(c, s, () => clearTimeout(timer))
  }

  private accept(s: net.Socket): void {
    if (this.closed) {
      s.destroy()
      return
    }
    s.setNoDelay(true)
    const remote = `${s.remoteAddress}:${s.remotePort}`
    const c = new Conn(this, false, remote, '?', s.remoteAddress ?? '', s.remotePort ?? 0)
    c.socket = s
    this.inbound.add(c)
    this.counters.connections++
    s.write(this.helloFrame)
    this.counters.bytesOut += this.helloFrame.length
    // A peer that never says hello holds a socket for nothing.
    c.helloTimer = setTimeout(() => {
      c.helloTimer = null
      if (!c.ctx) this.badConnection(c, 'no hello within connect timeout')
    }, this.connectTimeoutMs)
    this.wire(c, s, () => {})
  }

  private wire(c: Conn, s: net.Socket, onClose: () => void): void {
    s.on('data', (chunk: Buffer) => {
      if (c.socket !== s) return
      this.counters.bytesIn += chunk.length
      try {
        c.reader.push(chunk)
      } catch (err) {
        this.badConnection(c, err instanceof FrameError ? err.message : `frame handling failed: ${String(err)}`)
      }
    })
    s.on('end', () => {
      if (c.socket === s && c.reader.buffered > 0) this.badConnection(c, `stream ended inside a frame (${c.reader.buffered} bytes pending)`)
      else s.end()
    })
    s.on('error', (err) => this.log('debug', 'transport: socket error', {peer: c.peerId, addr: c.key, err: String(err)}))
    s.on('close', () => {
      onClose()
      this.onSocketClose(c, s)
    })
  }

  private badConnection(c: Conn, reason: string): void {
    this.counters.badFrames++
    this.log('warn', 'transport: closing connection on bad input', {peer: c.peerId, remote: c.ctx?.remote ?? c.key, reason})
    c.reader.stopped = true
    c.socket?.destroy()
  }

  private onSocketClose(c: Conn, s: net.Socket): void {
    if (c.socket !== s) return
    const wasOpen = c.state === 'open'
    if (wasOpen) this.counters.connections--
    c.socket = null
    c.blocked = false
    if (c.helloTimer) clearTimeout(c.helloTimer)
    for (const w of c.closeWaiters.splice(0)) w()
    if (!c.outbound) {
      c.state = 'closed'
      this.inbound.delete(c)
      c.rejectAll('CONNECTION_LOST', `connection from ${c.peerId} lost`)
      return
    }
    if (this.closed || c.state === 'closed') {
      c.state = 'closed'
      return
    }
    if (wasOpen) {
      c.rejectAll('CONNECTION_LOST', `connection to ${c.peerId} (${c.key}) lost`)
      c.attempts = 0
    } else {
      c.rejectAll('CONNECT_FAILED', `cannot connect to ${c.peerId} (${c.key})`)
      c.attempts++
      // Every queued request was just rejected as never sent: its frame must not reach the peer
      // later (a ghost request its caller believes failed), nor keep the link dialling a dead peer.
      if (!c.queuedOneWay) c.discardQueue()
    }
    // Queued frames keep the link retrying with backoff. With nothing queued the link only waits
    // out one backoff period (so a burst of sends does not hammer a dead peer), then goes idle
    // and the next send dials at once.
    if (wasOpen && c.queued === 0) c.state = 'idle'
    else {
      c.state = 'down'
      this.scheduleRetry(c)
    }
  }

  /** @internal Called by the frame reader for every complete frame. */
  onFrame(c: Conn, buf: Buffer, start: number, end: number): void {
    this.counters.framesIn++
    const kind = buf[start]
    if (c.ctx === null) {
      if (kind !== K_HELLO) throw new FrameError(`first frame is kind ${kind}, not hello`)
      const h = decodeRange(buf, start + 1, end) as {id?: unknown; control?: unknown} | null
      if (!h || typeof h !== 'object' || typeof h.id !== 'string') throw new FrameError('malformed hello')
      if (c.outbound && h.id !== c.peerId) this.log('debug', 'transport: peer answered with another id', {expected: c.peerId, got: h.id, addr: c.key})
      if (!c.outbound) c.peerId = h.id
      c.remoteControl = h.control === true
      const sock = c.socket!
      c.ctx = Object.freeze({from: h.id, control: c.remoteControl, remote: `${sock.remoteAddress}:${sock.remotePort}`})
      if (c.helloTimer) {
        clearTimeout(c.helloTimer)
        c.helloTimer = null
      }
      return
    }
    switch (kind) {
      case K_MSG: {
        const msg = decodeRange(buf, start + 1, end)
        if (this.closed || !this.msgHandler) return
        try {
          this.msgHandler(msg, c.ctx)
        } catch (err) {
          this.log('error', 'transport: message handler threw', {from: c.ctx.from, err: String(err)})
        }
        return
      }
      case K_BATCH: {
        const msgs = decodeSequence(buf, start + 1, end)
        this.counters.framesIn += msgs.length - 1
        if (this.closed || !this.msgHandler) return
        for (let i = 0; i < msgs.length; i++) {
          try {
            this.msgHandler(msgs[i], c.ctx)
          } catch (err) {
            this.log('error', 'transport: message handler threw', {from: c.ctx.from, err: String(err)})
          }
        }
        return
      }
      case K_REQ: {
        const id = corrId(buf, start, end)
        const msg = decodeRange(buf, start + 6, end)
        this.handleRequest(c, id, msg)
        return
      }
      case K_RES:
      case K_ERR: {
        const id = corrId(buf, start, end)
        const body = decodeRange(buf, start + 6, end)
        const p = c.pending.get(id)
        if (!p) return // timed out already, or a duplicate
        c.pending.delete(id)
        this.deadlines.remove(p)
        if (kind === K_RES) p.settle(null, body)
        else p.settle(new TransportError('REMOTE_ERROR', typeof body === 'string' ? body : String(body), c.peerId))
        return
      }
      case K_HELLO:
        throw new FrameError('second hello on one connection')
      default:
        throw new FrameError(`unknown frame kind ${kind}`)
    }
  }

  private handleRequest(c: Conn, id: number, msg: unknown): void {
    if (this.closed) return
    const ctx = c.ctx!
    const h = this.reqHandler
    if (!h) {
      this.respond(c, K_ERR, id, `no request handler on ${this.id}`)
      return
    }
    let r: unknown
    try {
      r = h(msg, ctx)
    } catch (err) {
      this.respond(c, K_ERR, id, errMessage(err))
      return
    }
    if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') {
      ;(r as PromiseLike<unknown>).then(
        (v) => this.respond(c, K_RES, id, v),
        (err) => this.respond(c, K_ERR, id, errMessage(err)),
      )
    } else this.respond(c, K_RES, id, r)
  }

  private respond(c: Conn, kind: number, id: number, body: unknown): void {
    if (this.closed || c.state !== 'open' || !c.socket) return
    let frame: Buffer
    try {
      frame = makeFrame(kind, id, body)
      this.checkFrameSize(frame)
    } catch (err) {
      frame = makeFrame(K_ERR, id, `response not encodable: ${errMessage(err)}`)
    }
    if (!c.room(frame.length)) {
      this.counters.dropped++
      this.log('warn', 'transport: response dropped, queue full', {to: c.peerId})
      return
    }
    this.dispatch(c, c.peerId, c.remoteControl, frame)
  }
}

function errMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  return String(err)
}

function corrId(buf: Buffer, start: number, end: number): number {
  if (end - start < 7 || buf[start + 1] !== 0xce) throw new FrameError('malformed correlation id')
  return readU32(buf, start + 2)
}

/** One complete frame: length, kind, optional msgpack uint32 correlation id, msgpack body. */
function makeFrame(kind: number, id: number, body: unknown): Buffer {
  if (id < 0) {
    const b = packWithHeader(body, 5)
    writeU32(b, 0, b.length - 4)
    b[4] = kind
    return b
  }
  const b = packWithHeader(body, 10)
  writeU32(b, 0, b.length - 4)
  b[4] = kind
  b[5] = 0xce
  writeU32(b, 6, id)
  return b
}
