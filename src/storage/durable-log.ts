import {dirname, join, relative, sep} from 'node:path'
import type {DurableRecord, Recovered} from '../core/index.js'
import {LogBusyError, LogFailedError} from './errors.js'
import {RECORD_HEADER_BYTES, encodeFrame} from './frame.js'
import {nodeIo, type StorageIo} from './io.js'
import {checkName, recover, segmentFile} from './recover.js'

/**
 * The append log a host uses to make a core's `persist` records durable (docs/storage.md).
 *
 * Group commit, pipelined: every `persist` call made in one event-loop turn joins one batch,
 * written as one frame with one write and made durable with one fdatasync, both on libuv's
 * thread pool so timers and sockets keep running. While a batch is being synced the next one
 * accumulates, and goes out as soon as the sync completes (PostgreSQL's group commit behind
 * WALWriteLock; etcd batches the same way one raft Ready at a time). Calls resolve in the order
 * they were made. A failed write or sync fails every waiter and poisons the log: it is never
 * retried (PostgreSQL's fsyncgate: after a failed fsync the dirty pages may be gone).
 *
 * A snapshot record replaces everything before it: its frame starts a new segment (created,
 * written, fdatasynced, then the directory fsynced), and only then are older segments deleted.
 * A crash at any point recovers the old state or the new one (see recover.ts).
 */

export interface DurableLogOptions {
  /** File name stem: the log is `<name>.00000001.log`, … in `dir`. Letters, digits, '_' and '-'. */
  name: string
  /**
   * fdatasync every batch and fsync the directory after creating or deleting files (default
   * true). Without it records survive a process crash but not a power loss.
   */
  fsync?: boolean
  /** A new segment is started once the current one holds this many bytes (default 64 MiB). */
  segmentBytes?: number
  /** Largest frame body: one batch is cut before it; one `persist` call above it is refused (default 64 MiB). */
  maxBatchBytes?: number
  /** Read size while recovering (default 64 KiB). */
  chunkBytes?: number
  /**
   * Bytes of records waiting for a write (default 256 MiB). A `persist` that would exceed it is
   * refused with a LogBusyError, before anything is written, instead of queueing without bound.
   */
  maxPendingBytes?: number
  io?: StorageIo
}

export interface DurableLogStats {
  /** fdatasync calls on segment files: one per batch. */
  syncs: number
  /** Frames written: one per batch that had records. */
  batches: number
  /** `persist` calls resolved. */
  persists: number
  records: number
  /** The most `persist` calls one batch carried. */
  maxBatchPersists: number
  /** Obsolete segments that could not be deleted yet (retried at the next snapshot). */
  cleanupErrors: number
}

interface Waiter {
  records: DurableRecord[]
  bytes: number
  resolve: () => void
  reject: (err: Error) => void
}

interface Segment {
  n: number
  fd: number
  size: number
}

const MiB = 1024 * 1024
const DEFAULT_MAX_BODY = 64 * MiB

export class DurableLog {
  readonly stats: DurableLogStats = {syncs: 0, batches: 0, persists: 0, records: 0, maxBatchPersists: 0, cleanupErrors: 0}
  private pending: Waiter[] = []
  private pendingBytes = 0
  private scheduled = false
  private writing = false
  private failure: LogFailedError | null = null
  private closed: Promise<void> | null = null
  private idleWaiters: Array<() => void> = []

  private constructor(
    readonly dir: string,
    readonly name: string,
    private readonly io: StorageIo,
    private readonly fsync: boolean,
    private readonly segmentBytes: number,
    private readonly maxBodyBytes: number,
    private readonly maxPendingBytes: number,
    private readonly dirFd: number,
    /** The segment being appended to. */
    private seg: Segment,
    /** Segment numbers on disk, ascending, the current one last. */
    private live: number[],
    private nextSeq: number,
  ) {}

  static async open(dir: string, opts: DurableLogOptions): Promise<{log: DurableLog; recovered: Recovered}> {
    checkName(opts.name)
    const io = opts.io ?? nodeIo
    const fsync = opts.fsync ?? true
    const maxBodyBytes = opts.maxBatchBytes ?? DEFAULT_MAX_BODY
    const created = await io.mkdir(dir)
    if (created && fsync) await fsyncCreatedDirs(io, created, dir)
    const dirFd = await io.open(dir, 'r')
    const path = (n: number) => join(dir, segmentFile(opts.name, n))
    let seg: Segment | undefined
    try {
      // Reading accepts frames up to the default limit even when this open writes smaller ones.
      const readLimit = Math.max(maxBodyBytes, DEFAULT_MAX_BODY)
      const r = await recover(io, dir, opts.name, {chunkBytes: opts.chunkBytes ?? 64 * 1024, maxBodyBytes: readLimit})
      let live = r.live
      if (live.length === 0) {
        seg = {n: 1, fd: await io.open(path(1), 'wx'), size: 0}
        live = [1]
        if (fsync) await io.fsync(dirFd)
      } else {
        const n = live[live.length - 1]!
        seg = {n, fd: await io.open(path(n), 'r+'), size: r.end}
        if (r.recovered.truncatedBytes > 0) {
          await io.truncate(seg.fd, r.end)
          if (fsync) await io.fsync(seg.fd)
        }
      }
      for (const n of r.obsolete) await io.unlink(path(n))
      if (r.obsolete.length > 0 && fsync) await io.fsync(dirFd)
      const log = new DurableLog(dir, opts.name, io, fsync, opts.segmentBytes ?? 64 * MiB, maxBodyBytes, opts.maxPendingBytes ?? 256 * MiB, dirFd, seg, live, r.nextSeq)
      return {log, recovered: r.recovered}
    } catch (err) {
      if (seg) await io.close(seg.fd).catch(() => undefined)
      await io.close(dirFd).catch(() => undefined)
      throw err
    }
  }

  /**
   * Resolves once `records` are durable, after every earlier call has resolved. Rejects with a
   * LogFailedError when the log failed (see its `mayHaveHappened`); and, before anything is
   * written, with a RangeError when the records exceed `maxBatchBytes` or a LogBusyError when
   * `maxPendingBytes` already wait.
   */
  persist(records: readonly DurableRecord[]): Promise<void> {
    if (this.failure) return Promise.reject(this.refusal())
    if (this.closed) return Promise.reject(new LogFailedError(`log ${this.label} is closed: these records were not written`, false))
    let bytes = 0
    for (const r of records) {
      if ((r.type !== 'append' && r.type !== 'snapshot') || !(r.data instanceof Uint8Array)) {
        return Promise.reject(new TypeError(`log ${this.label}: a record is {type: 'append' | 'snapshot', data: Uint8Array}`))
      }
      bytes += RECORD_HEADER_BYTES + r.data.length
    }
    if (bytes > this.maxBodyBytes) {
      return Promise.reject(new RangeError(`log ${this.label}: ${bytes} bytes of records in one persist exceed maxBatchBytes (${this.maxBodyBytes}); nothing was written`))
    }
    if (this.pendingBytes > 0 && this.pendingBytes + bytes > this.maxPendingBytes) {
      return Promise.reject(new LogBusyError(`log ${this.label}: ${this.pendingBytes} bytes already wait for the disk (maxPendingBytes ${this.maxPendingBytes}); these records were not written`))
    }
    this.pendingBytes += bytes
    return new Promise((resolve, reject) => {
      // The core may reuse its output arrays once the host has taken them: keep our own.
      this.pending.push({records: records.slice(), bytes, resolve, reject})
      this.schedule()
    })
  }

  /** Waits for every accepted `persist` to settle, then closes the files. Later calls are refused. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await new Promise<void>((r) => (this.isIdle() ? r() : this.idleWaiters.push(r)))
      await this.io.close(this.seg.fd).catch(() => undefined)
      await this.io.close(this.dirFd).catch(() => undefined)
    })()
    return this.closed
  }

  /** The segment being appended to, and how many are on disk. */
  get segments(): {current: number; count: number; currentBytes: number} {
    return {current: this.seg.n, count: this.live.length, currentBytes: this.seg.size}
  }

  private get label(): string {
    return join(this.dir, this.name)
  }

  private isIdle(): boolean {
    return !this.writing && !this.scheduled && this.pending.length === 0
  }

  private schedule(): void {
    if (this.scheduled || this.writing) return
    this.scheduled = true
    setImmediate(this.flush)
  }

  private readonly flush = (): void => {
    this.scheduled = false
    if (this.writing) return
    if (this.pending.length === 0) return this.settleIdle()
    this.writing = true
    const batch = this.take()
    void this.commit(batch)
      .catch((err) => this.fail('commit', err, batch, true))
      .then(() => {
        this.writing = false
        if (this.pending.length > 0) this.schedule()
        else this.settleIdle()
      })
  }

  private settleIdle(): void {
    if (!this.isIdle()) return
    for (const r of this.idleWaiters.splice(0)) r()
  }

  /** The oldest waiters whose records fit one frame (at least one). */
  private take(): Waiter[] {
    let n = 0
    let bytes = 0
    while (n < this.pending.length && (n === 0 || bytes + this.pending[n]!.bytes <= this.maxBodyBytes)) bytes += this.pending[n++]!.bytes
    this.pendingBytes -= bytes
    return this.pending.splice(0, n)
  }

  private async commit(batch: Waiter[]): Promise<void> {
    let records: DurableRecord[] = []
    for (const w of batch) for (const r of w.records) records.push(r)
    let snap = -1
    for (let i = records.length - 1; i >= 0 && snap < 0; i--) if (records[i]!.type === 'snapshot') snap = i
    if (snap > 0) records = records.slice(snap) // the snapshot replaces what came before it
    let retired: Segment | null = null
    if (records.length > 0) {
      let step = 'create segment'
      let attempted = false
      let fresh: Segment | null = null
      try {
        const frame = encodeFrame(this.nextSeq, records)
        const roll = snap >= 0 ? this.seg.size > 0 : this.seg.size >= this.segmentBytes
        if (roll) fresh = {n: this.seg.n + 1, fd: await this.io.open(this.path(this.seg.n + 1), 'wx'), size: 0}
        const target = fresh ?? this.seg
        step = 'write'
        attempted = true
        await this.io.write(target.fd, frame, target.size)
        if (this.fsync) {
          step = 'fdatasync'
          await this.io.fdatasync(target.fd)
          this.stats.syncs++
          if (fresh) {
            step = 'directory fsync'
            await this.io.fsync(this.dirFd)
          }
        }
        target.size += frame.length
        this.nextSeq++
        if (fresh) {
          retired = this.seg
          this.seg = fresh
          this.live.push(fresh.n)
        }
      } catch (err) {
        if (fresh && fresh !== this.seg) await this.io.close(fresh.fd).catch(() => undefined)
        return this.fail(step, err, batch, attempted)
      }
      this.stats.batches++
      this.stats.records += records.length
    }
    this.stats.persists += batch.length
    this.stats.maxBatchPersists = Math.max(this.stats.maxBatchPersists, batch.length)
    for (const w of batch) w.resolve()
    if (retired) await this.io.close(retired.fd).catch(() => undefined)
    if (snap >= 0) await this.dropObsolete()
  }

  /** Deletes segments older than the current one (it starts with a snapshot), oldest first. */
  private async dropObsolete(): Promise<void> {
    let dropped = 0
    while (this.live.length > 1) {
      try {
        await this.io.unlink(this.path(this.live[0]!))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.stats.cleanupErrors++
          break
        }
      }
      this.live.shift()
      dropped++
    }
    if (dropped > 0 && this.fsync) await this.io.fsync(this.dirFd).catch(() => this.stats.cleanupErrors++)
  }

  private fail(step: string, err: unknown, batch: Waiter[], attempted: boolean): void {
    const why = `${step} failed (${err instanceof Error ? err.message : String(err)})`
    this.failure = new LogFailedError(`log ${this.label}: ${why}`, false, err)
    for (const w of batch) {
      w.reject(
        attempted
          ? new LogFailedError(`log ${this.label}: ${why}: these records may or may not be on disk; reopen the log to find out`, true, err)
          : new LogFailedError(`log ${this.label}: ${why}: these records were not written`, false, err),
      )
    }
    for (const w of this.pending.splice(0)) w.reject(this.refusal())
    this.pendingBytes = 0
  }

  private refusal(): LogFailedError {
    return new LogFailedError(`${this.failure!.message}; the log refuses writes until it is reopened: these records were not written`, false, this.failure)
  }

  private path(n: number): string {
    return join(this.dir, segmentFile(this.name, n))
  }
}

/** fsyncs the parent of the first created directory and every directory created down to `dir`. */
async function fsyncCreatedDirs(io: StorageIo, created: string, dir: string): Promise<void> {
  const chain = [dirname(created), created]
  let p = created
  for (const part of relative(created, dir).split(sep).filter(Boolean)) chain.push((p = join(p, part)))
  for (const d of chain) {
    const fd = await io.open(d, 'r')
    try {
      await io.fsync(fd)
    } finally {
      await io.close(fd)
    }
  }
}
