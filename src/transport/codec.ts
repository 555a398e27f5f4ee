/**
 * The wire codec shared by TCP and UDP: msgpack bodies, and on TCP a 4-byte big-endian length
 * prefix per frame. One Packr and one Unpackr serve the whole process: neither keeps per-message
 * state once records are off, and reusing them is what makes msgpackr fast.
 */
import {C1, Packr, Unpackr, RESERVE_START_SPACE} from 'msgpackr'
import {FrameError} from './errors.js'

export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024

// useRecords: false keeps the output plain msgpack, decodable by any peer or language.
export const packr = new Packr({useRecords: false})
export const unpackr = new Unpackr({useRecords: false})
// msgpackr starts a fresh 8 KiB target whenever less than 2 KiB is left, i.e. after every 4 KiB
// message; later targets take the size of the current one, so start it larger. A returned frame
// keeps its whole target alive until dropped, which the socket does once it is written.
packr.useBuffer(Buffer.allocUnsafeSlow(128 * 1024))

/**
 * Packs `msg` leaving `reserve` free bytes in front for the caller's header. msgpackr never writes
 * over a buffer it has returned (it moves on or allocates), so the result can be queued as is.
 */
export function packWithHeader(msg: unknown, reserve: number): Buffer {
  return packr.pack(msg, RESERVE_START_SPACE | reserve)
}

export function writeU32(buf: Buffer, off: number, v: number): void {
  buf[off] = v >>> 24
  buf[off + 1] = (v >>> 16) & 0xff
  buf[off + 2] = (v >>> 8) & 0xff
  buf[off + 3] = v & 0xff
}

export function readU32(buf: Buffer, off: number): number {
  return ((buf[off]! << 24) >>> 0) + ((buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!)
}

/** 4-byte big-endian length + msgpack body. */
export function encodeFrame(msg: unknown): Buffer {
  const buf = packWithHeader(msg, 4)
  writeU32(buf, 0, buf.length - 4)
  return buf
}

/** Decodes exactly the bytes [start, end) of `buf` as one msgpack value; anything else is a FrameError. */
export function decodeRange(buf: Buffer, start: number, end: number): unknown {
  if (start >= end) throw new FrameError('empty msgpack body')
  let v: unknown
  try {
    // A subarray measured faster than unpack's {start, end} option (msgpackr caches a DataView per source).
    v = unpackr.unpack(start === 0 && end === buf.length ? buf : buf.subarray(start, end))
  } catch (err) {
    throw new FrameError(`undecodable msgpack: ${(err as Error)?.message ?? String(err)}`.slice(0, 200))
  }
  // msgpackr decodes the reserved byte 0xc1 to a marker instead of failing; no peer sends it.
  if (v === C1) throw new FrameError('undecodable msgpack: reserved byte 0xc1')
  return v
}

/** Decodes [start, end) as a sequence of msgpack values (a batch frame body). */
export function decodeSequence(buf: Buffer, start: number, end: number): unknown[] {
  if (start >= end) throw new FrameError('empty msgpack sequence')
  let vs: unknown[]
  try {
    vs = unpackr.unpackMultiple(buf.subarray(start, end)) as unknown[]
  } catch (err) {
    throw new FrameError(`undecodable msgpack: ${(err as Error)?.message ?? String(err)}`.slice(0, 200))
  }
  for (let i = 0; i < vs.length; i++) if (vs[i] === C1) throw new FrameError('undecodable msgpack: reserved byte 0xc1')
  return vs
}

export function decodeBody(buf: Buffer): unknown {
  return decodeRange(buf, 0, buf.length)
}

/**
 * Splits a byte stream into frames and hands each one over as (buffer, start, end) without copying,
 * except when a frame straddles chunks; then the pieces are joined once, when the frame is complete,
 * so a large frame arriving in many chunks costs one copy, not a quadratic series.
 */
export class FrameReader {
  private parts: Buffer[] = []
  private partsLen = 0
  private need = 0
  /** Set by the frame callback to stop mid-chunk (the connection is being closed). */
  stopped = false

  constructor(
    private readonly maxFrameBytes: number,
    private readonly onFrame: (buf: Buffer, start: number, end: number) => void,
  ) {}

  /** Bytes of an incomplete frame still held, for reporting truncation at end of stream. */
  get buffered(): number {
    return this.partsLen
  }

  push(chunk: Buffer): void {
    const n = chunk.length
    let off = 0
    if (this.partsLen > 0) {
      // Finish the frame that straddles chunks, copying only its own bytes, then go on in place.
      if (this.partsLen < 4) {
        const take = Math.min(4 - this.partsLen, n)
        this.parts.push(chunk.subarray(0, take))
        this.partsLen += take
        off = take
        if (this.partsLen < 4) return
        const head = Buffer.concat(this.parts, 4)
        this.parts = [head]
        this.need = 4 + this.checkLength(readU32(head, 0))
      }
      const missing = this.need - this.partsLen
      if (n - off < missing) {
        this.parts.push(off === 0 ? chunk : chunk.subarray(off))
        this.partsLen += n - off
        return
      }
      this.parts.push(chunk.subarray(off, off + missing))
      const frame = Buffer.concat(this.parts, this.need)
      this.parts = []
      this.partsLen = 0
      off += missing
      this.onFrame(frame, 4, frame.length)
      if (this.stopped) return
    }
    while (n - off >= 4) {
      const len = this.checkLength(readU32(chunk, off))
      const end = off + 4 + len
      if (end > n) break
      this.onFrame(chunk, off + 4, end)
      if (this.stopped) return
      off = end
    }
    if (off < n) {
      const rest = off === 0 ? chunk : chunk.subarray(off)
      this.parts.push(rest)
      this.partsLen = rest.length
      if (rest.length >= 4) this.need = 4 + readU32(rest, 0)
    }
  }

  private checkLength(len: number): number {
    if (len > this.maxFrameBytes) throw new FrameError(`frame of ${len} bytes exceeds the ${this.maxFrameBytes}-byte limit`)
    if (len === 0) throw new FrameError('zero-length frame')
    return len
  }
}

/** Push-style decoder for a stream of frames made by encodeFrame. */
export class FrameDecoder {
  private readonly reader: FrameReader
  private out: unknown[] = []

  constructor(opts?: {maxFrameBytes?: number}) {
    this.reader = new FrameReader(opts?.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, (buf, start, end) => {
      this.out.push(decodeRange(buf, start, end))
    })
  }

  /** Returns the messages completed by `chunk`; throws FrameError on an oversize or undecodable frame. */
  push(chunk: Buffer): unknown[] {
    this.out = []
    try {
      this.reader.push(chunk)
    } catch (err) {
      if (err instanceof FrameError) throw err
      throw new FrameError(String((err as Error)?.message ?? err))
    }
    return this.out
  }
}
