import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {basename, join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {DurableLog, nodeIo, segmentFile, type StorageIo} from '../../src/storage/index.js'
import {tempDir} from '../helpers/cli.js'
import {append, copyDir, dec, files, io, snapshot} from './helpers.js'

/** docs/storage.md, "Segments and snapshots": a snapshot replaces everything before it, and a crash at any step recovers the old state or the new one. */
describe('durable log snapshots', () => {
  let dir: string
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  const state = async (at: string) => {
    const r = await DurableLog.open(at, {name: 'wal'})
    await r.log.close()
    return {snapshot: dec(r.recovered.snapshot), records: r.recovered.records.map(dec)}
  }

  it('a snapshot replaces the records before it, also earlier ones in the same batch, and older segments are deleted', async () => {
    dir = tempDir('snap')
    const {log} = await DurableLog.open(dir, {name: 'wal', segmentBytes: 50})
    for (const s of ['a', 'b', 'c', 'd']) await log.persist([append(s)])
    expect(log.segments.count).toBeGreaterThanOrEqual(2)
    await Promise.all([log.persist([append('e')]), log.persist([append('f'), snapshot('S1'), append('g')]), log.persist([append('h')])])
    await log.close() // old segments are deleted after the snapshot's waiters resolve; close waits for that too
    expect(log.segments.count).toBe(1)
    expect(Object.keys(files(dir))).toEqual([segmentFile('wal', log.segments.current)])
    expect(await state(dir)).toEqual({snapshot: 'S1', records: ['g', 'h']})
  })

  it('a snapshot into an empty log, then more snapshots: only the newest one and what follows it come back', async () => {
    dir = tempDir('snap')
    const {log} = await DurableLog.open(dir, {name: 'wal'})
    await log.persist([snapshot('S0')])
    expect(log.segments.current).toBe(1) // written into the empty first segment, no new file
    await log.persist([append('a')])
    await log.persist([snapshot('S1')])
    await log.persist([append('b')])
    await log.persist([snapshot('S2'), append('c')])
    await log.close()
    expect(await state(dir)).toEqual({snapshot: 'S2', records: ['c']})
    expect(Object.keys(files(dir))).toHaveLength(1)
  })

  it('a crash at every step of a snapshot, and at every byte of its write, recovers the old state or the new one, never a mix; after it resolved, the new one', async () => {
    dir = tempDir('snap')
    const images: Array<{path: string; step: string; resolved: boolean}> = []
    let armed = false
    let resolved = false
    const crashes = join(dir, '..', `${basename(dir)}-crashes`)
    const image = (step: string) => {
      const path = join(crashes, String(images.length))
      copyDir(dir, path)
      images.push({path, step, resolved})
      return path
    }
    const wrap = <K extends keyof StorageIo>(name: K, f: StorageIo[K]): StorageIo[K] =>
      ((...args: unknown[]) => {
        if (armed) image(name)
        return (f as (...a: unknown[]) => unknown)(...args)
      }) as StorageIo[K]
    const files_ = new Map<number, string>()
    const crashIo = io({
      open: async (p, flags) => {
        if (armed && flags !== 'r') image(`open ${flags}`)
        const fd = await nodeIo.open(p, flags)
        files_.set(fd, basename(p))
        return fd
      },
      write: async (fd, buf, pos) => {
        if (armed) {
          // A crash part-way through this write: every prefix of the frame reached the file.
          for (let cut = 0; cut < buf.length; cut++) {
            const path = image(`write cut at ${cut}`)
            const f = join(path, files_.get(fd)!)
            const old = readFileSync(f)
            const out = Buffer.concat([old.subarray(0, pos), buf.subarray(0, cut)])
            writeFileSync(f, out)
          }
        }
        return nodeIo.write(fd, buf, pos)
      },
      fdatasync: wrap('fdatasync', nodeIo.fdatasync),
      fsync: wrap('fsync', nodeIo.fsync),
      unlink: wrap('unlink', nodeIo.unlink),
      truncate: wrap('truncate', nodeIo.truncate),
    })
    try {
      const {log} = await DurableLog.open(dir, {name: 'wal', io: crashIo})
      await log.persist([snapshot('S0')])
      await log.persist([append('a')])
      await log.persist([append('b')])
      armed = true
      await log.persist([append('c'), snapshot('S1'), append('d')]).then(() => (resolved = true))
      await log.close()
      armed = false
      image('closed')

      const before = {snapshot: 'S0', records: ['a', 'b']}
      const after = {snapshot: 'S1', records: ['d']}
      const steps = images.map((i) => i.step)
      expect(steps).toEqual(expect.arrayContaining(['open wx', 'write cut at 0', 'fdatasync', 'fsync', 'unlink', 'closed']))
      expect(images.length).toBeGreaterThan(20)
      const seen = new Set<string>()
      for (const img of images) {
        const got = await state(img.path)
        const which = JSON.stringify(got) === JSON.stringify(before) ? 'old' : JSON.stringify(got) === JSON.stringify(after) ? 'new' : 'mix'
        expect(which, `crash image "${img.step}" recovered ${JSON.stringify(got)}`).not.toBe('mix')
        if (img.resolved) expect(which, `crash image "${img.step}" after the persist resolved`).toBe('new')
        seen.add(which)
      }
      expect([...seen].sort()).toEqual(['new', 'old'])
    } finally {
      rmSync(crashes, {recursive: true, force: true})
    }
  })

  it('recovery finishes an interrupted cleanup: segments older than the newest snapshot are deleted on open', async () => {
    dir = tempDir('snap')
    let unlinks = 0
    const {log} = await DurableLog.open(dir, {
      name: 'wal',
      segmentBytes: 50,
      io: io({unlink: async () => void unlinks++}), // the deletes never happen, as if the process died first
    })
    for (const s of ['a', 'b', 'c', 'd', 'e']) await log.persist([append(s)])
    await log.persist([snapshot('S'), append('f')])
    await log.close()
    expect(unlinks).toBeGreaterThanOrEqual(3)
    expect(Object.keys(files(dir)).length).toBeGreaterThanOrEqual(4)
    expect(await state(dir)).toEqual({snapshot: 'S', records: ['f']})
    expect(Object.keys(files(dir))).toHaveLength(1)
  })
})
