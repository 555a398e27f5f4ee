import {createHash} from 'node:crypto'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {h64, md5Bytes, md5String, murmur3Bytes, murmur3String} from '../../src/hashring/index.js'
import {md5Out} from '../../src/hashring/md5.js'

const hex8 = (n: number) => n.toString(16).padStart(8, '0')

describe('the key hash is MurmurHash3_x86_128 (first 64 bits) of the UTF-8 bytes', () => {
  // The reference vectors of PeterScott/murmur3's test.c (hash[0] and hash[1] of x86_128).
  const vectors: Array<[number, string, string]> = [
    [123, 'Hello, world!', '61c9129e5a1aacd7'],
    [321, 'Hello, world!', 'd5fbdcb3c26c4193'],
    [123, 'xxxxxxxxxxxxxxxxxxxxxxxxxxxx', '5e40bab278825a16'],
    [123, '', 'fedc524526f3e799'],
  ]
  it('matches the reference implementation on its published vectors', () => {
    expect(vectors).toHaveLength(4)
    for (const [seed, text, want] of vectors) {
      murmur3String(text, seed)
      expect(hex8(h64.lo) + hex8(h64.hi), `${seed} ${text}`).toBe(want)
      const b = Buffer.from(text)
      murmur3Bytes(b, 0, b.length, seed)
      expect(hex8(h64.lo) + hex8(h64.hi)).toBe(want)
    }
  })

  it('hashes a string and its UTF-8 bytes in a larger buffer alike (any Unicode, any length)', () => {
    fc.assert(
      fc.property(fc.string({unit: 'binary', maxLength: 80}), fc.nat(40), fc.integer(), (s, pad, seed) => {
        const hi = murmur3String(s, seed)
        const lo = h64.lo
        const b = Buffer.concat([Buffer.alloc(pad, 7), Buffer.from(s), Buffer.alloc(3, 9)])
        expect(murmur3Bytes(b, pad, pad + Buffer.byteLength(s), seed)).toBe(hi)
        expect(h64.lo).toBe(lo)
      }),
      {seed: 1, numRuns: 200},
    )
  })
})

describe('ketama MD5 is RFC 1321 MD5', () => {
  it('equals node:crypto on strings and bytes of every length up to two blocks', () => {
    fc.assert(
      fc.property(fc.string({unit: 'binary', maxLength: 140}), (s) => {
        const want = createHash('md5').update(s).digest()
        const words = () => Buffer.from(new Uint32Array([md5Out.a, md5Out.b, md5Out.c, md5Out.d]).buffer)
        md5String(s)
        expect(words().equals(want)).toBe(true)
        const b = Buffer.from(s)
        md5Bytes(b, 0, b.length)
        expect(words().equals(want)).toBe(true)
      }),
      {seed: 2, numRuns: 500},
    )
  })
})
