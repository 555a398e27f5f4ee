export type TransportErrorCode =
  | 'TIMEOUT'
  | 'CONNECTION_LOST'
  | 'REMOTE_ERROR'
  | 'QUEUE_FULL'
  | 'CLOSED'
  | 'CONNECT_FAILED'

/** Every failure the transport reports to a caller carries one of a few codes, so callers switch on `code`, not on text. */
export class TransportError extends Error {
  readonly code: TransportErrorCode
  readonly peer?: string
  constructor(code: TransportErrorCode, message: string, peer?: string) {
    super(message)
    this.name = 'TransportError'
    this.code = code
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
