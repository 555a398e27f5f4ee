import {rmSync} from 'node:fs'
import {afterEach, describe, expect, it} from 'vitest'
import {DurableLog, LogBusyError, LogFailedError, nodeIo} from '../../src/storage/index.js'
import {tempDir, waitFor} from '../helpers/cli.js'
import {append, dec, gate, io, turn} from './helpers.js'

/** docs/storage.md, "Group commit": one write and one fdatasync per event-loop turn, off the event loop, in order. */
describe('durable log group commit', () => {
  let dir: string
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  const reopen = async () => {
    const r = await DurableLog.open(dir, {name: 'wal'})
    await r.log.close()
    return r.recovered.records.map(dec)
  }

  it('N persists made in one turn share one write and one fdatasync, and resolve in the order they were made', async () => {
    dir = tempDir('gc')
    let syncs = 0
    let writes = 0
    const {log} = await DurableLog.open(dir, {
      name: 'wal',
      io: io({fdatasync: (fd) => (syncs++, nodeIo.fdatasync(fd)), write: (fd, b, p) => (writes++, nodeIo.write(fd, b, p))}),
    })
    const N = 50
    const order: number[] = []
    await Promise.all(Array.from({length: N}, (_, i) => log.persist([append(`r${i}`)]).then(() => order.push(i))))
    expect(order).toHaveLength(N)
    expect(order).toEqual(Array.from({length: N}, (_, i) => i))
    expect(syncs).toBe(1)
    expect(writes).toBe(1)
    expect(log.stats).toMatchObject({syncs: 1, batches: 1, persists: N, records: N, maxBatchPersists: N})
    await log.close()
    expect(await reopen()).toEqual(Array.from({length: N}, (_, i) => `r${i}`))
  })

  it('persists made while a sync is in flight wait for it and then share the next sync (pipelined group commit)', async () => {
    dir = tempDir('gc')
    const first = gate()
    const entered: number[] = []
    const {log} = await DurableLog.open(dir, {
      name: 'wal',
      io: io({
        fdatasync: async (fd) => {
          entered.push(Date.now())
          if (entered.length === 1) await first.wait
          return nodeIo.fdatasync(fd)
        },
      }),
    })
    const order: string[] = []
    const track = (name: string) => log.persist([append(name)]).then(() => order.push(name))
    const a = track('a')
    await waitFor(() => entered.length === 1, 5000, 'the first sync to start')
    const later = [track('b')]
    await turn()
    later.push(track('c'))
    await turn()
    later.push(track('d'))
    await turn()
    expect(order).toEqual([]) // nothing resolves while the first sync is held
    expect(entered).toHaveLength(1) // and no second sync starts before it completes
    first.open()
    await Promise.all([a, ...later])
    expect(order).toEqual(['a', 'b', 'c', 'd'])
    expect(entered).toHaveLength(2)
    expect(log.stats).toMatchObject({syncs: 2, batches: 2, maxBatchPersists: 3})
    await log.close()
    expect(await reopen()).toEqual(['a', 'b', 'c', 'd'])
  })

  it('timers keep firing while a slow sync is in flight: the sync is off the event loop', async () => {
    dir = tempDir('gc')
    const held = gate()
    let inSync = false
    const {log} = await DurableLog.open(dir, {
      name: 'wal',
      io: io({
        fdatasync: async (fd) => {
          inSync = true
          await held.wait
          return nodeIo.fdatasync(fd)
        },
      }),
    })
    let done = false
    const p = log.persist([append('slow')]).then(() => (done = true))
    await waitFor(() => inSync, 5000, 'the sync to start')
    let ticks = 0
    const timer = setInterval(() => ticks++, 5)
    try {
      await waitFor(() => ticks >= 5, 5000, 'five timer ticks during the sync')
      expect(done).toBe(false)
    } finally {
      clearInterval(timer)
    }
    held.open()
    await p
    expect(done).toBe(true)
    await log.close()
  })

  it('a failed fdatasync fails every waiter, says which may have happened, and poisons the log; no retry', async () => {
    dir = tempDir('gc')
    const held = gate()
    let syncs = 0
    const {log} = await DurableLog.open(dir, {
      name: 'wal',
      io: io({
        fdatasync: async () => {
          syncs++
          await held.wait
          throw Object.assign(new Error('EIO: i/o error, fdatasync'), {code: 'EIO'})
        },
      }),
    })
    const settle = (p: Promise<void>) => p.then(() => null, (e: unknown) => e as LogFailedError)
    const inFlight = [settle(log.persist([append('a')])), settle(log.persist([append('b')]))]
    await waitFor(() => syncs === 1, 5000, 'the sync to start')
    const queued = settle(log.persist([append('c')]))
    held.open()
    const errors = await Promise.all([...inFlight, queued])
    expect(errors).toHaveLength(3)
    for (const e of errors) expect(e).toBeInstanceOf(LogFailedError)
    expect(errors.map((e) => e!.mayHaveHappened)).toEqual([true, true, false])
    expect(errors[0]!.message).toMatch(/fdatasync failed \(EIO.*may or may not be on disk/)
    const after = await settle(log.persist([append('d')]))
    expect(after).toBeInstanceOf(LogFailedError)
    expect(after!.mayHaveHappened).toBe(false)
    expect(syncs).toBe(1)
    await log.close()
  })

  it('a failed write before anything reached the kernel reports that the records were certainly not written', async () => {
    dir = tempDir('gc')
    let full = false
    const noSpace = io({open: async (p, f) => (full && f === 'wx' ? Promise.reject(new Error('ENOSPC: no space left on device')) : nodeIo.open(p, f))})
    const {log} = await DurableLog.open(dir, {name: 'wal', segmentBytes: 1, io: noSpace})
    full = true
    await log.persist([append('fits in segment 1')])
    const err = await log.persist([append('needs segment 2')]).catch((e: unknown) => e as LogFailedError)
    expect(err).toBeInstanceOf(LogFailedError)
    expect(err!.mayHaveHappened).toBe(false)
    expect(err!.message).toMatch(/create segment failed .*not written/)
    await log.close()
    expect(await reopen()).toEqual(['fits in segment 1'])
  })

  it('the queue behind a slow sync is bounded: past maxPendingBytes a persist is refused, unwritten, and the log goes on', async () => {
    dir = tempDir('gc')
    const held = gate()
    let syncs = 0
    const {log} = await DurableLog.open(dir, {
      name: 'wal',
      maxPendingBytes: 100,
      io: io({
        fdatasync: async (fd) => {
          if (++syncs === 1) await held.wait
          return nodeIo.fdatasync(fd)
        },
      }),
    })
    const first = log.persist([append('in flight')])
    await waitFor(() => syncs === 1, 5000, 'the first sync to start')
    const queued = [log.persist([append('x'.repeat(40))]), log.persist([append('y'.repeat(40))])]
    const refused = await log.persist([append('z'.repeat(40))]).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(LogBusyError)
    expect((refused as LogBusyError).mayHaveHappened).toBe(false)
    held.open()
    await Promise.all([first, ...queued])
    await log.persist([append('after')])
    await log.close()
    expect(await reopen()).toEqual(['in flight', 'x'.repeat(40), 'y'.repeat(40), 'after'])
  })

  it('close waits for every accepted persist, then refuses new ones', async () => {
    dir = tempDir('gc')
    const {log} = await DurableLog.open(dir, {name: 'wal'})
    const accepted = Array.from({length: 10}, (_, i) => log.persist([append(`r${i}`)]))
    await log.close()
    await Promise.all(accepted)
    await expect(log.persist([append('late')])).rejects.toThrow(/closed/)
    expect(await reopen()).toEqual(Array.from({length: 10}, (_, i) => `r${i}`))
  })
})
