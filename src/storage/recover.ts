import {join} from 'node:path'
import type {Recovered} from '../core/index.js'
import {CorruptLogError} from './errors.js'
import {runAsync, type StorageIo} from './io.js'
import {readFirstFrame, scanSegment} from './scan.js'

/**
 * Open-time recovery of a segmented log (docs/storage.md, "Segments and snapshots"). A log named
 * `kv` in `dir` is the files `kv.00000001.log`, `kv.00000002.log`, … A segment that starts with a
 * snapshot record makes every older segment obsolete, so recovery starts at the newest segment
 * whose first frame is whole, valid and begins with a snapshot (or at segment 1 when there is
 * none), checks that the segments from there on are consecutive and that frame sequence numbers
 * run on without a gap, and replays them. Nothing is changed on disk here: the caller truncates
 * the torn tail and deletes the obsolete segments only once all of this succeeded.
 */

export interface RecoverOptions {
  chunkBytes: number
  maxBodyBytes: number
}

export interface RecoveredLog {
  recovered: Recovered
  /** Segment numbers still in use, ascending; empty for a new log. */
  live: number[]
  /** Segments older than the newest snapshot, to delete. */
  obsolete: number[]
  /** Where the last live segment's valid data ends (a torn tail after it is to be cut). */
  end: number
  nextSeq: number
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/

export function checkName(name: string): void {
  if (!NAME.test(name)) throw new Error(`log name '${name}' must be 1–64 letters, digits, '_' or '-'`)
}

export function segmentFile(name: string, n: number): string {
  return `${name}.${String(n).padStart(8, '0')}.log`
}

export function listSegments(names: string[], name: string): number[] {
  const prefix = `${name}.`
  const out: number[] = []
  for (const f of names) {
    if (!f.startsWith(prefix) || !f.endsWith('.log')) continue
    const digits = f.slice(prefix.length, -4)
    if (/^\d{8,}$/.test(digits)) out.push(Number(digits))
  }
  return out.sort((a, b) => a - b)
}

export async function recover(io: StorageIo, dir: string, name: string, opts: RecoverOptions): Promise<RecoveredLog> {
  const segs = listSegments(await io.readdir(dir), name)
  const recovered: Recovered = {snapshot: null, records: [], truncatedBytes: 0}
  if (segs.length === 0) return {recovered, live: [], obsolete: [], end: 0, nextSeq: 1}
  const path = (n: number) => join(dir, segmentFile(name, n))

  let base = -1
  let firstSeq = 1
  for (let i = segs.length - 1; i >= 0 && base < 0; i--) {
    const first = await withFile(io, path(segs[i]!), async (fd, size) => runAsync(readFirstFrame(size, opts.chunkBytes, opts.maxBodyBytes), io, fd))
    if (first && first.records[0]?.type === 'snapshot') {
      base = i
      firstSeq = first.seq
    }
  }
  if (base < 0) {
    base = 0
    if (segs[0] !== 1) {
      throw new CorruptLogError(path(segs[0]!), 0, `the log starts at segment ${segs[0]}, whose first frame is not a whole, valid snapshot: either that frame is damaged or the segments before it are missing`)
    }
  }
  for (let i = base + 1; i < segs.length; i++) {
    if (segs[i] !== segs[i - 1]! + 1) throw new CorruptLogError(path(segs[i]!), 0, `segment ${segs[i - 1]! + 1} is missing before this one`)
  }

  let seq = firstSeq
  let end = 0
  for (let i = base; i < segs.length; i++) {
    const file = path(segs[i]!)
    const last = i === segs.length - 1
    const scan = await withFile(io, file, (fd, size) =>
      runAsync(
        scanSegment({
          file,
          size,
          firstSeq: seq,
          last,
          chunkBytes: opts.chunkBytes,
          maxBodyBytes: opts.maxBodyBytes,
          onFrame: (_seq, records) => {
            for (const r of records) {
              if (r.type === 'snapshot') {
                recovered.snapshot = r.data
                recovered.records = []
              } else recovered.records.push(r.data)
            }
          },
        }),
        io,
        fd,
      ),
    )
    seq = scan.nextSeq
    end = scan.end
    recovered.truncatedBytes = scan.tornBytes
  }
  return {recovered, live: segs.slice(base), obsolete: segs.slice(0, base), end, nextSeq: seq}
}

async function withFile<T>(io: StorageIo, file: string, fn: (fd: number, size: number) => Promise<T>): Promise<T> {
  const fd = await io.open(file, 'r')
  try {
    return await fn(fd, await io.size(fd))
  } finally {
    await io.close(fd)
  }
}
