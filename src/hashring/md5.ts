/**
 * MD5 (RFC 1321), for ketama only: libketama and the npm `hashring` package place servers and
 * keys by MD5 digests, so a ketama-compatible ring must compute the same digests. MD5 is not used
 * for security here. dtk computes it in JavaScript rather than through `node:crypto` because a
 * key is a few dozen bytes and the call into native code costs more than the digest
 * (docs/hashring.md has the figures).
 *
 * The digest comes back as its four little-endian 32-bit words in `md5Out` (a, b, c, d): word 0 is
 * ketama's key hash, and each word is one of the four points a server gets per digest.
 */
export const md5Out = {a: 0, b: 0, c: 0, d: 0}

const S = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21]
/** K[i] = floor(2^32 · |sin(i + 1)|), as RFC 1321 defines the table. */
const K = new Int32Array(64).map((_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296) | 0)
/** Which message word step i reads. */
const G = Array.from({length: 64}, (_, i) => (i < 16 ? i : i < 32 ? (5 * i + 1) & 15 : i < 48 ? (3 * i + 5) & 15 : (7 * i) & 15))

const block = new Int32Array(16)
const encoder = new TextEncoder()
let scratch = new Uint8Array(256)

function compress(st: Int32Array, x: Int32Array): void {
  let a = st[0]!
  let b = st[1]!
  let c = st[2]!
  let d = st[3]!
  for (let i = 0; i < 64; i++) {
    let f: number
    if (i < 16) f = (b & c) | (~b & d)
    else if (i < 32) f = (d & b) | (~d & c)
    else if (i < 48) f = b ^ c ^ d
    else f = c ^ (b | ~d)
    const t = (a + f + K[i]! + x[G[i]!]!) | 0
    a = d
    d = c
    c = b
    const s = S[i]!
    b = (b + ((t << s) | (t >>> (32 - s)))) | 0
  }
  st[0] = (st[0]! + a) | 0
  st[1] = (st[1]! + b) | 0
  st[2] = (st[2]! + c) | 0
  st[3] = (st[3]! + d) | 0
}

const state = new Int32Array(4)

function init(): void {
  state[0] = 0x67452301
  state[1] = 0xefcdab89 | 0
  state[2] = 0x98badcfe | 0
  state[3] = 0x10325476
}

function done(): number {
  md5Out.a = state[0]! >>> 0
  md5Out.b = state[1]! >>> 0
  md5Out.c = state[2]! >>> 0
  md5Out.d = state[3]! >>> 0
  return md5Out.a
}

/** MD5 of bytes `m[start, end)`; returns word 0 (ketama's key hash), all four in `md5Out`. */
export function md5Bytes(m: Uint8Array, start: number, end: number): number {
  init()
  const len = end - start
  let p = start
  for (; end - p >= 64; p += 64) {
    for (let w = 0; w < 16; w++) {
      const o = p + w * 4
      block[w] = m[o]! | (m[o + 1]! << 8) | (m[o + 2]! << 16) | (m[o + 3]! << 24)
    }
    compress(state, block)
  }
  // The last bytes, the 0x80 marker, zero padding and the bit length (one or two blocks).
  block.fill(0)
  let j = 0
  for (; p < end; p++, j++) block[j >> 2]! |= m[p]! << ((j & 3) << 3)
  block[j >> 2]! |= 0x80 << ((j & 3) << 3)
  if (j >= 56) {
    compress(state, block)
    block.fill(0)
  }
  block[14] = (len * 8) | 0
  block[15] = Math.floor(len / 0x20000000)
  compress(state, block)
  return done()
}

/** MD5 of a string's UTF-8 bytes (ASCII strings are read directly, others encoded first). */
export function md5String(s: string): number {
  const len = s.length
  if (len >= 56) return md5Utf8(s)
  block.fill(0)
  let any = 0
  for (let j = 0; j < len; j++) {
    const c = s.charCodeAt(j)
    any |= c
    block[j >> 2]! |= c << ((j & 3) << 3)
  }
  if (any >= 0x80) return md5Utf8(s)
  block[len >> 2]! |= 0x80 << ((len & 3) << 3)
  block[14] = len * 8
  init()
  compress(state, block)
  return done()
}

function md5Utf8(s: string): number {
  if (scratch.length < s.length * 3) scratch = new Uint8Array(s.length * 3)
  const {written} = encoder.encodeInto(s, scratch)
  return md5Bytes(scratch, 0, written)
}
