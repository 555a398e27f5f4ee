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

  it('random bytes either decode or throw FrameError, nothing else', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({maxLength: 200}), {maxLength: 5}), (chunks) => {
        const dec = new FrameDecoder({maxFrameBytes: 1 << 16})
        try {
          for (const c of chunks) dec.push(Buffer.from(c))
        } catch (err) {
          expect(err).toBeInstanceOf(FrameError)
        }
      }),
      {numRuns: 1000},
    )
  })

  it('valid frames with corrupted bodies throw FrameError', () => {
    fc.assert(
      fc.property(value, fc.nat(), fc.integer({min: 0, max: 255}), (m, at, byte) => {
        const f = Buffer.from(encodeFrame(m))
        if (f.length > 4) f[4 + (at % (f.length - 4))] = byte
        try {
          new FrameDecoder().push(f)
        } catch (err) {
          expect(err).toBeInstanceOf(FrameError)
        }
      }),
      {numRuns: 500},
    )
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
