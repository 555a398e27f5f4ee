import {closeSync, fsyncSync, openSync, write, writeSync} from 'node:fs'
import {DtkError} from '../errors/index.js'
import {historyJSONL, type HistoryEntry} from '../kv/index.js'

/**
 * Where `dtk kv load` records its history: dtk's JSONL (../shared/histories/README.md), each
 * entry made by src/kv/history.ts (the same mapping the simulator's KV client uses) and written
 * in batches. A batch is serialised when it is full and at least every `flushMs`, and written by
 * the thread pool, one write at a time and in order, so the event loop keeps serving requests;
 * when the disk falls behind by more than `maxPendingBytes`, writes become synchronous (the load
 * slows down instead of memory growing). `close()` writes what is left, syncs and closes. A load
 * that is interrupted, or killed, leaves a file that ends at a line boundary or inside the last
 * batch: an operation whose completion was not written reads as an invoke without completion
 * (unknown), which is what it is.
 */
export class HistoryFile {
  /** Entries written (or batched). */
  entries = 0
  private batch: HistoryEntry[] = []
  /** Serialised text waiting for the write in flight to finish. */
  private queued: string[] = []
  private queuedBytes = 0
  private writing = false
  private failure: Error | null = null
  /** Resolved when the write in flight completes. */
  private waiters: Array<() => void> = []
  private fd: number | null
  private timer: NodeJS.Timeout | null = null

  private constructor(
    readonly path: string,
    fd: number,
    private readonly batchSize: number,
    private readonly maxPendingBytes: number,
  ) {
    this.fd = fd
  }

  /** Creates (or truncates) `path`. Throws the file system's error (the command reports it). */
  static open(path: string, opts: {batch?: number; flushMs?: number; maxPendingBytes?: number} = {}): HistoryFile {
    const f = new HistoryFile(path, openSync(path, 'w'), opts.batch ?? 2048, opts.maxPendingBytes ?? 64 << 20)
    f.timer = setInterval(() => f.flush(), opts.flushMs ?? 250)
    f.timer.unref()
    return f
  }

  push(e: HistoryEntry): void {
    this.batch.push(e)
    this.entries++
    if (this.batch.length >= this.batchSize) this.flush()
  }

  /** Serialises the batch and hands it to the writer. */
  flush(): void {
    if (this.batch.length === 0 || this.fd === null) return
    if (this.failure) {
      // The file cannot be written: close() reports it; keep nothing meanwhile.
      this.batch = []
      return
    }
    const text = historyJSONL(this.batch)
    this.batch = []
    this.queued.push(text)
    this.queuedBytes += text.length
    if (this.queuedBytes > this.maxPendingBytes && !this.writing) this.drainSync()
    else this.next()
  }

  private next(): void {
    if (this.writing || this.queued.length === 0 || this.fd === null || this.failure) return
    const text = this.queued.length === 1 ? this.queued[0]! : this.queued.join('')
    this.queued = []
    this.queuedBytes = 0
    this.writing = true
    const bytes = Buffer.from(text)
    const fd = this.fd
    const writeFrom = (off: number): void => {
      write(fd, bytes, off, bytes.length - off, null, (err, n) => {
        if (err) {
          this.failure = err
          this.queued = []
          this.queuedBytes = 0
        } else if (off + n < bytes.length) return writeFrom(off + n)
        this.writing = false
        for (const w of this.waiters.splice(0)) w()
        if (this.queued.length > 0 && !this.failure && !this.writing) this.next()
      })
    }
    writeFrom(0)
  }

  private drainSync(): void {
    if (this.fd === null) return
    const bytes = Buffer.from(this.queued.join(''))
    this.queued = []
    this.queuedBytes = 0
    for (let off = 0; off < bytes.length; ) off += writeSync(this.fd, bytes, off)
  }

  /**
   * When the writer is more than `maxPendingBytes` behind with a write in flight: a promise that
   * resolves when it has caught up (the load generator waits on it before invoking more).
   */
  backlog(): Promise<void> | null {
    if (this.queuedBytes <= this.maxPendingBytes || !this.writing) return null
    return new Promise<void>((r) => this.waiters.push(r))
  }

  /** Writes what is batched, syncs the file and closes it. Rejects with the first write error. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    if (this.fd === null) return
    this.flush()
    while (this.writing) await new Promise<void>((r) => this.waiters.push(r))
    const fd = this.fd
    this.fd = null
    try {
      if (this.failure) throw new DtkError(`cannot write the history to ${this.path}: ${this.failure.message}`)
      this.queuedBytes = 0
      const rest = Buffer.from(this.queued.join(''))
      this.queued = []
      for (let off = 0; off < rest.length; ) off += writeSync(fd, rest, off)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  }
}
