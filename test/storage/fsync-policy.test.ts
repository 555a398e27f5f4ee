import {appendFileSync, rmSync} from 'node:fs'
import {basename, join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {DurableLog, nodeIo, segmentFile, type StorageIo} from '../../src/storage/index.js'
import {tempDir} from '../helpers/cli.js'
import {append, io} from './helpers.js'

/** docs/storage.md, "fsync policy": what is synced, and that it is synced before anyone is told. */
describe('durable log fsync policy', () => {
  let dir: string
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  /** nodeIo that logs every open, write, sync, truncate and unlink by file name. */
  function recorder(ops: string[]): StorageIo {
    const names = new Map<number, string>()
    const name = (fd: number) => names.get(fd) ?? `fd${fd}`
    return io({
      open: async (p, flags) => {
        const fd = await nodeIo.open(p, flags)
        names.set(fd, basename(p))
        if (flags !== 'r') ops.push(`open ${flags} ${basename(p)}`)
        return fd
      },
      write: async (fd, b, pos) => (ops.push(`write ${name(fd)}`), nodeIo.write(fd, b, pos)),
      fdatasync: async (fd) => (ops.push(`fdatasync ${name(fd)}`), nodeIo.fdatasync(fd)),
      fsync: async (fd) => (ops.push(`fsync ${name(fd)}`), nodeIo.fsync(fd)),
      truncate: async (fd, n) => (ops.push(`truncate ${name(fd)}`), nodeIo.truncate(fd, n)),
      unlink: async (p) => (ops.push(`unlink ${basename(p)}`), nodeIo.unlink(p)),
    })
  }

  it('a new log fsyncs the directories it created, then the directory after creating its first segment', async () => {
    dir = tempDir('fsync')
    const ops: string[] = []
    const {log} = await DurableLog.open(join(dir, 'a', 'b'), {name: 'wal', io: recorder(ops)})
    await log.close()
    expect(ops).toEqual([`fsync ${basename(dir)}`, 'fsync a', 'fsync b', `open wx ${segmentFile('wal', 1)}`, 'fsync b'])
  })

  it('a record in a new segment resolves only after the file is fdatasynced and then the directory fsynced', async () => {
    dir = tempDir('fsync')
    const ops: string[] = []
    const {log} = await DurableLog.open(dir, {name: 'wal', segmentBytes: 1, io: recorder(ops)})
    await log.persist([append('one')])
    ops.length = 0
    await log.persist([append('two')]).then(() => ops.push('resolved'))
    await log.close()
    const seg2 = segmentFile('wal', 2)
    expect(ops).toEqual([`open wx ${seg2}`, `write ${seg2}`, `fdatasync ${seg2}`, `fsync ${basename(dir)}`, 'resolved'])
  })

  it('a torn tail is cut and the cut fsynced before open returns', async () => {
    dir = tempDir('fsync')
    const {log} = await DurableLog.open(dir, {name: 'wal'})
    await log.persist([append('one')])
    await log.close()
    appendFileSync(join(dir, segmentFile('wal', 1)), Buffer.from([1, 2, 3]))
    const ops: string[] = []
    const again = await DurableLog.open(dir, {name: 'wal', io: recorder(ops)})
    await again.log.close()
    const seg1 = segmentFile('wal', 1)
    expect(again.recovered.truncatedBytes).toBe(3)
    expect(ops).toEqual([`open r+ ${seg1}`, `truncate ${seg1}`, `fsync ${seg1}`])
  })

  it('with fsync off, nothing is synced', async () => {
    dir = tempDir('fsync')
    const ops: string[] = []
    const {log} = await DurableLog.open(join(dir, 'x'), {name: 'wal', fsync: false, segmentBytes: 1, io: recorder(ops)})
    for (const s of ['a', 'b', 'c']) await log.persist([append(s)])
    await log.close()
    expect(ops.filter((o) => o.startsWith('write'))).toHaveLength(3)
    expect(ops.filter((o) => /sync/.test(o))).toEqual([])
  })
})
