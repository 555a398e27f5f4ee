import {rmSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {DurableLog, nodeIo, segmentFile} from '../../src/storage/index.js'
import {tempDir} from '../helpers/cli.js'
import {append, dec, io} from './helpers.js'

/** docs/storage.md, "Recovery": open reads a log in bounded chunks, never the whole file in one buffer. */
describe('durable log streaming recovery', () => {
  let dir: string
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  const watchedOpen = async (chunkBytes: number) => {
    const reads: number[] = []
    const r = await DurableLog.open(dir, {name: 'wal', chunkBytes, io: io({read: (fd, len, pos) => (reads.push(len), nodeIo.read(fd, len, pos))})})
    await r.log.close()
    return {recovered: r.recovered, reads}
  }

  it('opens a multi-megabyte log reading at most one chunk at a time, and returns every record', async () => {
    dir = tempDir('stream')
    const {log} = await DurableLog.open(dir, {name: 'wal'})
    const N = 20_000
    for (let i = 0; i < N; i += 100) {
      await Promise.all(Array.from({length: 100}, (_, j) => log.persist([append(`record-${i + j}-${'x'.repeat(100)}`)])))
    }
    await log.close()
    const size = statSync(join(dir, segmentFile('wal', 1))).size
    expect(size).toBeGreaterThan(2_000_000)
    const chunk = 64 * 1024
    const {recovered, reads} = await watchedOpen(chunk)
    expect(recovered.records).toHaveLength(N)
    expect(dec(recovered.records[N - 1]!)).toBe(`record-${N - 1}-${'x'.repeat(100)}`)
    expect(reads.length).toBeGreaterThan(size / chunk)
    expect(Math.max(...reads)).toBeLessThanOrEqual(chunk)
  })

  it('a frame larger than a chunk is read as one buffer of its own size, no more', async () => {
    dir = tempDir('stream')
    const {log} = await DurableLog.open(dir, {name: 'wal'})
    await log.persist([append('small')])
    await log.persist([append('y'.repeat(300_000))])
    await log.persist([append('small again')])
    await log.close()
    const {recovered, reads} = await watchedOpen(4096)
    expect(recovered.records.map((r) => r.length)).toEqual([5, 300_000, 11])
    expect(Math.max(...reads)).toBeGreaterThanOrEqual(300_000)
    expect(Math.max(...reads)).toBeLessThan(300_000 + 4096)
  })
})
