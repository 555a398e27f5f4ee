/**
 * One link: a TCP connection to or from a peer, its write queue, its pending requests, and the
 * fault layer's hold on its direction (delays that keep FIFO, a cut that stalls it).
 *
 * Writes are coalesced until the end of the current callback and its microtasks: the first frame
 * queued on an idle link schedules a `process.nextTick` flush, and everything queued before it
 * runs goes out in one write (or one corked writev). When `socket.write()` returns false nothing
 * more is written until `'drain'`.
 */
import type net from 'node:net'
import {FrameReader} from './codec.js'
import {monotonicNow, type Deadlines, type Pending} from './deadlines.js'
import {TransportError, type TransportErrorCode} from './errors.js'
import type {FaultController} from './faults.js'
import type {IncomingContext, LogFn, StreamBreakReason, TransportStats} from './options.js'
import {WriteQueue} from './write-queue.js'

/**
 * idle: no socket, nothing queued · connecting: dialling · handshake: connected, waiting for the
 * peer's hello (nothing of ours is written yet) · open · down: a dial failed, retrying with
 * backoff · closed. Accepted connections start open and learn their peer from its hello.
 */
export type LinkState = 'idle' | 'connecting' | 'handshake' | 'open' | 'down' | 'closed'

/** What a link needs from the endpoint that owns it. */
export interface Endpoint {
  readonly maxQueueBytes: number
  readonly maxFrameBytes: number
  readonly control: boolean
  readonly faults: FaultController
  readonly unreachableTimeoutMs: number
  /** @internal */ readonly counters: TransportStats
  /** @internal */ readonly deadlines: Deadlines
  /** @internal */ readonly log: LogFn
  /** @internal */ onFrame(c: Conn, buf: Buffer, start: number, end: number): void
  /** @internal */ breakStream(c: Conn, reason: StreamBreakReason): void
}

export class Conn {
  socket: net.Socket | null = null
  state: LinkState
  ctx: IncomingContext | null = null
  remoteControl = false
  reader: FrameReader
  readonly queue = new WriteQueue()
  readonly pending = new Map<number, Pending>()
  blocked = false
  flushScheduled = false
  /** Failed dials in a row (drives the backoff). */
  attempts = 0
  /** Monotonic time of the first failed dial while frames wait for this link; 0 when none. */
  downSince = 0
  /** Monotonic time of the last write or read, for closing idle links. */
  lastUsed = 0
  /** The peer ended its stream in order (bye): its close is not a break. */
  byeReceived = false
  /** Why the dial under way failed, when it was refused at the hello rather than at connect. */
  refusal: {code: TransportErrorCode; why: string} | null = null
  retryTimer: NodeJS.Timeout | null = null
  /** Outbound: connect + hello deadline. Inbound: hello deadline. */
  helloTimer: NodeJS.Timeout | null = null
  closeWaiters: (() => void)[] = []
  /** Run instead of a flush when the hello opens the link (close() waiting for a dial to finish). */
  onOpen: (() => void) | null = null
  private releaseTimer: NodeJS.Timeout | null = null
  private releaseAt = 0
  private stallTimer: NodeJS.Timeout | null = null
  private readonly out: Buffer[] = []

  constructor(
    readonly t: Endpoint,
    readonly outbound: boolean,
    readonly key: string,
    /** Outbound: the id we address (and expect in the hello); inbound: filled from the hello. */
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
    return this.queue.bytes + (this.socket ? this.socket.writableLength : 0) + n <= this.t.maxQueueBytes
  }

  /** Whether the fault layer applies: never on a link where either end is a control endpoint. */
  get faulted(): boolean {
    return this.t.faults.active && !this.t.control && !this.remoteControl
  }

  /** The fault layer's verdict for the next frame: -1 = the stream breaks at it, else its delay in ms. */
  verdict(): number {
    return this.faulted ? this.t.faults.streamDelay(this.peerId) : 0
  }

  queueMsg(frame: Buffer, delay: number): void {
    if (delay > 0) this.queue.pushMsgAt(frame, monotonicNow() + delay)
    else this.queue.pushMsg(frame)
    this.t.counters.framesOut++
    this.scheduleFlush()
  }

  queueRequest(frame: Buffer, p: Pending, delay: number): void {
    this.queue.push(frame, p, delay > 0 ? monotonicNow() + delay : 0, 0)
    this.t.counters.framesOut++
    this.scheduleFlush()
  }

  queueResponse(frame: Buffer, delay: number): void {
    if (delay > 0) this.queue.pushMsgAt(frame, monotonicNow() + delay)
    else this.queue.pushCopy(frame)
    this.t.counters.framesOut++
    this.scheduleFlush()
  }

  scheduleFlush(): void {
    if (!this.flushScheduled && this.state === 'open' && !this.blocked) {
      this.flushScheduled = true
      process.nextTick(this.flushBound)
    }
  }

  readonly flushBound = (): void => this.flush()

  /**
   * Hands the writable prefix of the queue to the socket. A cut holds everything (the stream
   * stalls, and breaks after `unreachableTimeoutMs`); a delayed frame holds what follows it until
   * its release time.
   */
  flush(): void {
    this.flushScheduled = false
    const s = this.socket
    if (this.state !== 'open' || this.blocked || s === null || this.queue.empty) return
    if (this.faulted && this.t.faults.isCut(this.peerId)) {
      this.stall()
      return
    }
    if (this.stallTimer) this.unstall()
    const now = monotonicNow()
    const out = this.out
    const n = this.queue.take(now, out)
    if (!this.queue.empty) this.armRelease(now)
    if (out.length === 0) return
    let ok = true
    if (out.length === 1) ok = s.write(out[0]!)
    else {
      s.cork()
      for (let i = 0; i < out.length; i++) ok = s.write(out[i]!)
      s.uncork()
    }
    out.length = 0
    this.t.counters.bytesOut += n
    this.lastUsed = now
    if (!ok) {
      this.blocked = true
      s.once('drain', () => {
        if (this.socket !== s) return
        this.blocked = false
        this.flush()
      })
    }
  }

  private armRelease(now: number): void {
    const at = this.queue.nextAt()
    if (at <= now || (this.releaseTimer !== null && this.releaseAt <= at)) return
    if (this.releaseTimer) clearTimeout(this.releaseTimer)
    this.releaseAt = at
    this.releaseTimer = setTimeout(() => {
      this.releaseTimer = null
      this.flush()
    }, Math.max(1, Math.ceil(at - now)))
  }

  private stall(): void {
    if (this.stallTimer) return
    this.stallTimer = setTimeout(() => {
      this.stallTimer = null
      if (this.state === 'open' && !this.queue.empty && this.faulted && this.t.faults.isCut(this.peerId)) this.t.breakStream(this, 'stalled')
    }, this.t.unreachableTimeoutMs)
  }

  private unstall(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer)
    this.stallTimer = null
  }

  /** Clears the timers that belong to one connection (not the retry timer, which belongs to the link). */
  clearTimers(): void {
    if (this.helloTimer) clearTimeout(this.helloTimer)
    if (this.releaseTimer) clearTimeout(this.releaseTimer)
    this.helloTimer = this.releaseTimer = null
    this.unstall()
  }

  /**
   * Rejects every pending request with `code`. A request whose frame is still queued is taken out
   * of the queue first and told `never-sent`; one whose frame was written is told `unknown`.
   */
  failPending(code: TransportErrorCode, why: string): number {
    const n = this.pending.size
    if (n === 0) return 0
    const ps = [...this.pending.values()]
    this.pending.clear()
    for (const p of ps) {
      this.t.deadlines.remove(p)
      if (p.written) p.settle(new TransportError(code, `${why}; the request was written, its outcome is unknown`, this.peerId, 'unknown'))
      else {
        if (p.entry) this.queue.remove(p.entry)
        p.settle(new TransportError(code, `${why}; the request was never sent`, this.peerId, 'never-sent'))
      }
    }
    return n
  }

  /** A request whose deadline passed: taken out of the queue if it is still there. */
  expire(p: Pending): void {
    if (!this.pending.delete(p.id)) return
    if (p.written) p.settle(new TransportError('TIMEOUT', `request to ${p.peer} timed out after ${p.timeoutMs} ms; it was written, its outcome is unknown`, p.peer, 'unknown'))
    else {
      if (p.entry) this.queue.remove(p.entry)
      p.settle(new TransportError('TIMEOUT', `request to ${p.peer} timed out after ${p.timeoutMs} ms before it could be written; it was never sent`, p.peer, 'never-sent'))
    }
  }
}
