import {closeSync, fsyncSync, openSync, writeSync} from 'node:fs'
import {historyJSONL, type HistoryEntry} from '../kv/index.js'

/**
 * Where `dtk kv load` records its history: dtk's JSONL (../shared/histories/README.md), each
 * entry made by src/kv/history.ts (the same mapping the simulator's KV client uses) and written
 * in batches. A batch goes to the file when it is full and at least every `flushMs`, so a load
 * that is interrupted, or killed, leaves a file that ends at a line boundary: an operation whose
 * completion was not written yet reads as an invoke without completion (unknown), which is what
 * it is.
 */
export class HistoryFile {
  /** Entries written (or batched). */
  entries = 0
  private batch: HistoryEntry[] = []
  private fd: number | null
  private timer: NodeJS.Timeout | null = null

  private constructor(
    readonly path: string,
    fd: number,
    private readonly batchSize: number,
  ) {
    this.fd = fd
  }

  /** Creates (or truncates) `path`. Throws the file system's error (the command reports it). */
  static open(path: string, opts: {batch?: number; flushMs?: number} = {}): HistoryFile {
    const f = new HistoryFile(path, openSync(path, 'w'), opts.batch ?? 2048)
    f.timer = setInterval(() => f.flush(), opts.flushMs ?? 250)
    f.timer.unref()
    return f
  }

  push(e: HistoryEntry): void {
    this.batch.push(e)
    this.entries++
    if (this.batch.length >= this.batchSize) this.flush()
  }

  flush(): void {
    if (this.batch.length === 0 || this.fd === null) return
    const bytes = Buffer.from(historyJSONL(this.batch))
    this.batch = []
    for (let off = 0; off < bytes.length; ) off += writeSync(this.fd, bytes, off)
  }

  /** Writes what is batched, syncs the file and closes it. */
  close(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    if (this.fd === null) return
    this.flush()
    fsyncSync(this.fd)
    closeSync(this.fd)
    this.fd = null
  }
}
