import type {DurableRecord} from '../core/index.js'
import {CorruptLogError} from './errors.js'
import {ALIGN, HEADER_BYTES, bodyChecksumOk, decodeBody, frameBytes, parseHeader, type Header} from './frame.js'

/**
 * Recovery of one segment file, as a sans-IO generator: it yields the byte ranges it wants and is
 * handed the bytes back, so the same rules run over synchronous reads (AppendLog) and
 * asynchronous ones (DurableLog), and tests can watch every read. It never holds more than one
 * chunk or one frame, whichever is larger, so opening a big log never loads the file whole.
 *
 * The rule that tells a torn tail from damage (docs/storage.md, "Recovery"):
 * - each write is one frame, and the log syncs a write before it starts the next, so only the
 *   newest segment's last frame can be torn by a crash. Damage in any other segment is corruption.
 * - a damaged frame at offset X of the newest segment is a torn tail, cut off with everything
 *   after it, only if no later frame follows it (no valid header with a higher sequence number
 *   anywhere after X) and the damage looks like an interrupted write: the header or the frame is
 *   cut short by the end of the file, or one of its sectors reads as zeros (etcd's isTornEntry,
 *   server/storage/wal/decoder.go: what a power loss leaves when only some sectors of a write
 *   reached the disk). Anything else, such as a flipped bit in a whole frame, is corruption: open
 *   fails with the file and the offset rather than dropping acknowledged records.
 */

export interface ReadRequest {
  pos: number
  len: number
}

/** A generator that asks for byte ranges and gets them back (shorter only at end of file). */
export type Reader<T> = Generator<ReadRequest, T, Buffer>

export interface ScanParams {
  /** Used in errors only. */
  file: string
  size: number
  /** The sequence number the first frame must carry. */
  firstSeq: number
  /** Only the newest segment may end in a torn write. */
  last: boolean
  /** Bytes read at a time when frames are small. A multiple of 512. */
  chunkBytes: number
  /** A header announcing a longer body is corruption. */
  maxBodyBytes: number
  onFrame(seq: number, records: DurableRecord[], offset: number): void
}

export interface SegmentScan {
  /** Offset just past the last whole, valid frame. */
  end: number
  /** The sequence number the next frame gets. */
  nextSeq: number
  /** Bytes after `end` that form a torn tail (0 when the segment ended cleanly). */
  tornBytes: number
  tornReason?: string
}

const SECTOR = 512

export function* scanSegment(p: ScanParams): Reader<SegmentScan> {
  const w = new Window(p.size, p.chunkBytes)
  let pos = 0
  let expect = p.firstSeq

  const damaged = function* (at: number, h: Header | null, reason: string): Reader<SegmentScan> {
    const corrupt = (why: string) => new CorruptLogError(p.file, at, why)
    if (!p.last) throw corrupt(`${reason} (not the newest segment, so not a torn write)`)
    const torn = (): SegmentScan => ({end: at, nextSeq: expect, tornBytes: p.size - at, tornReason: reason})
    if (!h || !h.ok) {
      if (p.size - at < HEADER_BYTES) return torn()
    } else if (at + frameBytes(h.bodyLength) > p.size) return torn()
    const later = yield* findLaterFrame(w, at + ALIGN, expect)
    if (later) throw corrupt(`${reason}, and a later frame (sequence ${later.seq} at byte ${later.offset}) follows it, so it is not a torn write`)
    const regionEnd = h && h.ok ? at + frameBytes(h.bodyLength) : p.size
    if (yield* hasZeroSector(w, at, regionEnd)) return torn()
    throw corrupt(`${reason}, in a frame that is whole and has no zeroed sector, so it is damage, not a torn write`)
  }

  while (pos < p.size) {
    if (p.size - pos < HEADER_BYTES) return yield* damaged(pos, null, `${p.size - pos} bytes left, less than a frame header`)
    yield* w.ensure(pos, HEADER_BYTES)
    const h = parseHeader(w.buf, pos - w.start)
    if (!h.ok) return yield* damaged(pos, h, h.reason)
    if (h.bodyLength > p.maxBodyBytes) {
      throw new CorruptLogError(p.file, pos, `frame body of ${h.bodyLength} bytes exceeds the limit of ${p.maxBodyBytes}`)
    }
    if (h.seq !== expect) throw new CorruptLogError(p.file, pos, `frame has sequence number ${h.seq}, expected ${expect}`)
    const total = frameBytes(h.bodyLength)
    if (pos + total > p.size) return yield* damaged(pos, h, `frame of ${total} bytes runs past the end of the file (${p.size - pos} bytes left)`)
    yield* w.ensure(pos, total)
    const o = pos - w.start + HEADER_BYTES
    const body = w.buf.subarray(o, o + h.bodyLength)
    if (!bodyChecksumOk(body, h.bodyCrc)) return yield* damaged(pos, h, 'frame checksum mismatch')
    const records = decodeBody(body)
    if (typeof records === 'string') throw new CorruptLogError(p.file, pos, `malformed frame body: ${records}`)
    for (let i = o + h.bodyLength; i < pos - w.start + total; i++) {
      if (w.buf[i] !== 0) throw new CorruptLogError(p.file, pos, `non-zero padding after the frame body (byte ${w.start + i})`)
    }
    p.onFrame(h.seq, records, pos)
    expect = h.seq + 1
    pos += total
  }
  return {end: pos, nextSeq: expect, tornBytes: 0}
}

/**
 * The segment's first frame when it is whole and valid (with its records), else null. Recovery
 * uses it to find the newest segment that starts with a snapshot.
 */
export function* readFirstFrame(size: number, chunkBytes: number, maxBodyBytes: number): Reader<{seq: number; records: DurableRecord[]} | null> {
  if (size < HEADER_BYTES) return null
  const w = new Window(size, chunkBytes)
  yield* w.ensure(0, HEADER_BYTES)
  const h = parseHeader(w.buf, 0)
  if (!h.ok || h.bodyLength > maxBodyBytes || frameBytes(h.bodyLength) > size) return null
  yield* w.ensure(0, HEADER_BYTES + h.bodyLength)
  const body = w.buf.subarray(HEADER_BYTES, HEADER_BYTES + h.bodyLength)
  if (!bodyChecksumOk(body, h.bodyCrc)) return null
  const records = decodeBody(body)
  return typeof records === 'string' ? null : {seq: h.seq, records}
}

/** A read buffer over part of the file: one chunk, or one frame when a frame is bigger. */
class Window {
  buf: Buffer = Buffer.alloc(0)
  start = 0
  constructor(
    readonly size: number,
    private readonly chunkBytes: number,
  ) {}

  *ensure(pos: number, n: number): Reader<void> {
    if (pos >= this.start && pos + n <= this.start + this.buf.length) return
    const len = Math.min(this.size - pos, Math.max(n, this.chunkBytes))
    const got = yield {pos, len}
    if (got.length < Math.min(n, len)) throw new Error(`short read at byte ${pos}: wanted ${n} bytes, got ${got.length} (did the file shrink?)`)
    this.buf = got
    this.start = pos
  }
}

/** A valid frame header with a sequence number above `seq`, at an aligned offset from `from` on. */
function* findLaterFrame(w: Window, from: number, seq: number): Reader<{seq: number; offset: number} | null> {
  const size = w.size
  let y = Math.ceil(from / ALIGN) * ALIGN
  while (y + HEADER_BYTES <= size) {
    yield* w.ensure(y, HEADER_BYTES)
    const end = w.start + w.buf.length
    for (; y + HEADER_BYTES <= end; y += ALIGN) {
      const o = y - w.start
      if (w.buf[o] !== 0x44) continue // cheap pre-check on the magic's first byte
      const h = parseHeader(w.buf, o)
      if (h.ok && h.seq > seq) return {seq: h.seq, offset: y}
    }
  }
  return null
}

/**
 * Whether [from, to) holds a sector that reads as zeros: a whole 512-byte aligned sector, or the
 * partial sector at `from` (the frame's start), or the partial sector that ends the file. A
 * partial piece must be at least 8 bytes, so that a frame's zero padding never counts.
 */
function* hasZeroSector(w: Window, from: number, to: number): Reader<boolean> {
  const size = w.size
  let s = from
  while (s < to) {
    const next = Math.min(to, (Math.floor(s / SECTOR) + 1) * SECTOR)
    const counts = next - s === SECTOR || ((s === from || next === size) && next - s >= ALIGN)
    if (counts) {
      yield* w.ensure(s, next - s)
      const o = s - w.start
      let zero = true
      for (let i = o; i < o + (next - s); i++) {
        if (w.buf[i] !== 0) {
          zero = false
          break
        }
      }
      if (zero) return true
    }
    s = next
  }
  return false
}
