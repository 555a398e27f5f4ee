import {appendFileSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {AppendLog, CorruptLogError} from '../../src/storage/index.js'
import {tempDir} from '../helpers/cli.js'

/** The synchronous single-file log (kv-local): same recovery rules as DurableLog, docs/storage.md. */
describe('append log (synchronous)', () => {
  let dir: string
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  /** Appends `n` records; returns the file size after each. */
  const write = (path: string, n: number): number[] => {
    const {log} = AppendLog.open(path)
    const ends: number[] = []
    for (let i = 0; i < n; i++) {
      log.append(Buffer.from(`record-${i}`))
      ends.push(log.bytes)
    }
    log.close()
    return ends
  }

  it('returns every record appended before a reopen', () => {
    dir = tempDir('alog')
    const path = join(dir, 'a.log')
    write(path, 10)
    const {records, truncatedBytes, log} = AppendLog.open(path)
    log.close()
    expect(records.map(String)).toEqual(Array.from({length: 10}, (_, i) => `record-${i}`))
    expect(truncatedBytes).toBe(0)
  })

  it('recovers from a torn tail at every cut point: keeps the whole records, drops the partial one, and appends after it', () => {
    dir = tempDir('alog')
    const path = join(dir, 'a.log')
    const ends = write(path, 3)
    const full = readFileSync(path)
    const frameLen = ends[2]! - ends[1]!
    expect(frameLen).toBeGreaterThan(24)
    for (let cut = 1; cut < frameLen; cut++) {
      writeFileSync(path, full)
      truncateSync(path, full.length - cut)
      const {records, truncatedBytes, log} = AppendLog.open(path)
      expect(records.map(String)).toEqual(['record-0', 'record-1'])
      expect(truncatedBytes).toBe(frameLen - cut)
      expect(statSync(path).size).toBe(ends[1])
      log.append(Buffer.from('after'))
      log.close()
      const again = AppendLog.open(path)
      again.log.close()
      expect(again.records.map(String)).toEqual(['record-0', 'record-1', 'after'])
    }
  })

  it('refuses a record whose checksum does not match when records follow it, naming the file and offset', () => {
    dir = tempDir('alog')
    const path = join(dir, 'a.log')
    const ends = write(path, 3)
    const buf = readFileSync(path)
    buf[ends[0]! + 26]! ^= 0xff // a payload byte of the second record
    writeFileSync(path, buf)
    const err = (() => {
      try {
        AppendLog.open(path)
        return null
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(CorruptLogError)
    expect((err as CorruptLogError).file).toBe(path)
    expect((err as CorruptLogError).offset).toBe(ends[0])
    expect(readFileSync(path).equals(buf)).toBe(true)
  })

  it('treats a few bytes appended after the last record (less than a header) as a torn tail', () => {
    dir = tempDir('alog')
    const path = join(dir, 'a.log')
    write(path, 2)
    appendFileSync(path, Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]))
    const {records, truncatedBytes, log} = AppendLog.open(path)
    log.close()
    expect(records).toHaveLength(2)
    expect(truncatedBytes).toBe(7)
  })
})
