import {crc32} from 'node:zlib'
import type {DurableRecord, Recovered} from '../core/index.js'
import type {Rng} from '../random/index.js'

/**
 * A simulated node's disk: one log per core, written in order, made durable by syncs. The model
 * is a power loss, the pessimistic crash (../shared/benchmarks.md measures the syncs it stands for):
 *
 * - a write goes to the disk's buffer; it is durable only once a sync that started after it has
 *   completed. Syncs run one at a time; records written while one runs join the next (group
 *   commit). Each sync takes a seeded random latency;
 * - a crash loses every record not yet durable. With probability `tornWrite` the first of them
 *   had partly reached the platters: that core's log ends in a torn record of 1 … n−1 of its n
 *   framed bytes, which recovery cuts off and reports as `truncatedBytes`;
 * - every durable record is stored with its CRC-32, as the real append log frames it (`u32 length
 *   | u32 crc | payload`, so a record costs 8 bytes more than its payload). Injected corruption
 *   flips a byte of one durable record; recovery then finds a checksum that does not match and
 *   the node refuses to start (a torn tail is short; a complete record that fails its checksum is
 *   corruption, never silently skipped);
 * - a `snapshot` record replaces everything its core logged before it, once durable.
 */
export interface DiskOptions {
  /**
   * Time one sync takes, ms: a constant, or a log-normal distribution given by its median and
   * 99th percentile. Default `{p50: 0.24, p99: 8}`: the fdatasync of one record measured on this
   * kind of machine (../shared/benchmarks.md: p50 0.24 ms, p99 ≈ 8 ms, about 1.4 k syncs/s; the
   * log-normal with those two points has a mean of 0.75 ms, i.e. 1.3 k syncs/s).
   */
  syncLatency?: number | {p50: number; p99: number}
  /** The longest a sync may take, ms (cuts the log-normal's tail). Default 100. */
  maxSyncLatency?: number
  /** Probability that a crash with unsynced records leaves the first of them torn. Default 0.5. */
  tornWrite?: number
}

export interface ResolvedDisk {
  median: number
  sigma: number
  max: number
  tornWrite: number
}

/** z such that P(Z ≤ z) = 0.99 for a standard normal Z. */
const Z99 = 2.3263478740408408
/** Bytes a record's frame adds to its payload: u32 length and u32 CRC-32. */
export const FRAME_OVERHEAD = 8

export function resolveDisk(o: DiskOptions | undefined): ResolvedDisk {
  const lat = o?.syncLatency ?? {p50: 0.24, p99: 8}
  const max = o?.maxSyncLatency ?? 100
  const tornWrite = o?.tornWrite ?? 0.5
  if (!(tornWrite >= 0 && tornWrite <= 1)) throw new Error('sim: disk tornWrite must be a probability in [0, 1]')
  if (typeof lat === 'number') {
    if (!(lat >= 0)) throw new Error('sim: disk syncLatency must be ≥ 0 ms')
    return {median: lat, sigma: 0, max: Math.max(max, lat), tornWrite}
  }
  if (!(lat.p50 > 0 && lat.p99 >= lat.p50)) throw new Error('sim: disk syncLatency needs 0 < p50 ≤ p99')
  return {median: lat.p50, sigma: Math.log(lat.p99 / lat.p50) / Z99, max, tornWrite}
}

interface Stored {
  data: Uint8Array
  crc: number
}

interface CoreLog {
  snapshot: Stored | null
  records: Stored[]
  /** Bytes of a torn record at the end of the log (cut off at the next recovery). */
  torn: number
}

interface Unsynced {
  core: string
  rec: DurableRecord
}

export type RecoverResult = {ok: true; recovered: Recovered} | {ok: false; record: 'snapshot' | number}

export class SimDisk {
  /** Sequence number of the last record written, and of the last one durable. */
  written = 0
  durable = 0
  private readonly logs = new Map<string, CoreLog>()
  /** Written, not yet durable, in write order: record `durable + 1 + i` is `unsynced[i]`. */
  private unsynced: Unsynced[] = []

  constructor(
    private readonly opts: ResolvedDisk,
    private readonly rng: Rng,
  ) {}

  /** Appends `recs` for `core`; returns the write sequence number of the last. */
  write(core: string, recs: readonly DurableRecord[]): number {
    for (const rec of recs) this.unsynced.push({core, rec})
    this.written += recs.length
    return this.written
  }

  get pending(): number {
    return this.unsynced.length
  }

  /** One sync's latency, ms (a draw from the disk's own stream). */
  syncLatency(): number {
    const o = this.opts
    if (o.sigma === 0) return o.median
    const x = o.median * Math.exp(o.sigma * this.rng.normal())
    return x < o.max ? x : o.max
  }

  /** A sync that began when `target` was the last record written has completed. Returns records made durable. */
  completeSync(target: number): number {
    const n = target - this.durable
    if (n <= 0) return 0
    for (let i = 0; i < n; i++) {
      const u = this.unsynced[i]!
      const log = this.logOf(u.core)
      const stored = {data: u.rec.data, crc: crc32(u.rec.data)}
      if (u.rec.type === 'snapshot') {
        log.snapshot = stored
        log.records = []
      } else {
        log.records.push(stored)
      }
      log.torn = 0
    }
    this.unsynced = this.unsynced.slice(n)
    this.durable = target
    return n
  }

  /** Power loss: unsynced records are lost, the first maybe torn. */
  crash(): {lost: number; torn: number} {
    const lost = this.unsynced.length
    let torn = 0
    if (lost > 0 && this.opts.tornWrite > 0 && this.rng.next() < this.opts.tornWrite) {
      const first = this.unsynced[0]!
      const frame = first.rec.data.length + FRAME_OVERHEAD
      torn = 1 + this.rng.int(frame - 1)
      this.logOf(first.core).torn = torn
    }
    this.unsynced = []
    this.written = this.durable
    return {lost, torn}
  }

  /** What `core` finds on disk at start; a record that fails its checksum refuses the start. */
  recover(core: string): RecoverResult {
    const log = this.logs.get(core)
    if (log === undefined) return {ok: true, recovered: {snapshot: null, records: [], truncatedBytes: 0}}
    if (log.snapshot !== null && crc32(log.snapshot.data) !== log.snapshot.crc) return {ok: false, record: 'snapshot'}
    for (let i = 0; i < log.records.length; i++) {
      const r = log.records[i]!
      if (crc32(r.data) !== r.crc) return {ok: false, record: i}
    }
    const truncatedBytes = log.torn
    log.torn = 0
    return {ok: true, recovered: {snapshot: log.snapshot?.data ?? null, records: log.records.map((r) => r.data), truncatedBytes}}
  }

  /**
   * Flips one byte of one durable record of `core` (any core with records when omitted), chosen
   * by the disk's stream. Returns what was hit, or null when there is no durable record.
   */
  corrupt(core?: string): {core: string; record: 'snapshot' | number} | null {
    const names = core !== undefined ? [core] : [...this.logs.keys()].sort()
    const targets: {core: string; record: 'snapshot' | number; stored: Stored}[] = []
    for (const name of names) {
      const log = this.logs.get(name)
      if (!log) continue
      if (log.snapshot && log.snapshot.data.length > 0) targets.push({core: name, record: 'snapshot', stored: log.snapshot})
      log.records.forEach((r, i) => r.data.length > 0 && targets.push({core: name, record: i, stored: r}))
    }
    if (targets.length === 0) return null
    const hit = targets[this.rng.int(targets.length)]!
    const data = Uint8Array.from(hit.stored.data)
    const at = this.rng.int(data.length)
    data[at] = data[at]! ^ (1 + this.rng.int(255))
    hit.stored.data = data
    return {core: hit.core, record: hit.record}
  }

  /** Forgets everything of `core` (every core when omitted): a replaced or reformatted disk. */
  wipe(core?: string): void {
    if (core === undefined) this.logs.clear()
    else this.logs.delete(core)
  }

  /** Durable bytes of `core`'s log as framed on a real disk (snapshot included). */
  bytesOf(core: string): number {
    const log = this.logs.get(core)
    if (!log) return 0
    let n = log.snapshot ? log.snapshot.data.length + FRAME_OVERHEAD : 0
    for (const r of log.records) n += r.data.length + FRAME_OVERHEAD
    return n
  }

  private logOf(core: string): CoreLog {
    let log = this.logs.get(core)
    if (log === undefined) {
      log = {snapshot: null, records: [], torn: 0}
      this.logs.set(core, log)
    }
    return log
  }
}
