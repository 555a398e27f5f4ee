import {closeSync, constants, fstatSync, openSync, write, writeSync} from 'node:fs'
import type {TraceRecord, TraceSink} from './types.js'

/**
 * Writes a trace as JSONL, buffered and asynchronous: records are joined in memory and written
 * one chunk (default 64 KiB) at a time, never a write per record. Each chunk is written at its
 * own file offset (`pwrite`), so chunks may complete in any order and the file still reads in
 * record order. Memory is bounded: when more than `maxPendingBytes` are waiting for the disk
 * (a producer that never yields, like a synchronous simulator run), the next chunk is written
 * synchronously instead of queued. `close()` writes what is left and waits for every chunk.
 */
export interface TraceWriterOptions {
  /** Bytes gathered before a write is issued. Default 64 KiB. */
  chunkBytes?: number
  /** Bytes in flight beyond which chunks are written synchronously. Default 8 MiB. */
  maxPendingBytes?: number
  /** Add to the end of an existing file instead of replacing it (a restarted node's trace). Default false. */
  append?: boolean
}

export class TraceWriter implements TraceSink {
  /** Records and bytes handed to the writer so far. */
  records = 0
  bytes = 0
  private parts: string[] = []
  private partChars = 0
  private position = 0
  private pendingBytes = 0
  private inflight = 0
  private error: Error | null = null
  private idle: (() => void) | null = null
  private fd: number
  private readonly chunkBytes: number
  private readonly maxPending: number

  constructor(
    readonly path: string,
    opts: TraceWriterOptions = {},
  ) {
    // Not O_APPEND: positional writes on an O_APPEND file would all land at the end, out of order.
    this.fd = openSync(path, opts.append ? constants.O_WRONLY | constants.O_CREAT : 'w')
    if (opts.append) this.position = fstatSync(this.fd).size
    this.chunkBytes = opts.chunkBytes ?? 64 * 1024
    this.maxPending = opts.maxPendingBytes ?? 8 * 1024 * 1024
  }

  record(r: TraceRecord): void {
    const line = JSON.stringify(r) + '\n'
    this.parts.push(line)
    this.partChars += line.length
    this.records++
    if (this.partChars >= this.chunkBytes) this.flush()
  }

  /** Issues a write of everything gathered so far (without waiting for it). */
  flush(): void {
    if (this.parts.length === 0 || this.fd < 0) return
    const buf = Buffer.from(this.parts.join(''), 'utf8')
    this.parts = []
    this.partChars = 0
    const pos = this.position
    this.position += buf.length
    this.bytes += buf.length
    if (this.pendingBytes + buf.length > this.maxPending) {
      try {
        let done = 0
        while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done, pos + done)
      } catch (e) {
        this.error ??= e as Error
      }
      return
    }
    this.pendingBytes += buf.length
    this.inflight++
    this.writeAt(buf, 0, pos)
  }

  private writeAt(buf: Buffer, off: number, pos: number): void {
    write(this.fd, buf, off, buf.length - off, pos, (err, n) => {
      if (err) {
        this.error ??= err
      } else if (off + n < buf.length) {
        return this.writeAt(buf, off + n, pos + n)
      }
      this.pendingBytes -= buf.length
      this.inflight--
      if (this.inflight === 0 && this.idle) this.idle()
    })
  }

  /** Writes the rest, waits for every write, closes the file; rejects if any write failed. */
  async close(): Promise<void> {
    if (this.fd < 0) return
    this.flush()
    if (this.inflight > 0) await new Promise<void>((resolve) => (this.idle = resolve))
    closeSync(this.fd)
    this.fd = -1
    if (this.error) throw new Error(`trace: writing ${this.path} failed: ${this.error.message}`)
  }
}

/** Keeps the records in memory (tests, and short runs inspected in the same process). */
export class MemoryTrace implements TraceSink {
  readonly records: TraceRecord[] = []

  record(r: TraceRecord): void {
    this.records.push(r)
  }

  /** The records as the JSONL a `TraceWriter` would have written. */
  toJSONL(): string {
    let s = ''
    for (const r of this.records) s += JSON.stringify(r) + '\n'
    return s
  }
}

/** Parses a JSONL trace (a file's text) back into records; throws on a malformed line. */
export function parseTrace(text: string): TraceRecord[] {
  const out: TraceRecord[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line === '') continue
    let r: unknown
    try {
      r = JSON.parse(line)
    } catch {
      throw new Error(`trace: line ${i + 1} is not JSON`)
    }
    if (!r || typeof r !== 'object' || typeof (r as {k?: unknown}).k !== 'string' || typeof (r as {t?: unknown}).t !== 'number') {
      throw new Error(`trace: line ${i + 1} has no kind (k) or time (t)`)
    }
    out.push(r as TraceRecord)
  }
  return out
}
