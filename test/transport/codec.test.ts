import {describe, expect, it} from 'vitest'
import fc from 'fast-check'
import {encodeFrame, FrameDecoder, FrameError} from '../../src/transport/index.js'

// msgpack has no -0 and JSON-ish values are all we promise; Buffers travel as bin and come back as Buffers.
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  v: fc.oneof(
    {depthSize: 'small'},
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({noNaN: true, noDefaultInfinity: true}).filter((x) => !Object.is(x, -0)),
    fc.string(),
    fc.string({unit: 'grapheme'}),
    fc.uint8Array({maxLength: 300}).map((a) => Buffer.from(a)),
    fc.array(tie('v'), {maxLength: 5}),
    fc.dictionary(fc.string().filter((k) => k !== '__proto__'), tie('v'), {maxKeys: 5}),
  ),
})).v

function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b)
  const parts: Buffer[] = []
  let prev = 0
  for (const p of points) {
    parts.push(buf.subarray(prev, p))
    prev = p
  }
  parts.push(buf.subarray(prev))
  return parts
}

describe('codec', () => {
  it('any message sequence survives encoding, concatenation and arbitrary splitting', () => {
    fc.assert(
      fc.property(fc.array(value, {maxLength: 20}), fc.array(fc.nat(), {maxLength: 30}), (msgs, cuts) => {
        const stream = Buffer.concat(msgs.map((m) => encodeFrame(m)))
        const dec = new FrameDecoder()
        const out: unknown[] = []
        for (const part of splitAt(stream, cuts)) out.push(...dec.push(part))
        expect(out).toEqual(msgs)
      }),
      {numRuns: 300},
    )
  })

  it('random bytes either decode frame by frame exactly as announced, or throw FrameError, nothing else', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({maxLength: 200}), {maxLength: 5}), (chunks) => {
        const stream = Buffer.concat(chunks.map((c) => Buffer.from(c)))
        // What a correct decoder must do with these bytes, worked out independently: walk the
        // length prefixes; the first bad prefix or body is an error, complete frames decode.
        let expectError = false
        let complete = 0
        for (let off = 0; off + 4 <= stream.length; ) {
          const len = stream.readUInt32BE(off)
          if (len === 0 || len > 1 << 16) {
            expectError = true
            break
          }
          if (off + 4 + len > stream.length) break
          try {
            new FrameDecoder().push(stream.subarray(off, off + 4 + len))
          } catch {
            expectError = true
            break
          }
          complete++
          off += 4 + len
        }
        const dec = new FrameDecoder({maxFrameBytes: 1 << 16})
        let out = 0
        let thrown: unknown
        try {
          for (const c of chunks) out += dec.push(Buffer.from(c)).length
        } catch (err) {
          thrown = err
        }
        if (expectError) expect(thrown).toBeInstanceOf(FrameError)
        else {
          expect(thrown).toBeUndefined()
          expect(out).toBe(complete)
        }
      }),
      {numRuns: 1000},
    )
  })

  it('a valid frame with one body byte changed decodes to a value or throws FrameError, and a truncating change always throws', () => {
    let threw = 0
    fc.assert(
      fc.property(value, fc.nat(), fc.integer({min: 0, max: 255}), (m, at, byte) => {
        const f = Buffer.from(encodeFrame(m))
        f[4 + (at % (f.length - 4))] = byte
        let out: unknown[] | undefined
        try {
          out = new FrameDecoder().push(f)
        } catch (err) {
          expect(err).toBeInstanceOf(FrameError)
          expect((err as Error).message).toMatch(/msgpack/)
          threw++
          return
        }
        expect(out).toHaveLength(1)
      }),
      {numRuns: 500},
    )
    expect(threw).toBeGreaterThan(0)
    // A map announcing more entries than the body holds cannot decode.
    const f = Buffer.from(encodeFrame({a: 1}))
    f[4] = 0x85 // fixmap of 5
    expect(() => new FrameDecoder().push(f)).toThrow(FrameError)
    expect(() => new FrameDecoder().push(f)).toThrow(/undecodable msgpack/)
  })

  it('checks the frame-size limit when the 4-byte length prefix arrives split across chunks', () => {
    const hdr = Buffer.alloc(4)
    hdr.writeUInt32BE(1025)
    for (const cut of [1, 2, 3]) {
      // a partial frame first, so the prefix is assembled from held bytes
      const dec = new FrameDecoder({maxFrameBytes: 1024})
      expect(dec.push(hdr.subarray(0, cut))).toEqual([])
      expect(() => dec.push(hdr.subarray(cut))).toThrow(/1025 bytes exceeds the 1024-byte limit/)
    }
    // the same with a complete frame before it in the first chunk
    const ok = encodeFrame('ok')
    const dec = new FrameDecoder({maxFrameBytes: 1024})
    expect(dec.push(Buffer.concat([ok, hdr.subarray(0, 2)]))).toEqual(['ok'])
    expect(() => dec.push(hdr.subarray(2))).toThrow(/exceeds/)
  })

  it('accepts a frame of exactly the limit and refuses one byte more, whole or split', () => {
    const limit = 1000
    const exact = encodeFrame(Buffer.alloc(limit - 3, 1)) // bin16 header: 3 bytes
    expect(exact.length - 4).toBe(limit)
    const over = encodeFrame(Buffer.alloc(limit - 2, 1))
    expect(over.length - 4).toBe(limit + 1)
    expect(new FrameDecoder({maxFrameBytes: limit}).push(exact)).toHaveLength(1)
    expect(() => new FrameDecoder({maxFrameBytes: limit}).push(over)).toThrow(FrameError)
    for (const cut of [2, 5, 500]) {
      const d1 = new FrameDecoder({maxFrameBytes: limit})
      expect([...d1.push(exact.subarray(0, cut)), ...d1.push(exact.subarray(cut))]).toHaveLength(1)
      const d2 = new FrameDecoder({maxFrameBytes: limit})
      expect(() => [...d2.push(over.subarray(0, cut)), ...d2.push(over.subarray(cut))]).toThrow(/exceeds/)
    }
  })

  it('rejects an oversize frame from its length prefix alone', () => {
    const dec = new FrameDecoder({maxFrameBytes: 1024})
    const hdr = Buffer.alloc(4)
    hdr.writeUInt32BE(1025)
    expect(() => dec.push(hdr)).toThrow(FrameError)
    expect(() => new FrameDecoder({maxFrameBytes: 10}).push(encodeFrame('x'.repeat(100)))).toThrow(/exceeds/)
    expect(() => new FrameDecoder().push(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow(FrameError)
  })

  it('rejects a zero-length and a truncated msgpack body', () => {
    expect(() => new FrameDecoder().push(Buffer.from([0, 0, 0, 0]))).toThrow(FrameError)
    const body = encodeFrame({a: 'hello'}).subarray(4, 8) // cut inside the map
    const hdr = Buffer.alloc(4)
    hdr.writeUInt32BE(body.length)
    expect(() => new FrameDecoder().push(Buffer.concat([hdr, body]))).toThrow(FrameError)
  })

  it('holds a partial frame until the rest arrives, also for large frames in many chunks', () => {
    const big = {blob: Buffer.alloc(300_000, 7), s: 'end'}
    const f = encodeFrame(big)
    const dec = new FrameDecoder()
    const out: unknown[] = []
    for (let i = 0; i < f.length; i += 1000) out.push(...dec.push(f.subarray(i, i + 1000)))
    expect(out).toHaveLength(1)
    const got = out[0] as typeof big
    expect(got.s).toBe('end')
    expect(got.blob.equals(big.blob)).toBe(true)
  })
})
