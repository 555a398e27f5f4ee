/**
 * dtk's key hash: MurmurHash3_x86_128 (Austin Appleby, SMHasher, public domain), of which dtk
 * keeps the first 64 bits (h1 and h2 of the reference code). It uses only 32-bit operations, so
 * JavaScript runs it with `Math.imul` and no BigInt; docs/hashring.md has the measurements that
 * chose it over FNV-1a 64, xxHash64 and the native and WebAssembly xxHash packages.
 *
 * Keys are hashed as their UTF-8 bytes, so a string and the same line read from a file give the
 * same hash. The result comes back without allocating: the function returns the high 32 bits
 * (h2) and leaves both halves in `h64`.
 */

/** The last hash computed: `hi` is h2 and `lo` is h1 of MurmurHash3_x86_128 (unsigned). */
export const h64 = {hi: 0, lo: 0}

const C1 = 0x239b961b
const C2 = 0xab0e9789
const C3 = 0x38b34ae5
const C4 = 0xa1e38b93

const encoder = new TextEncoder()
let scratch = new Uint8Array(256)

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r))
}

/** MurmurHash3's 32-bit finaliser: a bijection that mixes every input bit into every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

function finish(h1: number, h2: number, h3: number, h4: number, len: number): number {
  h1 ^= len
  h2 ^= len
  h3 ^= len
  h4 ^= len
  h1 = (h1 + h2 + h3 + h4) | 0
  h2 = (h2 + h1) | 0
  h3 = (h3 + h1) | 0
  h4 = (h4 + h1) | 0
  h1 = fmix32(h1)
  h2 = fmix32(h2)
  h3 = fmix32(h3)
  h4 = fmix32(h4)
  h1 = (h1 + h2 + h3 + h4) | 0
  h2 = (h2 + h1) | 0
  h64.lo = h1 >>> 0
  h64.hi = h2 >>> 0
  return h64.hi
}

/** The hash of bytes `b[start, end)`; returns the high 32 bits, both halves in `h64`. */
export function murmur3Bytes(b: Uint8Array, start: number, end: number, seed = 0): number {
  let h1 = seed | 0
  let h2 = h1
  let h3 = h1
  let h4 = h1
  const len = end - start
  let i = start
  for (const blocks = start + (len & ~15); i < blocks; i += 16) {
    let k1 = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)
    let k2 = b[i + 4]! | (b[i + 5]! << 8) | (b[i + 6]! << 16) | (b[i + 7]! << 24)
    let k3 = b[i + 8]! | (b[i + 9]! << 8) | (b[i + 10]! << 16) | (b[i + 11]! << 24)
    let k4 = b[i + 12]! | (b[i + 13]! << 8) | (b[i + 14]! << 16) | (b[i + 15]! << 24)
    k1 = Math.imul(rotl(Math.imul(k1, C1), 15), C2)
    h1 ^= k1
    h1 = (Math.imul(((rotl(h1, 19) + h2) | 0), 5) + 0x561ccd1b) | 0
    k2 = Math.imul(rotl(Math.imul(k2, C2), 16), C3)
    h2 ^= k2
    h2 = (Math.imul(((rotl(h2, 17) + h3) | 0), 5) + 0x0bcaa747) | 0
    k3 = Math.imul(rotl(Math.imul(k3, C3), 17), C4)
    h3 ^= k3
    h3 = (Math.imul(((rotl(h3, 15) + h4) | 0), 5) + 0x96cd1c35) | 0
    k4 = Math.imul(rotl(Math.imul(k4, C4), 18), C1)
    h4 ^= k4
    h4 = (Math.imul(((rotl(h4, 13) + h1) | 0), 5) + 0x32ac3b17) | 0
  }
  // The tail, up to 15 bytes, read into four little-endian words.
  let k1 = 0
  let k2 = 0
  let k3 = 0
  let k4 = 0
  for (let j = 0; i < end; i++, j++) {
    const w = b[i]! << ((j & 3) << 3)
    if (j < 4) k1 |= w
    else if (j < 8) k2 |= w
    else if (j < 12) k3 |= w
    else k4 |= w
  }
  const t = len & 15
  if (t > 12) h4 ^= Math.imul(rotl(Math.imul(k4, C4), 18), C1)
  if (t > 8) h3 ^= Math.imul(rotl(Math.imul(k3, C3), 17), C4)
  if (t > 4) h2 ^= Math.imul(rotl(Math.imul(k2, C2), 16), C3)
  if (t > 0) h1 ^= Math.imul(rotl(Math.imul(k1, C1), 15), C2)
  return finish(h1, h2, h3, h4, len)
}

/**
 * The hash of a string's UTF-8 bytes. ASCII strings (the common case for keys) are read with
 * `charCodeAt` directly; any other string is encoded first.
 */
export function murmur3String(s: string, seed = 0): number {
  const len = s.length
  let any = 0
  let h1 = seed | 0
  let h2 = h1
  let h3 = h1
  let h4 = h1
  let i = 0
  for (const blocks = len & ~15; i < blocks; i += 16) {
    const a0 = s.charCodeAt(i), a1 = s.charCodeAt(i + 1), a2 = s.charCodeAt(i + 2), a3 = s.charCodeAt(i + 3)
    const b0 = s.charCodeAt(i + 4), b1 = s.charCodeAt(i + 5), b2 = s.charCodeAt(i + 6), b3 = s.charCodeAt(i + 7)
    const c0 = s.charCodeAt(i + 8), c1 = s.charCodeAt(i + 9), c2 = s.charCodeAt(i + 10), c3 = s.charCodeAt(i + 11)
    const d0 = s.charCodeAt(i + 12), d1 = s.charCodeAt(i + 13), d2 = s.charCodeAt(i + 14), d3 = s.charCodeAt(i + 15)
    any |= a0 | a1 | a2 | a3 | b0 | b1 | b2 | b3 | c0 | c1 | c2 | c3 | d0 | d1 | d2 | d3
    let k1 = a0 | (a1 << 8) | (a2 << 16) | (a3 << 24)
    let k2 = b0 | (b1 << 8) | (b2 << 16) | (b3 << 24)
    let k3 = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24)
    let k4 = d0 | (d1 << 8) | (d2 << 16) | (d3 << 24)
    k1 = Math.imul(rotl(Math.imul(k1, C1), 15), C2)
    h1 ^= k1
    h1 = (Math.imul(((rotl(h1, 19) + h2) | 0), 5) + 0x561ccd1b) | 0
    k2 = Math.imul(rotl(Math.imul(k2, C2), 16), C3)
    h2 ^= k2
    h2 = (Math.imul(((rotl(h2, 17) + h3) | 0), 5) + 0x0bcaa747) | 0
    k3 = Math.imul(rotl(Math.imul(k3, C3), 17), C4)
    h3 ^= k3
    h3 = (Math.imul(((rotl(h3, 15) + h4) | 0), 5) + 0x96cd1c35) | 0
    k4 = Math.imul(rotl(Math.imul(k4, C4), 18), C1)
    h4 ^= k4
    h4 = (Math.imul(((rotl(h4, 13) + h1) | 0), 5) + 0x32ac3b17) | 0
  }
  // The tail, up to 15 characters, read into four little-endian words.
  let k1 = 0
  let k2 = 0
  let k3 = 0
  let k4 = 0
  for (let j = 0; i < len; i++, j++) {
    const c = s.charCodeAt(i)
    any |= c
    const w = c << ((j & 3) << 3)
    if (j < 4) k1 |= w
    else if (j < 8) k2 |= w
    else if (j < 12) k3 |= w
    else k4 |= w
  }
  if (any >= 0x80) return utf8Hash(s, seed)
  const t = len & 15
  if (t > 12) h4 ^= Math.imul(rotl(Math.imul(k4, C4), 18), C1)
  if (t > 8) h3 ^= Math.imul(rotl(Math.imul(k3, C3), 17), C4)
  if (t > 4) h2 ^= Math.imul(rotl(Math.imul(k2, C2), 16), C3)
  if (t > 0) h1 ^= Math.imul(rotl(Math.imul(k1, C1), 15), C2)
  return finish(h1, h2, h3, h4, len)
}

function utf8Hash(s: string, seed: number): number {
  if (scratch.length < s.length * 3) scratch = new Uint8Array(s.length * 3)
  const {written} = encoder.encodeInto(s, scratch)
  return murmur3Bytes(scratch, 0, written, seed)
}

/** The hash of a 64-bit value given as two halves, as its 8 little-endian bytes. */
export function murmur3U64(hi: number, lo: number, seed: number): number {
  const b = u64Bytes
  b[0] = lo
  b[1] = lo >>> 8
  b[2] = lo >>> 16
  b[3] = lo >>> 24
  b[4] = hi
  b[5] = hi >>> 8
  b[6] = hi >>> 16
  b[7] = hi >>> 24
  return murmur3Bytes(b, 0, 8, seed)
}
const u64Bytes = new Uint8Array(8)
