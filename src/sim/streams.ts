/**
 * The simulator's streams: TCP-like connections, one per core name and pair of node lives.
 *
 * - FIFO: a message never arrives before an earlier one in the same direction of the same
 *   connection (its arrival is the later of its sampled delay and the previous arrival), and
 *   equal arrival times keep send order (the heap's tie-break). Streams are never randomly lost
 *   or duplicated.
 * - Breaks: a crash of either end, a partition between them, or an injected fault breaks the
 *   connection at once: everything in flight on it is dropped when it arrives (`stream-broken`),
 *   so what one connection delivered is always a prefix of what was sent on it. Each end still
 *   running is told (`streamBroken(peer)`) after `breakDetection` ms, as TCP learns of a dead peer
 *   from a reset or a timeout; until it is told, what it sends on the broken connection is lost
 *   too. Its next send after that opens a new connection. An end whose core has no
 *   `streamBroken` is taken as told at once.
 * - Opening a stream to a node that is down, or across a partition, is a connection refused: the
 *   message is dropped and the sender told after `breakDetection`.
 * - A connection idle (nothing in flight) for `idleTimeout` ms is closed quietly, like a pool
 *   closing idle sockets, so the table stays bounded: nothing is lost and nobody is told.
 */
export interface StreamOptions {
  /** Delay before a live end learns its stream broke, ms. Default 200. */
  breakDetection?: number
  /** An idle connection is forgotten after this long, ms. Default 60 000. */
  idleTimeout?: number
}

export interface ResolvedStreams {
  breakDetection: number
  idleTimeout: number
}

export function resolveStreams(o: StreamOptions | undefined): ResolvedStreams {
  const r = {breakDetection: o?.breakDetection ?? 200, idleTimeout: o?.idleTimeout ?? 60_000}
  if (!(r.breakDetection >= 0) || !(r.idleTimeout > 0)) throw new Error('sim: stream breakDetection must be ≥ 0 ms and idleTimeout > 0 ms')
  return r
}

/** What a connection needs to know of a node. */
export interface StreamEnd {
  id: string
  epoch: number
}

export interface Conn<N extends StreamEnd = StreamEnd> {
  /** Numbered in opening order, for traces. */
  id: number
  key: string
  core: string
  /** The two ends (a's id sorts before b's) and the lives (epochs) they had when it opened. */
  a: N
  b: N
  ea: number
  eb: number
  /** Latest arrival scheduled a → b and b → a. */
  lastAB: number
  lastBA: number
  lastUsed: number
  /** Messages sent, and the last delivered, per direction (their positions on the stream). */
  sentAB: number
  sentBA: number
  deliveredAB: number
  deliveredBA: number
  broken: boolean
  /** Whether each end has been told of the break (or needs no telling: it crashed, it has no handler). */
  toldA: boolean
  toldB: boolean
}

export class StreamTable<N extends StreamEnd> {
  private readonly conns = new Map<string, Conn<N>>()
  private counter = 0
  private sweepAt = 1024

  constructor(readonly opts: ResolvedStreams) {}

  get size(): number {
    return this.conns.size
  }

  static keyOf(core: string, x: string, y: string): string {
    return x < y ? core + '\u0000' + x + '\u0000' + y : core + '\u0000' + y + '\u0000' + x
  }

  get(key: string): Conn<N> | undefined {
    return this.conns.get(key)
  }

  /** Opens a fresh connection between `x` and `y` for `core`, replacing any older one. */
  open(key: string, core: string, x: N, y: N, now: number): Conn<N> {
    if (this.conns.size >= this.sweepAt) this.sweep(now)
    const [a, b] = x.id < y.id ? [x, y] : [y, x]
    const c: Conn<N> = {id: ++this.counter, key, core, a, b, ea: a.epoch, eb: b.epoch, lastAB: now, lastBA: now, lastUsed: now, sentAB: 0, sentBA: 0, deliveredAB: 0, deliveredBA: 0, broken: false, toldA: false, toldB: false}
    this.conns.set(key, c)
    return c
  }

  /** Forgets `c` once both ends know it is gone. */
  settle(c: Conn<N>): void {
    if (c.toldA && c.toldB && this.conns.get(c.key) === c) this.conns.delete(c.key)
  }

  /** Every connection, for breaking the ones a crash or a partition cuts. */
  values(): IterableIterator<Conn<N>> {
    return this.conns.values()
  }

  /** Forgets connections idle for `idleTimeout`; broken ones stay until their ends are told. */
  private sweep(now: number): void {
    const limit = now - this.opts.idleTimeout
    for (const [k, c] of this.conns) {
      if (!c.broken && c.lastUsed < limit && c.lastAB <= now && c.lastBA <= now) this.conns.delete(k)
    }
    this.sweepAt = Math.max(1024, 2 * this.conns.size)
  }
}
