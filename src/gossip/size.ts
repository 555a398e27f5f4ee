/**
 * Encoded size of a plain value as MessagePack the way msgpackr (the codec dtk's transport uses)
 * writes it: exact for what gossip messages contain (maps with string keys, arrays, strings,
 * integers, booleans, null), an upper bound for floats (always counted as float64) and for other
 * MessagePack encoders (which may use 1-byte fixmap headers where msgpackr uses map16). Cores use it to keep every UDP message
 * within one datagram without encoding it.
 */
export function utf8Length(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4
      i++
    } else n += 3
  }
  return n
}

export function strSize(s: string): number {
  const l = utf8Length(s)
  return l + (l < 32 ? 1 : l < 256 ? 2 : l < 65536 ? 3 : 5)
}

export function intSize(v: number): number {
  if (!Number.isInteger(v)) return 9
  if (v >= 0) return v < 128 ? 1 : v < 256 ? 2 : v < 65536 ? 3 : v < 4294967296 ? 5 : 9
  return v >= -32 ? 1 : v >= -128 ? 2 : v >= -32768 ? 3 : v >= -2147483648 ? 5 : 9
}

function arrayHeaderSize(n: number): number {
  return n < 16 ? 1 : n < 65536 ? 3 : 5
}

/** msgpackr writes every map with a map16 header (3 bytes), even small ones. */
export function mapHeaderSize(n: number): number {
  return n < 65536 ? 3 : 5
}

export function encodedSize(v: unknown): number {
  switch (typeof v) {
    case 'string':
      return strSize(v)
    case 'number':
      return intSize(v)
    case 'boolean':
      return 1
    case 'undefined':
      return 3
    case 'object': {
      if (v === null) return 1
      if (Array.isArray(v)) {
        let n = arrayHeaderSize(v.length)
        for (const x of v) n += encodedSize(x)
        return n
      }
      let n = 0
      let count = 0
      for (const k in v as Record<string, unknown>) {
        const x = (v as Record<string, unknown>)[k]
        n += strSize(k) + encodedSize(x)
        count++
      }
      return n + mapHeaderSize(count)
    }
    default:
      return 9
  }
}
