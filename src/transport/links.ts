/**
 * Link lifecycle: dialling with capped exponential backoff and jitter (memberlist and gRPC alike),
 * the hello handshake, accepting, breaking a stream, closing idle links, giving up on unreachable
 * peers, and the graceful close.
 *
 * Every endpoint dials its own outbound connection per peer (keyed by host:port) for the traffic
 * it originates; an accepted connection is used only to answer the requests that arrive on it. So
 * a pair of nodes talking both ways holds two sockets, and each side's faults and backpressure
 * apply to the direction it sends. Nothing of ours is written on a dialled connection until the
 * peer's hello has named the id we expect, in the protocol version we speak.
 */
import net from 'node:net'
import {Conn, type Endpoint} from './conn.js'
import {monotonicNow} from './deadlines.js'
import {FrameError} from './errors.js'
import {BYE_FRAME, PROTOCOL_VERSION, type Hello} from './frames.js'
import type {PeerAddress, StreamBreak, StreamBreakReason} from './options.js'

/** What the link table needs from its transport besides what every link needs. */
export interface LinkHost extends Endpoint {
  readonly id: string
  readonly connectTimeoutMs: number
  readonly backoff: {initialMs: number; maxMs: number}
  readonly idleTimeoutMs: number
  readonly closeGraceMs: number
  /** @internal */ readonly helloFrame: Buffer
  /** @internal */ isClosed(): boolean
  /** @internal */ reportBreak(peer: string, info: StreamBreak): void
}

export class LinkTable {
  // Outbound links by port, then host: looking a peer up must not build a key string per send.
  private readonly outbound = new Map<number, Conn[]>()
  private readonly inbound = new Set<Conn>()
  private idleTimer: NodeJS.Timeout | null = null
  /** Sockets counted in stats().connections: accepted ones, and dialled ones once their hello opened them. */
  private readonly counted = new WeakSet<net.Socket>()

  constructor(private readonly t: LinkHost) {}

  all(): Conn[] {
    return [...[...this.outbound.values()].flat(), ...this.inbound]
  }

  find(peer: PeerAddress): Conn | undefined {
    const list = this.outbound.get(peer.port)
    if (list === undefined) return undefined
    for (let i = 0; i < list.length; i++) if (list[i]!.host === peer.host) return list[i]
    return undefined
  }

  /** The outbound link to `peer`, created and dialled as needed. */
  forPeer(peer: PeerAddress): Conn {
    let c = this.find(peer)
    if (c === undefined) {
      c = new Conn(this.t, true, `${peer.host}:${peer.port}`, peer.id, peer.host, peer.port)
      const list = this.outbound.get(peer.port)
      if (list) list.push(c)
      else this.outbound.set(peer.port, [c])
    } else if (c.peerId !== peer.id) {
      // The address now stands for another node: what was meant for the old one must not reach the new one.
      this.breakStream(c, 'peer-changed')
      c.peerId = peer.id
    }
    // 'down' with a retry timer pending: the timer dials, since something is now queued.
    if (c.state === 'idle' || (c.state === 'down' && !c.retryTimer)) this.connect(c)
    return c
  }

  private connect(c: Conn): void {
    c.state = 'connecting'
    const s = net.connect({host: c.host, port: c.port, noDelay: true})
    c.socket = s
    c.reader = c.newReader()
    c.ctx = null
    c.blocked = false
    c.byeReceived = false
    c.refusal = null
    c.helloTimer = setTimeout(() => {
      c.helloTimer = null
      if (c.socket === s && c.state !== 'open') {
        this.t.log('debug', 'transport: no connection and hello within the connect timeout', {peer: c.peerId, addr: c.key})
        s.destroy()
      }
    }, this.t.connectTimeoutMs)
    s.once('connect', () => {
      if (c.socket !== s) return
      c.state = 'handshake'
      s.write(this.t.helloFrame)
      this.t.counters.bytesOut += this.t.helloFrame.length
    })
    this.wire(c, s)
  }

  accept(s: net.Socket): void {
    if (this.t.isClosed()) {
      s.destroy()
      return
    }
    s.setNoDelay(true)
    const c = new Conn(this.t, false, `${s.remoteAddress}:${s.remotePort}`, '?', s.remoteAddress ?? '', s.remotePort ?? 0)
    c.socket = s
    this.inbound.add(c)
    s.write(this.t.helloFrame)
    this.t.counters.bytesOut += this.t.helloFrame.length
    // A peer that never says hello holds a socket for nothing.
    c.helloTimer = setTimeout(() => {
      c.helloTimer = null
      if (!c.ctx) this.badConnection(c, 'no hello within connect timeout')
    }, this.t.connectTimeoutMs)
    this.wire(c, s)
  }

  /**
   * The peer's hello: the first frame on every connection. A dialled link opens only when it
   * names the id we addressed, in our protocol version; otherwise the dial is refused and what
   * waits for it stays queued (requests fail with the refusal's code, never sent).
   */
  onHello(c: Conn, h: Hello): void {
    const s = c.socket!
    if (h.version !== PROTOCOL_VERSION || (c.outbound && h.id !== c.peerId)) {
      const versionBad = h.version !== PROTOCOL_VERSION
      const why = versionBad
        ? `peer ${h.id} at ${c.key} speaks protocol version ${h.version}, this endpoint ${PROTOCOL_VERSION}`
        : `${c.key} answered as node '${h.id}', not '${c.peerId}'`
      this.t.counters.refused++
      this.t.log('warn', 'transport: refusing connection at hello', {peer: c.peerId, addr: c.key, reason: why})
      if (c.outbound) c.refusal = {code: versionBad ? 'PROTOCOL_MISMATCH' : 'PEER_MISMATCH', why}
      c.reader.stopped = true
      s.destroy()
      return
    }
    if (!c.outbound) c.peerId = h.id
    c.remoteControl = h.control
    c.ctx = Object.freeze({from: h.id, control: h.control, remote: `${s.remoteAddress}:${s.remotePort}`})
    if (c.helloTimer) clearTimeout(c.helloTimer)
    c.helloTimer = null
    if (!c.outbound) return
    c.state = 'open'
    c.attempts = 0
    c.downSince = 0
    c.lastUsed = monotonicNow()
    this.count(s)
    this.ensureIdleSweep()
    const onOpen = c.onOpen
    c.onOpen = null
    if (onOpen) onOpen()
    else c.flush()
  }

  private count(s: net.Socket): void {
    this.counted.add(s)
    this.t.counters.connections++
  }

  private wire(c: Conn, s: net.Socket): void {
    if (!c.outbound) this.count(s)
    s.on('data', (chunk: Buffer) => {
      if (c.socket !== s) return
      this.t.counters.bytesIn += chunk.length
      try {
        c.reader.push(chunk)
      } catch (err) {
        this.badConnection(c, err instanceof FrameError ? err.message : `frame handling failed: ${String(err)}`)
      }
    })
    s.on('end', () => {
      if (c.socket === s && c.reader.buffered > 0) this.badConnection(c, `stream ended inside a frame (${c.reader.buffered} bytes pending)`)
      else if (!s.writableEnded) s.end()
    })
    s.on('error', (err) => this.t.log('debug', 'transport: socket error', {peer: c.peerId, addr: c.key, err: String(err)}))
    s.on('close', () => {
      if (this.counted.delete(s)) this.t.counters.connections--
      this.onSocketClose(c, s)
    })
  }

  badConnection(c: Conn, reason: string): void {
    this.t.counters.badFrames++
    this.t.log('warn', 'transport: closing connection on bad input', {peer: c.peerId, remote: c.ctx?.remote ?? c.key, reason})
    c.reader.stopped = true
    c.socket?.destroy()
  }

  private onSocketClose(c: Conn, s: net.Socket): void {
    if (c.socket !== s) return
    if (!c.outbound || c.state === 'open') {
      this.breakStream(c, 'lost')
      return
    }
    this.detach(c, false)
    if (this.t.isClosed() || c.state === 'closed') {
      c.state = 'closed'
      this.t.counters.lost += c.queue.clear()
      return
    }
    // The dial failed, or the peer was refused at the hello: nothing of ours was written.
    const r = c.refusal
    c.refusal = null
    c.failPending(r?.code ?? 'CONNECT_FAILED', r?.why ?? `cannot connect to ${c.peerId} (${c.key})`)
    c.attempts++
    const now = monotonicNow()
    if (c.queue.empty) c.downSince = 0
    else if (c.downSince === 0) c.downSince = now
    c.state = 'down'
    if (this.unreachable(c, now)) return
    this.scheduleRetry(c)
  }

  private scheduleRetry(c: Conn): void {
    if (c.retryTimer || this.t.isClosed()) return
    const {initialMs, maxMs} = this.t.backoff
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(c.attempts, 30))
    const delay = base / 2 + Math.random() * (base / 2)
    c.retryTimer = setTimeout(() => {
      c.retryTimer = null
      if (this.t.isClosed() || c.state !== 'down') return
      if (!c.queue.empty || c.pending.size > 0) {
        if (!this.unreachable(c, monotonicNow())) this.connect(c)
      } else {
        // Quiet for a whole backoff period: the next send is new traffic, not a retry storm, so it
        // dials at once and backs off from the start. Without this a peer that was down a while
        // (a restarted node) stays up to maxMs away from requests made after it is back.
        c.state = 'idle'
        c.attempts = 0
        c.downSince = 0
      }
    }, delay)
  }

  /** Gives up on frames that waited unreachableTimeoutMs for a link that never came up. */
  private unreachable(c: Conn, now: number): boolean {
    if (c.downSince === 0 || now - c.downSince < this.t.unreachableTimeoutMs) return false
    const failed = c.failPending('CONNECT_FAILED', `${c.peerId} (${c.key}) unreachable for ${this.t.unreachableTimeoutMs} ms`)
    const lost = c.queue.clear()
    this.t.counters.lost += lost
    c.state = 'idle'
    c.attempts = 0
    c.downSince = 0
    this.t.log('info', 'transport: peer unreachable, queued messages dropped', {peer: c.peerId, addr: c.key, lost})
    this.t.reportBreak(c.peerId, {direction: 'outbound', reason: 'unreachable', lostMessages: lost, failedRequests: failed, control: c.remoteControl})
    return true
  }

  /**
   * Ends the stream on this link now: queued frames are dropped (requests among them fail
   * never-sent, written ones unknown), the socket is destroyed so the peer sees the break too, and
   * the break is reported unless nothing was ever established or lost.
   */
  breakStream(c: Conn, reason: StreamBreakReason, lostExtra = 0): void {
    const established = c.ctx !== null
    const failed = c.failPending('CONNECTION_LOST', `stream to ${c.peerId} (${c.key}) broke (${reason})`)
    const lost = c.queue.clear() + lostExtra
    this.t.counters.lost += lost
    this.detach(c, true)
    if (c.outbound) {
      if (c.state !== 'closed') c.state = this.t.isClosed() ? 'closed' : 'idle'
      c.attempts = 0
      c.downSince = 0
    } else {
      c.state = 'closed'
      this.inbound.delete(c)
    }
    if (this.t.isClosed() || (!c.outbound && c.byeReceived)) return
    if (established || lost > 0 || failed > 0) {
      this.t.reportBreak(c.peerId, {direction: c.outbound ? 'outbound' : 'inbound', reason, lostMessages: lost, failedRequests: failed, control: c.remoteControl})
    }
  }

  /** Unhooks the socket from the link (the next dial gets a fresh one). */
  private detach(c: Conn, destroy: boolean): void {
    const s = c.socket
    c.socket = null
    c.ctx = null
    c.blocked = false
    c.clearTimers()
    for (const w of c.closeWaiters.splice(0)) w()
    if (s && destroy) s.destroy()
  }

  /** Breaks every established stream to or from `peerId`; returns how many. */
  breakPeer(peerId: string): number {
    let n = 0
    for (const c of this.all()) {
      if (c.peerId === peerId && c.socket !== null && c.ctx !== null) {
        this.breakStream(c, 'fault')
        n++
      }
    }
    return n
  }

  /** After a fault rule changed: held or delayed frames may now go. */
  recheck(): void {
    for (const c of this.all()) if (!c.queue.empty) c.scheduleFlush()
  }

  private ensureIdleSweep(): void {
    const ms = this.t.idleTimeoutMs
    if (ms <= 0 || this.idleTimer !== null || this.t.isClosed()) return
    this.idleTimer = setInterval(() => this.closeIdle(), Math.max(10, Math.floor(ms / 2)))
    this.idleTimer.unref()
  }

  /** Outbound links with nothing queued, pending or written for idleTimeoutMs end in order (bye). */
  private closeIdle(): void {
    const now = monotonicNow()
    for (const list of this.outbound.values()) {
      for (const c of list) {
        const s = c.socket
        if (c.state !== 'open' || s === null || !c.queue.empty || c.pending.size > 0 || c.blocked || s.writableLength > 0) continue
        if (now - c.lastUsed < this.t.idleTimeoutMs) continue
        this.t.log('debug', 'transport: closing idle connection', {peer: c.peerId, addr: c.key})
        s.end(BYE_FRAME)
        this.t.counters.bytesOut += BYE_FRAME.length
        this.detach(c, false)
        c.state = 'idle'
      }
    }
  }

  /** Graceful close of every link; pending requests were already failed by the caller. */
  closeAll(): Promise<void> {
    if (this.idleTimer) clearInterval(this.idleTimer)
    this.idleTimer = null
    return Promise.all(this.all().map((c) => this.closeLink(c))).then(() => {})
  }

  private closeLink(c: Conn): Promise<void> {
    if (c.retryTimer) clearTimeout(c.retryTimer)
    c.retryTimer = null
    const s = c.socket
    if (s === null || c.state === 'idle' || c.state === 'down' || c.state === 'closed') {
      c.state = 'closed'
      this.t.counters.lost += c.queue.clear()
      return Promise.resolve()
    }
    return new Promise<void>((resolve) => {
      const grace = setTimeout(() => s.destroy(), this.t.closeGraceMs)
      c.closeWaiters.push(() => {
        clearTimeout(grace)
        resolve()
      })
      // Everything the fault layer lets go is written, the rest (held by a cut, still delayed) is
      // dropped; then a dialled link says bye so its peer does not report a break.
      const finish = (): void => {
        if (c.socket !== s) return
        if (c.blocked) {
          s.once('drain', () => setImmediate(finish))
          return
        }
        c.flush()
        this.t.counters.lost += c.queue.clear()
        c.state = 'closed'
        if (c.outbound) {
          s.write(BYE_FRAME)
          this.t.counters.bytesOut += BYE_FRAME.length
        }
        s.end()
      }
      // A dial still under way gets to finish its hello so its queue is delivered.
      if (c.state === 'open') finish()
      else c.onOpen = finish
    })
  }
}
