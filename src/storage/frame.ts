import {crc32} from 'node:zlib'
import type {DurableRecord} from '../core/index.js'

/**
 * The on-disk frame: one frame per write, holding every record of one group commit.
 *
 * ```
 *  0  u32 magic  'DTKL'
 *  4  u32 body length (bytes, without padding)
 *  8  u64 sequence number: +1 per frame, across segments
 * 16  u32 crc32(body)
 * 20  u32 crc32(bytes 0..20)          (the header checks itself, so its length can be trusted)
 * 24  body: records, each  u8 type (1 append, 2 snapshot) | u32 length | payload
 *     zero padding to a multiple of 8 bytes
 * ```
 *
 * All integers are big-endian. The layout borrows from etcd's WAL (server/storage/wal: 8-byte
 * aligned records, a length that is never torn) and LevelDB's log format (a checksum per
 * physical record); the sequence number and the one-frame-per-write rule are what let recovery
 * tell a torn write from damage (see scan.ts and docs/storage.md).
 */
export const MAGIC = 0x44544b4c
export const HEADER_BYTES = 24
export const RECORD_HEADER_BYTES = 5
export const ALIGN = 8
export const TYPE_APPEND = 1
export const TYPE_SNAPSHOT = 2

const TWO_32 = 2 ** 32

export function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN
}

/** Bytes a frame with `bodyLength` bytes of body occupies on disk, padding included. */
export function frameBytes(bodyLength: number): number {
  return align(HEADER_BYTES + bodyLength)
}

/** Body bytes the records take in a frame. */
export function bodyBytes(records: readonly DurableRecord[]): number {
  let n = 0
  for (const r of records) n += RECORD_HEADER_BYTES + r.data.length
  return n
}

export function encodeFrame(seq: number, records: readonly DurableRecord[]): Buffer {
  const bodyLength = bodyBytes(records)
  const total = frameBytes(bodyLength)
  const buf = Buffer.allocUnsafe(total)
  let o = HEADER_BYTES
  for (const r of records) {
    buf[o] = r.type === 'snapshot' ? TYPE_SNAPSHOT : TYPE_APPEND
    buf.writeUInt32BE(r.data.length, o + 1)
    buf.set(r.data, o + RECORD_HEADER_BYTES)
    o += RECORD_HEADER_BYTES + r.data.length
  }
  buf.fill(0, o, total)
  buf.writeUInt32BE(MAGIC, 0)
  buf.writeUInt32BE(bodyLength, 4)
  buf.writeUInt32BE(Math.floor(seq / TWO_32), 8)
  buf.writeUInt32BE(seq >>> 0, 12)
  buf.writeUInt32BE(crc32(buf.subarray(HEADER_BYTES, HEADER_BYTES + bodyLength)), 16)
  buf.writeUInt32BE(crc32(buf.subarray(0, 20)), 20)
  return buf
}

export type Header = {ok: true; bodyLength: number; seq: number; bodyCrc: number} | {ok: false; reason: string}

/** Checks the 24-byte header at `buf[off..]` (the caller makes sure those bytes are there). */
export function parseHeader(buf: Buffer, off: number): Header {
  if (buf.readUInt32BE(off) !== MAGIC) return {ok: false, reason: 'no frame header (bad magic)'}
  if (crc32(buf.subarray(off, off + 20)) !== buf.readUInt32BE(off + 20)) return {ok: false, reason: 'frame header checksum mismatch'}
  return {
    ok: true,
    bodyLength: buf.readUInt32BE(off + 4),
    seq: buf.readUInt32BE(off + 8) * TWO_32 + buf.readUInt32BE(off + 12),
    bodyCrc: buf.readUInt32BE(off + 16),
  }
}

export function bodyChecksumOk(body: Buffer, expected: number): boolean {
  return crc32(body) === expected
}

/**
 * The records of a body whose checksum matched, each copied out of `body` (so the read buffer
 * can be dropped), or a reason why the body is malformed.
 */
export function decodeBody(body: Buffer): DurableRecord[] | string {
  const out: DurableRecord[] = []
  let o = 0
  while (o < body.length) {
    if (body.length - o < RECORD_HEADER_BYTES) return `record header cut short at body byte ${o}`
    const type = body[o]
    const len = body.readUInt32BE(o + 1)
    if (type !== TYPE_APPEND && type !== TYPE_SNAPSHOT) return `unknown record type ${type} at body byte ${o}`
    if (len > body.length - o - RECORD_HEADER_BYTES) return `record length ${len} runs past the frame at body byte ${o}`
    const data = Buffer.from(body.subarray(o + RECORD_HEADER_BYTES, o + RECORD_HEADER_BYTES + len))
    out.push({type: type === TYPE_SNAPSHOT ? 'snapshot' : 'append', data})
    o += RECORD_HEADER_BYTES + len
  }
  return out
}
