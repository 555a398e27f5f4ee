import {fmix32} from './murmur3.js'

/**
 * A set of keys as byte ranges of one buffer, one key per line: how `dtk ring stats` and
 * `dtk ring plan` hold a key file (or generated keys) without a string per key.
 */
export interface KeySet {
  buf: Uint8Array
  starts: Uint32Array
  ends: Uint32Array
  count: number
}

/**
 * The benchmark's synthetic keys (../shared/benchmarks.md): `user:<i>:<hex>` for i = 0…count−1,
 * hex the 8 hex digits of MurmurHash3's finaliser of i. Distinct, and the same everywhere.
 */
export function syntheticKey(i: number): string {
  return `user:${i}:${fmix32(i).toString(16).padStart(8, '0')}`
}

export function syntheticKeys(count: number): KeySet {
  const text = new TextEncoder().encode(Array.from({length: count}, (_, i) => syntheticKey(i)).join('\n') + (count > 0 ? '\n' : ''))
  return splitLines(text)
}

/** The non-empty lines of a buffer (a trailing `\r` is not part of the key). */
export function splitLines(buf: Uint8Array): KeySet {
  let lines = 0
  for (let i = 0; i < buf.length; i++) if (buf[i] === 10) lines++
  if (buf.length > 0 && buf[buf.length - 1] !== 10) lines++
  const starts = new Uint32Array(lines)
  const ends = new Uint32Array(lines)
  let count = 0
  let s = 0
  while (s < buf.length) {
    let e = buf.indexOf(10, s)
    if (e < 0) e = buf.length
    let end = e
    if (end > s && buf[end - 1] === 13) end--
    if (end > s) {
      starts[count] = s
      ends[count] = end
      count++
    }
    s = e + 1
  }
  return {buf, starts: starts.subarray(0, count), ends: ends.subarray(0, count), count}
}

export function keyAt(keys: KeySet, i: number): string {
  return decoder.decode(keys.buf.subarray(keys.starts[i]!, keys.ends[i]!))
}
const decoder = new TextDecoder()
