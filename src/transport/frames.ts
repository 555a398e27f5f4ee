/**
 * The TCP frame envelope: a 4-byte big-endian length, then a msgpack *sequence* (so any msgpack
 * library can read it with a "decode multiple" call):
 *
 *   kind (positive fixint) [, 0xce + uint32 correlation id] , msgpack value
 *
 * The header is written by hand into space msgpackr reserves in front of the body, so the envelope
 * costs neither an extra msgpack array nor a copy. The hello carries the protocol version
 * (memberlist likewise puts protocol versions in its handshake and refuses what it cannot speak).
 */
import {decodeRange, packWithHeader, readU32, writeU32} from './codec.js'
import {FrameError} from './errors.js'

/**
 * Version of the wire protocol spoken on TCP. 1 was the hello without `v`; 2 added `v`, the bye
 * frame and holding a link's traffic until the peer's hello names the expected id; 3 is the node
 * host's envelope (message id and Lamport clock) on every message between nodes.
 */
export const PROTOCOL_VERSION = 3

export const K_HELLO = 0
export const K_MSG = 1
export const K_REQ = 2
export const K_RES = 3
export const K_ERR = 4
export const K_BATCH = 5
/** The sender ends this connection in order: everything it wrote came before, nothing is pending. */
export const K_BYE = 6

export interface Hello {
  id: string
  control: boolean
  version: number
}

/** One complete frame: length, kind, optional msgpack uint32 correlation id, msgpack body. */
export function makeFrame(kind: number, id: number, body: unknown): Buffer {
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

export function helloFrame(id: string, control: boolean): Buffer {
  return Buffer.from(makeFrame(K_HELLO, -1, {id, control, v: PROTOCOL_VERSION}))
}

/** kind 6, body nil. */
export const BYE_FRAME = Buffer.from([0, 0, 0, 2, K_BYE, 0xc0])

/** Parses a hello body; a hello without `v` is version 1. Throws FrameError when malformed. */
export function parseHello(buf: Buffer, start: number, end: number): Hello {
  const h = decodeRange(buf, start, end) as {id?: unknown; control?: unknown; v?: unknown} | null
  if (!h || typeof h !== 'object' || typeof h.id !== 'string') throw new FrameError('malformed hello')
  const version = h.v === undefined ? 1 : h.v
  if (typeof version !== 'number' || !Number.isInteger(version)) throw new FrameError('malformed hello version')
  return {id: h.id, control: h.control === true, version}
}

export function corrId(buf: Buffer, start: number, end: number): number {
  if (end - start < 7 || buf[start + 1] !== 0xce) throw new FrameError('malformed correlation id')
  return readU32(buf, start + 2)
}
