import {appendFileSync, readFileSync, truncateSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {rmSync} from 'node:fs'
import {AppendLog} from '../../src/storage/index.js'
import {tempDir} from '../helpers/cli.js'

describe('append log', () => {
  let dir: string
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  const write = (path: string, n: number) => {
    const {log} = AppendLog.open(path)
    for (let i = 0; i < n; i++) log.append(Buffer.from(`record-${i}`))
    log.close()
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
    write(path, 3)
    const full = readFileSync(path)
    const recordLen = 8 + 'record-0'.length
    for (let cut = 1; cut < recordLen; cut++) {
      writeFileSync(path, full)
      truncateSync(path, full.length - cut)
      const {records, truncatedBytes, log} = AppendLog.open(path)
      expect(records.map(String)).toEqual(['record-0', 'record-1'])
      expect(truncatedBytes).toBe(recordLen - cut)
      log.append(Buffer.from('after'))
      log.close()
      const again = AppendLog.open(path)
      again.log.close()
      expect(again.records.map(String)).toEqual(['record-0', 'record-1', 'after'])
    }
  })

  it('stops at a record whose checksum does not match and never trusts what follows', () => {
    dir = tempDir('alog')
    const path = join(dir, 'a.log')
    write(path, 3)
    const buf = readFileSync(path)
    buf[16 + 8 + 2]! ^= 0xff // flip a payload byte of the second record (records are 16 bytes: 8 header + 8 payload)
    writeFileSync(path, buf)
    const {records, log} = AppendLog.open(path)
    log.close()
    expect(records.map(String)).toEqual(['record-0'])
  })

  it('treats garbage appended by something else as a torn tail', () => {
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
