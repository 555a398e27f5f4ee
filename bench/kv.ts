/**
 * The load generator against the single-node `kv-local` role (../shared/benchmarks.md, "Checking
 * histories": `dtk kv load` ≥ 0.8× the raw RPC echo rate at the same concurrency, so that it is
 * never the bottleneck of what it measures).
 *
 * One real kv-local node (`cluster up --role kv-local --nodes 1`, its writes fsync'd) and the
 * transport bench's echo process (bench/transport-echo-server.ts: a raw echo of 64-byte frames,
 * and a dtk transport echoing each request) run beside this process. At each concurrency C, in
 * alternating windows: the raw echo (bench/transport.ts's baseline), dtk `request()` to the echo
 * handler, and the load generator of `dtk kv load` (KvClient + KvLoad, writing its history to a
 * file) against kv-local with gets only, then with the default mix (half gets, a quarter puts, a
 * quarter cas: writes wait for fsync). The goal compares the gets-only load with the raw echo: it
 * measures the generator plus a node round trip, as the echo does, with no fsync in the way.
 */
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {cluster} from '../src/cluster/index.js'
import {HistoryFile, KvClient, KvLoad, kvTargets, type LoadSummary} from '../src/kvclient/index.js'
import type {Comparison, Figure, SuiteOptions, SuiteResult} from './report.js'
import {dtkRpc, rawRpc, startEcho, summarize, type RttRun} from './transport.js'

const ROUNDS = 3

interface LoadRun {
  ops: number
  secs: number
  p50: number
  p99: number
  info: number
  fail: number
}

async function generator(ref: {stateDir: string; name: string}, dir: string, concurrency: number, ms: number, readRatio: number, casRatio: number): Promise<LoadRun> {
  const {targets, lookup} = await kvTargets(ref, [], {all: true})
  const client = await KvClient.open({nodes: lookup})
  const history = HistoryFile.open(join(dir, `h-${concurrency}-${readRatio}.jsonl`))
  const run = (durationMs: number): Promise<LoadSummary> =>
    new KvLoad(client, {nodes: targets, concurrency, durationMs, keys: 100, keyPrefix: `b${Math.random().toString(36).slice(2, 8)}/`, readRatio, casRatio, seed: 1, history}).run()
  try {
    await run(Math.min(500, ms / 2)) // warm-up: connection, JIT
    const s = await run(ms)
    return {ops: s.completed, secs: s.elapsedMs / 1000, p50: s.latencyMs.p50, p99: s.latencyMs.p99, info: s.info, fail: s.fail - (s.errors.mismatch ?? 0)}
  } finally {
    await client.close()
    await history.close()
  }
}

function pool(runs: LoadRun[]): {perSec: number; p50: number; p99: number; info: number; fail: number} {
  const ops = runs.reduce((a, r) => a + r.ops, 0)
  const secs = runs.reduce((a, r) => a + r.secs, 0)
  // Percentiles of pooled windows: the median window's (each window's histogram is its own).
  const mid = [...runs].sort((a, b) => a.p99 - b.p99)[Math.floor(runs.length / 2)]!
  return {perSec: ops / secs, p50: mid.p50, p99: mid.p99, info: runs.reduce((a, r) => a + r.info, 0), fail: runs.reduce((a, r) => a + r.fail, 0)}
}

export default async function kv(opts: SuiteOptions): Promise<SuiteResult> {
  const dir = mkdtempSync(join(tmpdir(), 'dtk-bench-kv-'))
  const ref = {stateDir: dir, name: 'bench-kv'}
  const comparisons: Comparison[] = []
  const figures: Figure[] = []
  const echo = await startEcho()
  try {
    opts.progress('starting one kv-local node')
    await cluster.up({...ref, nodes: 1, role: 'kv-local', host: '127.0.0.1', waitMs: 60_000})
    const ms = opts.quick ? 600 : 1500
    // Both ends compile their hot paths over the first seconds of traffic: warm them before any window.
    opts.progress('warming up (3 s of the default mix at 64 in flight)')
    await generator(ref, dir, 64, opts.quick ? 1000 : 3000, 0.5, 0.25)
    for (const c of [1, 64]) {
      const raw: RttRun[] = []
      const req: RttRun[] = []
      const reads: LoadRun[] = []
      const mixed: LoadRun[] = []
      for (let i = 0; i < ROUNDS; i++) {
        raw.push(await rawRpc(echo.ports.raw, c, ms))
        req.push(await dtkRpc(echo.ports.dtk, c, ms))
        reads.push(await generator(ref, dir, c, ms, 1, 0))
        mixed.push(await generator(ref, dir, c, ms, 0.5, 0.25))
      }
      const r = summarize(raw)
      const q = summarize(req)
      const g = pool(reads)
      const m = pool(mixed)
      opts.progress(`${c} in flight: raw echo ${r.perSec.toFixed(0)}/s, request() ${q.perSec.toFixed(0)}/s, kv load gets ${g.perSec.toFixed(0)}/s, default mix ${m.perSec.toFixed(0)}/s`)
      if (g.info + g.fail + m.info + m.fail > 0) figures.push({name: `operations not ok (other than cas mismatches), ${c} in flight`, value: g.info + g.fail + m.info + m.fail, goal: '0', met: false})
      const extra = (x: {p50: number; p99: number}) => ({p50_ms: x.p50, p99_ms: x.p99})
      comparisons.push({
        name: `dtk kv load (gets) against kv-local, ${c} in flight`,
        dtk: {name: 'dtk kv load', value: g.perSec, unit: 'ops/s', extra: extra(g)},
        baseline: {name: 'raw echo', value: r.perSec, unit: 'round trips/s', extra: extra(r)},
        ratio: g.perSec / r.perSec,
        goal: '>= 0.8x raw echo at the same concurrency',
        met: g.perSec / r.perSec >= 0.8,
      })
      comparisons.push({
        name: `dtk kv load (gets) vs dtk request() to an echo handler, ${c} in flight`,
        dtk: {name: 'dtk kv load', value: g.perSec, unit: 'ops/s'},
        baseline: {name: 'request() echo', value: q.perSec, unit: 'req/s', extra: extra(q)},
        ratio: g.perSec / q.perSec,
      })
      comparisons.push({
        name: `dtk kv load (default mix: fsync'd puts and cas) vs raw echo, ${c} in flight`,
        dtk: {name: 'dtk kv load', value: m.perSec, unit: 'ops/s', extra: extra(m)},
        baseline: {name: 'raw echo', value: r.perSec, unit: 'round trips/s'},
        ratio: m.perSec / r.perSec,
      })
    }
  } finally {
    echo.stop()
    try {
      await cluster.down({...ref, purge: true, graceMs: 3000})
    } catch {
      // up failed and already stopped what it started
    }
    rmSync(dir, {recursive: true, force: true})
  }
  return {
    suite: 'kv',
    comparisons,
    figures,
    notes: [
      `${ROUNDS} alternating windows per contender (raw echo, request(), kv load gets, kv load mix), each after its own warm-up; rates over all windows`,
      'kv load: the library behind `dtk kv load` in this process, 100 keys, its history written to a file; kv-local: one `dtk node run` process, writes fsync\'d before the reply',
    ],
  }
}
