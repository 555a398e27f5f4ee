import {closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync, existsSync} from 'node:fs'
import {dirname} from 'node:path'
import {crc32} from 'node:zlib'

/**
 * An append-only record log for state a protocol must remember across a crash. Each record is
 * `u32 length | u32 crc32(payload) | payload` and is fsynced before `append` returns, so anything
 * acknowledged after an append survives SIGKILL and power loss. On open, a torn or corrupt tail
 * (a record cut short by a crash, or whose checksum does not match) is truncated away: records
 * before it are kept, nothing after it is trusted.
 */
export interface AppendLogOpenResult {
  log: AppendLog
  records: Buffer[]
  /** Bytes cut from the end because they did not form a whole, valid record. */
  truncatedBytes: number
}

const HEADER = 8
const MAX_RECORD = 64 * 1024 * 1024

export class AppendLog {
  private constructor(
    readonly path: string,
    private fd: number,
    private size: number,
    private readonly sync: boolean,
  ) {}

  static open(path: string, opts: {fsync?: boolean} = {}): AppendLogOpenResult {
    mkdirSync(dirname(path), {recursive: true})
    const data = existsSync(path) ? readFileSync(path) : Buffer.alloc(0)
    const records: Buffer[] = []
    let off = 0
    while (off + HEADER <= data.length) {
      const len = data.readUInt32BE(off)
      const sum = data.readUInt32BE(off + 4)
      if (len > MAX_RECORD || off + HEADER + len > data.length) break
      const payload = data.subarray(off + HEADER, off + HEADER + len)
      if (crc32(payload) !== sum) break
      records.push(Buffer.from(payload))
      off += HEADER + len
    }
    const fd = openSync(path, existsSync(path) ? 'r+' : 'w+')
    const truncatedBytes = data.length - off
    if (truncatedBytes > 0) {
      ftruncateSync(fd, off)
      fsyncSync(fd)
    }
    return {log: new AppendLog(path, fd, off, opts.fsync ?? true), records, truncatedBytes}
  }

  append(payload: Buffer): void {
    const frame = Buffer.allocUnsafe(HEADER + payload.length)
    frame.writeUInt32BE(payload.length, 0)
    frame.writeUInt32BE(crc32(payload), 4)
    payload.copy(frame, HEADER)
    let written = 0
    while (written < frame.length) written += writeSync(this.fd, frame, written, frame.length - written, this.size + written)
    this.size += frame.length
    if (this.sync) fsyncSync(this.fd)
  }

  get bytes(): number {
    return this.size
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd)
    this.fd = -1
  }
}
