import {appendFileSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {CorruptLogError, DurableLog, segmentFile} from '../../src/storage/index.js'
import {tempDir} from '../helpers/cli.js'
import {append, dec, files} from './helpers.js'

/** docs/storage.md, "Recovery": a torn tail is cut and reported; damage is refused with its file and offset. */
describe('durable log recovery', () => {
  let dir: string
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  /** Writes `n` records, one persist (one frame) each; returns the end offset of every frame. */
  async function write(n: number, body = (i: number) => `record-${i}`, opts = {}): Promise<number[]> {
    const {log} = await DurableLog.open(dir, {name: 'wal', ...opts})
    const ends: number[] = []
    for (let i = 0; i < n; i++) {
      await log.persist([append(body(i))])
      ends.push(log.segments.currentBytes)
    }
    await log.close()
    return ends
  }
  const seg1 = () => join(dir, segmentFile('wal', 1))
  const reopen = async () => {
    const r = await DurableLog.open(dir, {name: 'wal'})
    await r.log.close()
    return {records: r.recovered.records.map(dec), truncatedBytes: r.recovered.truncatedBytes, snapshot: r.recovered.snapshot}
  }
  const openError = async (): Promise<CorruptLogError> => {
    const err = await DurableLog.open(dir, {name: 'wal'}).then(
      () => null,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(CorruptLogError)
    return err as CorruptLogError
  }

  it('returns every record persisted before a reopen, and nothing was cut', async () => {
    dir = tempDir('wal')
    await write(10)
    expect(await reopen()).toEqual({records: Array.from({length: 10}, (_, i) => `record-${i}`), truncatedBytes: 0, snapshot: null})
  })

  it('a torn tail cut at every byte of the last frame recovers exactly the earlier records, reports the cut bytes, and appends after them', async () => {
    dir = tempDir('wal')
    const ends = await write(3)
    const full = readFileSync(seg1())
    const lastStart = ends[1]!
    const frameLen = ends[2]! - lastStart
    expect(frameLen).toBeGreaterThan(24)
    for (let keep = 0; keep < frameLen; keep++) {
      writeFileSync(seg1(), full.subarray(0, lastStart + keep))
      const {log, recovered} = await DurableLog.open(dir, {name: 'wal'})
      expect(recovered.records.map(dec), `keeping ${keep} bytes of the last frame`).toEqual(['record-0', 'record-1'])
      expect(recovered.truncatedBytes).toBe(keep)
      expect(readFileSync(seg1()).length).toBe(lastStart) // cut on disk, not only in memory
      await log.persist([append('after')])
      await log.close()
      expect((await reopen()).records).toEqual(['record-0', 'record-1', 'after'])
    }
  })

  it('a flipped byte anywhere in a middle frame is refused with the file and the frame offset, and nothing on disk changes', async () => {
    dir = tempDir('wal')
    const ends = await write(3)
    const full = readFileSync(seg1())
    const start = ends[0]!
    const positions = Array.from({length: ends[1]! - start}, (_, i) => start + i)
    expect(positions.length).toBeGreaterThan(24)
    for (const at of positions) {
      const bad = Buffer.from(full)
      bad[at]! ^= 0x01
      writeFileSync(seg1(), bad)
      const err = await openError()
      expect(err.file).toBe(seg1())
      expect(err.offset, `flipped byte ${at}`).toBe(start)
      expect(err.message).toContain(seg1())
      expect(err.message).toContain(`at byte ${start}`)
      expect(readFileSync(seg1()).equals(bad)).toBe(true)
    }
  })

  it('a flipped byte in the last frame, whole and with no zeroed sector, is damage, not a torn tail', async () => {
    dir = tempDir('wal')
    const ends = await write(3)
    const bad = readFileSync(seg1())
    bad[ends[1]! + 30]! ^= 0x80
    writeFileSync(seg1(), bad)
    const err = await openError()
    expect(err.offset).toBe(ends[1])
    expect(err.reason).toMatch(/not a torn write/)
  })

  it('a last frame with a sector that reads as zeros (a power loss mid-write) is a torn tail', async () => {
    dir = tempDir('wal')
    const ends = await write(3, (i) => (i === 2 ? 'x'.repeat(3000) : `record-${i}`))
    const torn = readFileSync(seg1())
    const sector = Math.ceil((ends[1]! + 600) / 512) * 512
    torn.fill(0, sector, sector + 512)
    writeFileSync(seg1(), torn)
    expect(await reopen()).toMatchObject({records: ['record-0', 'record-1'], truncatedBytes: ends[2]! - ends[1]!})
  })

  it('zeros after the last frame (a file system that extended the file) are a torn tail', async () => {
    dir = tempDir('wal')
    await write(2)
    appendFileSync(seg1(), Buffer.alloc(4096))
    expect(await reopen()).toMatchObject({records: ['record-0', 'record-1'], truncatedBytes: 4096})
  })

  it('fewer bytes than a frame header after the last frame are a torn tail', async () => {
    dir = tempDir('wal')
    await write(2)
    appendFileSync(seg1(), Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]))
    expect(await reopen()).toMatchObject({records: ['record-0', 'record-1'], truncatedBytes: 7})
  })

  it('a whole frame header of garbage after the last frame is refused: it is not what an interrupted write leaves', async () => {
    dir = tempDir('wal')
    const ends = await write(2)
    appendFileSync(seg1(), Buffer.alloc(64, 0xab))
    expect((await openError()).offset).toBe(ends[1])
  })

  it('a damaged frame followed by a later valid frame is corruption even at the end of the file', async () => {
    dir = tempDir('wal')
    const ends = await write(4)
    const bad = readFileSync(seg1())
    bad.fill(0, ends[1]!, ends[2]!) // frame 3 zeroed: it would look torn if nothing followed it
    writeFileSync(seg1(), bad)
    const err = await openError()
    expect(err.offset).toBe(ends[1])
    expect(err.reason).toMatch(/a later frame \(sequence 4 at byte \d+\) follows it/)
  })

  it('a torn end in a segment that is not the newest is corruption, and a missing segment is named', async () => {
    dir = tempDir('wal')
    await write(6, (i) => `record-${i}`, {segmentBytes: 50})
    const names = Object.keys(files(dir))
    expect(names.length).toBeGreaterThanOrEqual(3)
    const second = join(dir, segmentFile('wal', 2))
    const size = readFileSync(second).length
    truncateSync(second, size - 3)
    expect((await openError()).file).toBe(second)
    truncateSync(second, 0)
    unlinkSync(second)
    const err = await openError()
    expect(err.file).toBe(join(dir, segmentFile('wal', 3)))
    expect(err.reason).toMatch(/segment 2 is missing/)
  })

  it('a log whose first segment is gone and that has no snapshot is refused', async () => {
    dir = tempDir('wal')
    await write(6, (i) => `record-${i}`, {segmentBytes: 50})
    unlinkSync(seg1())
    expect((await openError()).reason).toMatch(/starts at segment 2/)
  })

  it('refuses a persist larger than maxBatchBytes before writing anything', async () => {
    dir = tempDir('wal')
    const {log} = await DurableLog.open(dir, {name: 'wal', maxBatchBytes: 1024})
    await expect(log.persist([append('x'.repeat(2000))])).rejects.toThrow(RangeError)
    await log.persist([append('small')])
    await log.close()
    expect((await reopen()).records).toEqual(['small'])
  })
})
