import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {CorruptLogError, DurableLog, segmentFile} from '../../src/storage/index.js'
import {tempDir} from '../helpers/cli.js'

/**
 * docs/storage.md, "Recovery", as properties over random logs and random damage: recovery never
 * returns a record that was not written, never skips one, and never drops a frame before the damage.
 */
describe('durable log recovery, randomized', () => {
  let root: string
  beforeAll(() => (root = tempDir('walprop')))
  afterAll(() => rmSync(root, {recursive: true, force: true}))

  /** A log of one frame per entry of `sizes`; returns its bytes and each frame's [start, end). */
  async function build(sizes: number[]): Promise<{dir: string; file: string; bytes: Buffer; frames: Array<[number, number]>; payloads: string[]}> {
    const dir = mkdtempSync(join(root, 'l-'))
    const {log} = await DurableLog.open(dir, {name: 'wal', fsync: false})
    const frames: Array<[number, number]> = []
    const payloads: string[] = []
    for (const [i, n] of sizes.entries()) {
      const start = log.segments.currentBytes
      const p = `${i}:`.padEnd(n, String.fromCharCode(97 + (i % 26)))
      payloads.push(p)
      await log.persist([{type: 'append', data: Buffer.from(p)}])
      frames.push([start, log.segments.currentBytes])
    }
    await log.close()
    const file = join(dir, segmentFile('wal', 1))
    return {dir, file, bytes: readFileSync(file), frames, payloads}
  }

  const open = async (dir: string) => {
    try {
      const r = await DurableLog.open(dir, {name: 'wal', fsync: false})
      await r.log.close()
      return {records: r.recovered.records.map((b) => Buffer.from(b).toString()), truncatedBytes: r.recovered.truncatedBytes}
    } catch (e) {
      if (e instanceof CorruptLogError) return e
      throw e
    }
  }
  const sizes = fc.array(fc.integer({min: 2, max: 1500}), {minLength: 1, maxLength: 8})

  it('a log cut anywhere recovers exactly the frames that end before the cut', async () => {
    await fc.assert(
      fc.asyncProperty(sizes, fc.double({min: 0, max: 1, noNaN: true}), async (s, where) => {
        const l = await build(s)
        const cut = Math.floor(where * l.bytes.length)
        writeFileSync(l.file, l.bytes.subarray(0, cut))
        const whole = l.frames.filter(([, end]) => end <= cut).length
        const got = await open(l.dir)
        expect(got).not.toBeInstanceOf(CorruptLogError)
        expect(got).toEqual({records: l.payloads.slice(0, whole), truncatedBytes: cut - (whole > 0 ? l.frames[whole - 1]![1] : 0)})
      }),
      {numRuns: 80},
    )
  })

  it('a flipped byte is refused at its frame, or (in the last frame only) cut as torn; never returned or skipped', async () => {
    await fc.assert(
      fc.asyncProperty(sizes, fc.double({min: 0, max: 1, noNaN: true, maxExcluded: true}), fc.integer({min: 1, max: 255}), async (s, where, x) => {
        const l = await build(s)
        const at = Math.floor(where * l.bytes.length)
        const bad = Buffer.from(l.bytes)
        bad[at]! ^= x
        writeFileSync(l.file, bad)
        const k = l.frames.findIndex(([a, b]) => at >= a && at < b)
        const got = await open(l.dir)
        if (got instanceof CorruptLogError) expect(got.offset).toBe(l.frames[k]![0])
        else {
          expect(k).toBe(l.frames.length - 1)
          expect(got.records).toEqual(l.payloads.slice(0, k))
        }
        if (k < l.frames.length - 1) expect(got).toBeInstanceOf(CorruptLogError)
      }),
      {numRuns: 120},
    )
  })

  it('a zeroed range is refused at its frame or cut as torn; with a whole frame after it, always refused', async () => {
    await fc.assert(
      fc.asyncProperty(sizes, fc.double({min: 0, max: 1, noNaN: true, maxExcluded: true}), fc.integer({min: 1, max: 3000}), async (s, where, len) => {
        const l = await build(s)
        const at = Math.floor(where * l.bytes.length)
        const bad = Buffer.from(l.bytes)
        bad.fill(0, at, Math.min(bad.length, at + len))
        if (bad.equals(l.bytes)) return
        writeFileSync(l.file, bad)
        const first = l.bytes.findIndex((b, i) => i >= at && b !== bad[i])
        const k = l.frames.findIndex(([a, b]) => first >= a && first < b)
        const got = await open(l.dir)
        if (got instanceof CorruptLogError) expect(got.offset).toBe(l.frames[k]![0])
        else expect(got.records).toEqual(l.payloads.slice(0, k))
        const intactAfter = l.frames.some(([a], j) => j > k && a >= at + len)
        if (intactAfter) expect(got).toBeInstanceOf(CorruptLogError)
      }),
      {numRuns: 120},
    )
  })
})
