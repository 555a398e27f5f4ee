/** The transport's public types, and its defaults in one place (docs/transport.md lists them). */
import {DEFAULT_MAX_FRAME_BYTES} from './codec.js'

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
  /** Time to connect and receive the peer's hello (and for an accepted connection to send its hello). */
  connectTimeoutMs?: number
  backoff?: {initialMs: number; maxMs: number}
  /** An outbound connection with nothing queued, pending or sent/received for this long is closed. 0 = never. */
  idleTimeoutMs?: number
  /**
   * How long frames wait for a peer that cannot be reached (its link keeps failing to connect, or a
   * cut holds its stream) before the stream is declared broken: queued one-way frames are dropped
   * and counted in `lost`, and the break is reported.
   */
  unreachableTimeoutMs?: number
  faultSeed?: number
  log?: LogFn
}

export const DEFAULTS = {
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  maxQueueBytes: 64 * 1024 * 1024,
  requestTimeoutMs: 5000,
  connectTimeoutMs: 2000,
  backoff: {initialMs: 50, maxMs: 5000},
  idleTimeoutMs: 60_000,
  unreachableTimeoutMs: 30_000,
  /** close(): sockets that have not drained by then are destroyed. */
  closeGraceMs: 2000,
} as const

export interface IncomingContext {
  from: string
  control: boolean
  remote: string
}

export type StreamBreakReason =
  /** The connection closed or failed under us (peer crashed or closed, reset, bad input from it). */
  | 'lost'
  /** An injected fault broke it: `breakStreams()`, or a `drop` rule hitting a stream frame. */
  | 'fault'
  /** A cut held its frames for `unreachableTimeoutMs`. */
  | 'stalled'
  /** Its frames waited `unreachableTimeoutMs` for a connection that never came up, and were dropped. */
  | 'unreachable'
  /** The address now answers for another node id (or the caller now names another id for it). */
  | 'peer-changed'

export interface StreamBreak {
  /** `outbound`: the stream we originate toward the peer; `inbound`: the one the peer originates toward us. */
  direction: 'outbound' | 'inbound'
  reason: StreamBreakReason
  /** One-way messages queued on our side and dropped with the break (frames already written may be lost too, uncounted). */
  lostMessages: number
  /** Requests that failed with the break. */
  failedRequests: number
  /** The peer is a control endpoint (the CLI). */
  control: boolean
}

export interface TransportStats {
  framesIn: number
  framesOut: number
  bytesIn: number
  bytesOut: number
  badFrames: number
  /** Frames the fault layer dropped, and responses dropped for a full queue or a broken stream. */
  dropped: number
  /** One-way messages lost from our queue: dropped with a broken stream, or after waiting `unreachableTimeoutMs`. */
  lost: number
  /** Stream breaks reported to onStreamBroken (both directions). */
  streamBreaks: number
  /** Connections refused at the hello: wrong peer id or protocol version. */
  refused: number
  /** Open sockets. */
  connections: number
}
