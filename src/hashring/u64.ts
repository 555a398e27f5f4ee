/**
 * Unsigned 64-bit arithmetic on two 32-bit halves, for jump hash's generator and rendezvous'
 * mixer. BigInt would be simpler and is several times slower; these functions return the low half
 * and leave the high half in `u64.hi`, so nothing is allocated.
 */
export const u64 = {hi: 0}

/** (ah·2^32 + al) · (bh·2^32 + bl) mod 2^64. */
export function mul64(ah: number, al: number, bh: number, bl: number): number {
  const a0 = al & 0xffff
  const a1 = al >>> 16
  const b0 = bl & 0xffff
  const b1 = bl >>> 16
  const p00 = a0 * b0
  const p10 = a1 * b0 + (p00 >>> 16)
  const p01 = a0 * b1 + (p10 & 0xffff)
  const lo = ((p01 << 16) | (p00 & 0xffff)) >>> 0
  const carry = a1 * b1 + Math.floor(p10 / 65536) + Math.floor(p01 / 65536)
  u64.hi = (carry + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0
  return lo
}

/** MurmurHash3's 64-bit finaliser (fmix64): a bijection of 64-bit values with full avalanche. */
export function fmix64(hi: number, lo: number): number {
  lo = (lo ^ (hi >>> 1)) >>> 0
  lo = mul64(hi, lo, 0xff51afd7, 0xed558ccd)
  hi = u64.hi
  lo = (lo ^ (hi >>> 1)) >>> 0
  lo = mul64(hi, lo, 0xc4ceb9fe, 0x1a85ec53)
  hi = u64.hi
  lo = (lo ^ (hi >>> 1)) >>> 0
  u64.hi = hi
  return lo
}

/** The top 53 bits of a 64-bit value as an exact double in [0, 2^53). */
export function top53(hi: number, lo: number): number {
  return hi * 2097152 + (lo >>> 11)
}

/** (hi·2^32 + lo) mod m, exactly, for m < 2^21. */
export function mod64(hi: number, lo: number, m: number): number {
  return ((hi % m) * 4294967296 + lo) % m
}
