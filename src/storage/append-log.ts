import {closeSync, existsSync, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, writeSync} from 'node:fs'
import {dirname} from 'node:path'
import {LogFailedError} from './errors.js'
import {encodeFrame} from './frame.js'
import {runSync} from './io.js'
import {scanSegment} from './scan.js'

/**
 * The synchronous, single-file form of the log, for hosts that acknowledge inside a synchronous
 * handler (the `kv-local` role): `append` writes one frame and fdatasyncs it before it returns,
 * blocking the event loop for the sync. Same frame format and the same recovery rules as
 * DurableLog (a torn tail is cut and counted, damage is refused with a CorruptLogError), but no
 * group commit, segments or snapshots. New code should use DurableLog.
 */
export interface AppendLogOpenResult {
  log: AppendLog
  records: Buffer[]
  /** Bytes cut from the end because they were a torn write. */
  truncatedBytes: number
}

const MAX_BODY = 64 * 1024 * 1024

export class AppendLog {
  private failure: Error | null = null

  private constructor(
    readonly path: string,
    private fd: number,
    private size: number,
    private seq: number,
    private readonly sync: boolean,
  ) {}

  static open(path: string, opts: {fsync?: boolean; chunkBytes?: number} = {}): AppendLogOpenResult {
    const sync = opts.fsync ?? true
    mkdirSync(dirname(path), {recursive: true})
    const existed = existsSync(path)
    const fd = openSync(path, existed ? 'r+' : 'wx+')
    try {
      if (!existed && sync) fsyncDir(dirname(path))
      const records: Buffer[] = []
      const scan = runSync(
        scanSegment({
          file: path,
          size: fstatSync(fd).size,
          firstSeq: 1,
          last: true,
          chunkBytes: opts.chunkBytes ?? 64 * 1024,
          maxBodyBytes: MAX_BODY,
          onFrame: (_seq, recs) => {
            for (const r of recs) records.push(r.data as Buffer)
          },
        }),
        fd,
      )
      if (scan.tornBytes > 0) {
        ftruncateSync(fd, scan.end)
        fsyncSync(fd)
      }
      return {log: new AppendLog(path, fd, scan.end, scan.nextSeq, sync), records, truncatedBytes: scan.tornBytes}
    } catch (err) {
      closeSync(fd)
      throw err
    }
  }

  /** Returns once `payload` is durable. A failed write or sync poisons the log (see LogFailedError). */
  append(payload: Buffer): void {
    if (this.failure) throw new LogFailedError(`append log ${this.path} refuses writes after an earlier failure (${this.failure.message}): this record was not written`, false, this.failure)
    if (payload.length + 5 > MAX_BODY) throw new RangeError(`append log ${this.path}: a record of ${payload.length} bytes is over the limit`)
    const frame = encodeFrame(this.seq, [{type: 'append', data: payload}])
    try {
      let written = 0
      while (written < frame.length) written += writeSync(this.fd, frame, written, frame.length - written, this.size + written)
      if (this.sync) fdatasyncSync(this.fd)
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err))
      throw new LogFailedError(`append log ${this.path}: ${this.failure.message}: this record may or may not be on disk`, true, err)
    }
    this.size += frame.length
    this.seq++
  }

  get bytes(): number {
    return this.size
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd)
    this.fd = -1
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
