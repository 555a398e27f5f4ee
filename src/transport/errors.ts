/**
 * What a caller of the transport is told when something fails. Every TransportError says, besides
 * its code, what certainly did or did not happen (`outcome`), because a history recorder must map
 * "certainly not executed" to Jepsen's `fail` and "may have been executed" to `info`.
 */

export type TransportErrorCode =
  | 'TIMEOUT'
  | 'CONNECTION_LOST'
  | 'REMOTE_ERROR'
  | 'QUEUE_FULL'
  | 'CLOSED'
  | 'CONNECT_FAILED'
  | 'FRAME_TOO_LARGE'
  | 'PEER_MISMATCH'
  | 'PROTOCOL_MISMATCH'

/**
 * - `never-sent`: the frame was removed from every queue (or never entered one) before the caller
 *   heard of the failure; the peer will never see it. Jepsen: `fail`.
 * - `unknown`: the frame was handed to the socket and no reply came; the peer may or may not have
 *   executed it. Jepsen: `info`.
 * - `answered`: the peer received the request and answered with an error (REMOTE_ERROR: its
 *   handler threw, or it has none). Whether that left an effect is the handler's contract, not
 *   the transport's.
 */
export type Outcome = 'never-sent' | 'unknown' | 'answered'

/** Every failure the transport reports to a caller carries one of a few codes, so callers switch on `code`, not on text. */
export class TransportError extends Error {
  readonly code: TransportErrorCode
  readonly peer?: string
  readonly outcome: Outcome
  constructor(code: TransportErrorCode, message: string, peer: string | undefined, outcome: Outcome) {
    super(message)
    this.name = 'TransportError'
    this.code = code
    this.outcome = outcome
    if (peer !== undefined) this.peer = peer
  }
}

/** A byte stream that cannot be a sequence of our frames: the connection carrying it is beyond repair. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FrameError'
  }
}
