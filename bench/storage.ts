/**
 * Durable writes (../shared/benchmarks.md, "Durable writes"): dtk's DurableLog against a plain
 * loop of 256-byte appends and fdatasync, measured in the same run on the same file system:
 *  - 1 writer: `await log.persist([record])` in a loop vs `writeSync` + `fdatasyncSync` per record;
 *  - 64 concurrent writers (group commit) vs the loop writing 64 records per fdatasync;
 *  - for context, the plain loop with the sync off the event loop (fs.write + fs.fdatasync
 *    callbacks), the floor for anything that keeps timers running during a sync.
 * Windows of each contender alternate, so a change in the shared machine's disk latency hits
 * every side alike; rates and percentiles are over all windows.
 */
import fs from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {DurableLog} from '../src/storage/index.js'
import type {Comparison, SuiteOptions, SuiteResult} from './report.js'

const here = dirname(fileURLToPath(import.meta.url))
const RECORD = 256
const GROUP = 64

interface Run {
  ops: number
  secs: number
  /** Latency of each acknowledgement, ms. */
  lat: number[]
}

interface Summary {
  perSec: number
  p50: number
  p99: number
}

function summarize(runs: Run[]): Summary {
  const lat = Float64Array.from(runs.flatMap((r) => r.lat)).sort()
  const q = (x: number) => lat[Math.min(lat.length - 1, Math.floor(x * lat.length))] ?? NaN
  return {perSec: runs.reduce((a, r) => a + r.ops, 0) / runs.reduce((a, r) => a + r.secs, 0), p50: q(0.5), p99: q(0.99)}
}

const now = () => process.hrtime.bigint()
const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6

const FS_TYPES: Record<number, string> = {0xef53: 'ext4', 0x01021994: 'tmpfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x794c7630: 'overlayfs'}

/** A scratch directory on a real disk: os.tmpdir() when it shares the repository's file system, else `.bench-tmp` in the repository. */
function scratch(): {dir: string; fsType: string; cleanup: () => void} {
  const repo = join(here, '..', '..')
  const tmp = tmpdir()
  const usable = fs.statSync(tmp).dev === fs.statSync(repo).dev && fs.statfsSync(tmp).type !== 0x01021994
  const base = usable ? tmp : join(repo, '.bench-tmp')
  fs.mkdirSync(base, {recursive: true})
  const dir = fs.mkdtempSync(join(base, 'dtk-bench-storage-'))
  const type = fs.statfsSync(dir).type
  return {
    dir,
    fsType: FS_TYPES[type] ?? `0x${type.toString(16)}`,
    cleanup: () => {
      fs.rmSync(dir, {recursive: true, force: true})
      if (!usable && fs.readdirSync(base).length === 0) fs.rmdirSync(base)
    },
  }
}

/** The plain loop: `perSync` records in one write, then fdatasync, blocking the event loop. */
function plainLoop(fd: number, at: {pos: number}, perSync: number, windowMs: number): Run {
  const buf = Buffer.alloc(RECORD * perSync, 0x5a)
  const lat: number[] = []
  const t0 = now()
  const end = t0 + BigInt(windowMs * 1e6)
  let ops = 0
  let t = t0
  while (t < end) {
    fs.writeSync(fd, buf, 0, buf.length, at.pos)
    fs.fdatasyncSync(fd)
    at.pos += buf.length
    ops += perSync
    const t1 = now()
    lat.push(ms(t, t1))
    t = t1
  }
  return {ops, secs: ms(t0, t) / 1000, lat}
}

/** The same loop with write and fdatasync on libuv's thread pool. */
async function asyncLoop(fd: number, at: {pos: number}, windowMs: number): Promise<Run> {
  const buf = Buffer.alloc(RECORD, 0x5a)
  const write = () => new Promise<void>((res, rej) => fs.write(fd, buf, 0, RECORD, at.pos, (e) => (e ? rej(e) : res())))
  const sync = () => new Promise<void>((res, rej) => fs.fdatasync(fd, (e) => (e ? rej(e) : res())))
  const lat: number[] = []
  const t0 = now()
  const end = t0 + BigInt(windowMs * 1e6)
  let ops = 0
  let t = t0
  while (t < end) {
    await write()
    await sync()
    at.pos += RECORD
    ops++
    const t1 = now()
    lat.push(ms(t, t1))
    t = t1
  }
  return {ops, secs: ms(t0, t) / 1000, lat}
}

/** `writers` loops of `await log.persist([record])`. */
async function dtkWriters(log: DurableLog, writers: number, windowMs: number): Promise<Run> {
  const data = Buffer.alloc(RECORD, 0x5a)
  const lat: number[] = []
  const t0 = now()
  const end = t0 + BigInt(windowMs * 1e6)
  let ops = 0
  let last = t0
  const writer = async () => {
    for (let t = now(); t < end; ) {
      await log.persist([{type: 'append', data}])
      const t1 = now()
      lat.push(ms(t, t1))
      ops++
      t = last = t1
    }
  }
  await Promise.all(Array.from({length: writers}, writer))
  return {ops, secs: ms(t0, last) / 1000, lat}
}

function compare(name: string, dtk: Summary, base: Summary, baseName: string, goal?: string, min?: number): Comparison {
  const ratio = dtk.perSec / base.perSec
  return {
    name,
    dtk: {name: 'dtk', value: dtk.perSec, unit: 'records/s', extra: {p50_ms: dtk.p50, p99_ms: dtk.p99}},
    baseline: {name: baseName, value: base.perSec, unit: 'records/s', extra: {p50_ms: base.p50, p99_ms: base.p99}},
    ratio,
    ...(goal ? {goal, met: ratio >= min!} : {}),
  }
}

export default async function storage(opts: SuiteOptions): Promise<SuiteResult> {
  const rounds = opts.quick ? 2 : 5
  const windowMs = opts.quick ? 300 : 1000
  const s = scratch()
  const notes: string[] = []
  try {
    const open = (name: string) => fs.openSync(join(s.dir, name), 'w')
    const plainFd = open('plain.dat')
    const asyncFd = open('async.dat')
    const groupFd = open('plain64.dat')
    const pos = {plain: {pos: 0}, async: {pos: 0}, group: {pos: 0}}
    const {log: one} = await DurableLog.open(join(s.dir, 'one'), {name: 'bench'})
    const {log: many} = await DurableLog.open(join(s.dir, 'many'), {name: 'bench'})
    try {
      // Warm-up (JIT, file allocation), not measured.
      plainLoop(plainFd, pos.plain, 1, 100)
      await asyncLoop(asyncFd, pos.async, 100)
      await dtkWriters(one, 1, 100)
      plainLoop(groupFd, pos.group, GROUP, 100)
      await dtkWriters(many, GROUP, 100)

      const runs = {plain: [] as Run[], async: [] as Run[], dtk1: [] as Run[], plain64: [] as Run[], dtk64: [] as Run[]}
      const syncs0 = many.stats.syncs
      const persists0 = many.stats.persists
      for (let r = 0; r < rounds; r++) {
        runs.plain.push(plainLoop(plainFd, pos.plain, 1, windowMs))
        runs.dtk1.push(await dtkWriters(one, 1, windowMs))
        runs.async.push(await asyncLoop(asyncFd, pos.async, windowMs))
        runs.plain64.push(plainLoop(groupFd, pos.group, GROUP, windowMs))
        runs.dtk64.push(await dtkWriters(many, GROUP, windowMs))
        opts.progress(`round ${r + 1}/${rounds}: 1 writer dtk ${runs.dtk1.at(-1)!.ops} vs loop ${runs.plain.at(-1)!.ops}; 64 writers dtk ${runs.dtk64.at(-1)!.ops} vs loop ${runs.plain64.at(-1)!.ops}`)
      }
      const perSync = (many.stats.persists - persists0) / (many.stats.syncs - syncs0)
      const [plain, asyncS, dtk1, plain64, dtk64] = [runs.plain, runs.async, runs.dtk1, runs.plain64, runs.dtk64].map(summarize) as [Summary, Summary, Summary, Summary, Summary]
      notes.push(`files in ${s.dir} (${s.fsType}); ${rounds} alternating windows of ${windowMs} ms per contender; ${RECORD}-byte records`)
      notes.push(`64 writers: dtk averaged ${perSync.toFixed(1)} records per fdatasync (group commit); its p50/p99 are per persist, the loop's per sync of ${GROUP} records`)
      notes.push('the blocking loop stalls the event loop for every sync; dtk and the async loop keep it running, at the cost of a thread-pool round trip per sync')
      if (s.fsType === 'tmpfs') notes.push('WARNING: tmpfs ignores fdatasync; these figures mean nothing')
      return {
        suite: 'storage',
        comparisons: [
          compare('1 writer, 1 record per sync', dtk1, plain, 'write+fdatasync loop', '>= 0.9x the loop', 0.9),
          compare(`${GROUP} concurrent writers, group commit`, dtk64, plain64, `${GROUP}-records-per-sync loop`, `>= 0.7x the ${GROUP}-per-sync loop`, 0.7),
          compare('1 writer, against the loop with the sync off the event loop (context)', dtk1, asyncS, 'async write+fdatasync loop'),
        ],
        notes,
      }
    } finally {
      await one.close()
      await many.close()
      for (const fd of [plainFd, asyncFd, groupFd]) fs.closeSync(fd)
    }
  } finally {
    s.cleanup()
  }
}
