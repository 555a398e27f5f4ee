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

/** A contender: runs for one window and reports what it acknowledged. */
type Contender = (windowMs: number) => Promise<Run>

/** The plain loop: `perSync` records in one write, then fdatasync, blocking the event loop. */
function plainLoop(fd: number, perSync: number): Contender {
  const buf = Buffer.alloc(RECORD * perSync, 0x5a)
  let pos = 0
  return async (windowMs) => {
    const lat: number[] = []
    const t0 = now()
    const end = t0 + BigInt(windowMs * 1e6)
    let t = t0
    while (t < end) {
      fs.writeSync(fd, buf, 0, buf.length, pos)
      fs.fdatasyncSync(fd)
      pos += buf.length
      const t1 = now()
      lat.push(ms(t, t1))
      t = t1
    }
    return {ops: lat.length * perSync, secs: ms(t0, t) / 1000, lat}
  }
}

/** The same loop, one record per sync, with write and fdatasync on libuv's thread pool. */
function asyncLoop(fd: number): Contender {
  const buf = Buffer.alloc(RECORD, 0x5a)
  let pos = 0
  const write = () => new Promise<void>((res, rej) => fs.write(fd, buf, 0, RECORD, pos, (e) => (e ? rej(e) : res())))
  const sync = () => new Promise<void>((res, rej) => fs.fdatasync(fd, (e) => (e ? rej(e) : res())))
  return async (windowMs) => {
    const lat: number[] = []
    const t0 = now()
    const end = t0 + BigInt(windowMs * 1e6)
    let t = t0
    while (t < end) {
      await write()
      await sync()
      pos += RECORD
      const t1 = now()
      lat.push(ms(t, t1))
      t = t1
    }
    return {ops: lat.length, secs: ms(t0, t) / 1000, lat}
  }
}

/** `writers` concurrent loops of `await log.persist([record])`. */
function dtkWriters(log: DurableLog, writers: number): Contender {
  const data = Buffer.alloc(RECORD, 0x5a)
  return async (windowMs) => {
    const lat: number[] = []
    const t0 = now()
    const end = t0 + BigInt(windowMs * 1e6)
    let last = t0
    const writer = async () => {
      for (let t = now(); t < end; ) {
        await log.persist([{type: 'append', data}])
        const t1 = now()
        lat.push(ms(t, t1))
        t = last = t1
      }
    }
    await Promise.all(Array.from({length: writers}, writer))
    return {ops: lat.length, secs: ms(t0, last) / 1000, lat}
  }
}

/**
 * Runs every contender for `rounds` windows, taking turns. Each round uses the next permutation
 * of the contenders, so that each follows each other equally often: the window right after a
 * blocking loop's meets a disk still busy with it. Returns each contender's windows.
 */
async function alternate(contenders: Contender[], rounds: number, windowMs: number): Promise<Run[][]> {
  const out = contenders.map(() => [] as Run[])
  const orders = permutations(contenders.map((_, i) => i))
  for (const c of contenders) await c(Math.min(100, windowMs)) // warm-up: JIT, file allocation
  for (let r = 0; r < rounds; r++) {
    for (const i of orders[r % orders.length]!) out[i]!.push(await contenders[i]!(windowMs))
  }
  return out
}

function permutations(xs: number[]): number[][] {
  if (xs.length <= 1) return [xs]
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]))
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
  // Many short windows: the disk of a shared machine changes its latency within seconds, so
  // long windows would compare one contender's good second with another's bad one.
  const rounds = opts.quick ? 8 : 60
  const oneMs = 50
  const groupMs = 100
  const s = scratch()
  const notes: string[] = []
  const fds: number[] = []
  const logs: DurableLog[] = []
  try {
    const file = (name: string) => {
      fds.push(fs.openSync(join(s.dir, name), 'w'))
      return fds.at(-1)!
    }
    const log = async (name: string) => {
      logs.push((await DurableLog.open(join(s.dir, name), {name: 'bench'})).log)
      return logs.at(-1)!
    }
    const many = await log('many')
    const [plain, dtk1, asyncS] = (await alternate([plainLoop(file('plain.dat'), 1), dtkWriters(await log('one'), 1), asyncLoop(file('async.dat'))], rounds, oneMs)).map(summarize) as [Summary, Summary, Summary]
    opts.progress(`1 writer: dtk ${dtk1.perSec.toFixed(0)}/s, loop ${plain.perSec.toFixed(0)}/s, async loop ${asyncS.perSec.toFixed(0)}/s`)
    const syncs0 = many.stats.syncs
    const persists0 = many.stats.persists
    const [plain64, dtk64] = (await alternate([plainLoop(file('plain64.dat'), GROUP), dtkWriters(many, GROUP)], rounds, groupMs)).map(summarize) as [Summary, Summary]
    opts.progress(`64 writers: dtk ${dtk64.perSec.toFixed(0)}/s, loop ${plain64.perSec.toFixed(0)}/s`)
    const perSync = (many.stats.persists - persists0) / (many.stats.syncs - syncs0)
    notes.push(`files in ${s.dir} (${s.fsType}); ${RECORD}-byte records; ${rounds} windows per contender (${oneMs} ms with 1 writer, ${groupMs} ms with 64), taking turns in every order in turn`)
    notes.push(`64 writers: dtk averaged ${perSync.toFixed(1)} records per fdatasync (group commit, warm-up included); its p50/p99 are per persist, the loop's per sync of ${GROUP} records`)
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
    for (const l of logs) await l.close()
    for (const fd of fds) fs.closeSync(fd)
    s.cleanup()
  }
}
