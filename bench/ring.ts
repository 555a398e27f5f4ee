/**
 * Consistent hashing (`npm run bench -- ring`), against ../shared/benchmarks.md:
 *
 * - lookups/s at 10 and 100 nodes for every algorithm, next to the npm `hashring` package (ketama,
 *   the baseline) in the same process, on 1,000,000 distinct keys `user:<i>:<hex>`, best of 3
 *   after a warm-up: ketama-compatible ≥ 1.5× hashring, the default ring ≥ 10×;
 * - `dtk ring lookup` through a pipe next to a Node.js line pass-through (readline, append a tab
 *   and a constant, write in batches) on the same 1M-key file: ≥ 0.5×;
 * - max/mean load at 1M keys and keys moved by a join (N → N+1) against the ideal K/(N+1);
 * - the live move on real processes (bench/ring-live.ts): 5 shard nodes, 100 000 keys, a sixth
 *   joins while 4 clients read: keys/s migrated and the longest read stall (figures, no baseline).
 */
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {ALGOS, assignAll, createPlacement, loadsOf, movedBetween, summarizeLoads, syntheticKey, syntheticKeys, type Algo} from '../src/hashring/index.js'
import type {Comparison, Figure, SuiteOptions, SuiteResult} from './report.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const runJs = join(root, 'bin', 'run.js')

interface HashRingLike {
  get(key: string): string
}

/** Best of `runs` timed passes after one warm-up pass; returns passes per second times `n`. */
function rate(n: number, runs: number, pass: () => number): number {
  let sink = pass()
  let best = Infinity
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now()
    sink ^= pass()
    best = Math.min(best, performance.now() - t0)
  }
  if (sink === 0.5) throw new Error('unreachable') // keeps the passes from being optimised away
  return (n / best) * 1000
}

const PASSTHROUGH = `
import {createInterface} from 'node:readline'
const rl = createInterface({input: process.stdin, crlfDelay: Infinity})
let batch = []
for await (const line of rl) {
  batch.push(line + '\\tnode\\n')
  if (batch.length >= 4096) {
    if (!process.stdout.write(batch.join(''))) await new Promise((r) => process.stdout.once('drain', r))
    batch = []
  }
}
process.stdout.write(batch.join(''))
`

/** Wall time of `cat FILE | node ARGS | wc -l`, checking every line came out. */
function timePipe(file: string, args: string[], lines: number): number {
  const cmd = `set -o pipefail; cat "${file}" | "${process.execPath}" ${args.map((a) => `"${a}"`).join(' ')} | wc -l`
  const t0 = performance.now()
  const r = spawnSync('bash', ['-c', cmd], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
  const ms = performance.now() - t0
  if (r.status !== 0 || Number(r.stdout.trim()) !== lines) throw new Error(`${args.join(' ')}: exit ${r.status}, ${r.stdout.trim()} lines, ${r.stderr}`)
  return ms
}

export default async function ring(opts: SuiteOptions): Promise<SuiteResult> {
  const K = opts.quick ? 100_000 : 1_000_000
  const runs = 3
  const {default: HashRing} = (await import('hashring' as string)) as {default: new (servers: string[]) => HashRingLike}
  opts.progress(`${K} keys user:<i>:<hex>`)
  const keys = Array.from({length: K}, (_, i) => syntheticKey(i))
  const keySet = syntheticKeys(K)
  const comparisons: Comparison[] = []
  const figures: Figure[] = []

  for (const n of [10, 100]) {
    const nodes = Array.from({length: n}, (_, i) => `n${i + 1}`)
    const hr = new HashRing(nodes)
    const base = rate(K, runs, () => {
      let x = 0
      for (let i = 0; i < K; i++) x ^= hr.get(keys[i]!).length
      return x
    })
    opts.progress(`${n} nodes: hashring ${(base / 1e3).toFixed(0)} k lookups/s`)
    for (const algo of ALGOS) {
      // Bounded loads places keys as it looks them up: a fresh assignment for every pass.
      let p = createPlacement({algo, nodes})
      const r = rate(K, runs, () => {
        if (algo === 'bounded') p = createPlacement({algo, nodes})
        let x = 0
        for (let i = 0; i < K; i++) x ^= p.lookupIndex(keys[i]!)
        return x
      })
      opts.progress(`${n} nodes: ${algo} ${(r / 1e3).toFixed(0)} k lookups/s`)
      const goal = algo === 'ketama' ? 1.5 : algo === 'ring' ? 10 : undefined
      comparisons.push({
        name: `${algo} lookups, ${n} nodes`,
        dtk: {name: `dtk ${algo}`, value: r, unit: 'lookups/s', extra: {memory: `${p.memoryBytes()} B`}},
        baseline: {name: 'npm hashring 3.2 (ketama)', value: base, unit: 'lookups/s'},
        ratio: r / base,
        ...(goal === undefined ? {} : {goal: `>= ${goal}x hashring`, met: r / base >= goal}),
      })
    }
  }

  // Balance at K keys and movement on a join, 10 nodes (and 100 for the ring family's spread).
  for (const n of [10, 100]) {
    const nodes = Array.from({length: n}, (_, i) => `n${i + 1}`)
    for (const algo of ALGOS as readonly Algo[]) {
      const p = createPlacement({algo, nodes})
      const assignment = assignAll(p, keySet)
      const stats = summarizeLoads(p, loadsOf(p, assignment), K, 1)
      const joined = createPlacement({algo, nodes: [...nodes, `n${n + 1}`]})
      const moved = movedBetween(p, assignment, joined, keySet)
      const ideal = K / (n + 1)
      figures.push({name: `${algo}, ${n} nodes: max/mean load at ${K} keys`, value: stats.maxOverMean.toFixed(3), ...(algo === 'bounded' ? {goal: '<= 1.25 (ε = 0.25)', met: stats.maxOverMean <= 1.25} : {})})
      const within = algo === 'ketama' || algo === 'bounded' ? undefined : Math.abs(moved / ideal - 1) <= 0.1
      figures.push({
        name: `${algo}, ${n} -> ${n + 1} nodes: keys moved (ideal ${Math.round(ideal)})`,
        value: `${moved} = ${(moved / ideal).toFixed(3)}x ideal`,
        ...(within === undefined ? {} : {goal: 'within 10% of ideal', met: within}),
      })
    }
    opts.progress(`${n} nodes: balance and movement measured`)
  }

  // Through a pipe: the same key file, `cat | X | wc -l`, dtk and the pass-through alternating.
  const dir = mkdtempSync(join(tmpdir(), 'dtk-bench-ring-'))
  try {
    const file = join(dir, 'keys.txt')
    writeFileSync(file, keys.join('\n') + '\n')
    const pass = join(dir, 'passthrough.mjs')
    writeFileSync(pass, PASSTHROUGH)
    const nodes = Array.from({length: 10}, (_, i) => `n${i + 1}`).join(',')
    const dtkArgs = [runJs, 'ring', 'lookup', '--nodes', nodes]
    timePipe(file, [pass], K) // warm the page cache
    let bestDtk = Infinity
    let bestPass = Infinity
    for (let r = 0; r < runs; r++) {
      bestPass = Math.min(bestPass, timePipe(file, [pass], K))
      bestDtk = Math.min(bestDtk, timePipe(file, dtkArgs, K))
    }
    const dtkRate = (K / bestDtk) * 1000
    const passRate = (K / bestPass) * 1000
    opts.progress(`pipe: dtk ${(dtkRate / 1e6).toFixed(2)} M lines/s, pass-through ${(passRate / 1e6).toFixed(2)} M lines/s`)
    comparisons.push({
      name: `dtk ring lookup through a pipe, ${K} keys, 10 nodes (whole process)`,
      dtk: {name: 'dtk ring lookup', value: dtkRate, unit: 'lines/s', extra: {ms: Math.round(bestDtk)}},
      baseline: {name: 'Node.js readline pass-through', value: passRate, unit: 'lines/s', extra: {ms: Math.round(bestPass)}},
      ratio: dtkRate / passRate,
      goal: '>= 0.5x the pass-through',
      met: dtkRate / passRate >= 0.5,
    })
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }

  // The live move on real processes: keys/s migrated and the longest read during it (no baseline: figures).
  const {measureLiveMove} = await import('./ring-live.js')
  const live = await measureLiveMove({keys: opts.quick ? 10_000 : 100_000, progress: opts.progress})
  figures.push(
    {name: `live move, 5 -> 6 shard nodes, ${live.keys} keys, R = 2: keys migrated`, value: live.moved, unit: 'keys'},
    {name: 'live move: keys/s migrated (first move start to last move done, 5 senders at 10000 keys/s each)', value: Math.round((live.moved / live.moveMs) * 1000), unit: 'keys/s'},
    {name: 'live move: join to every node settled', value: live.rebalanceMs, unit: 'ms'},
    {name: `live move: longest read during it (${live.reads.reads} reads by 4 clients, ${live.reads.misses} missed)`, value: Math.round(live.reads.longestMs), unit: 'ms'},
  )

  return {
    suite: 'ring',
    comparisons,
    figures,
    notes: [
      `lookups: best of ${runs} passes over ${K} keys after a warm-up pass, in this process; bounded loads' lookups place each key in a fresh assignment`,
      'the pipe figures include process start-up (oclif for dtk); both read the same file through cat and write into wc -l',
      "ketama and bounded loads have no movement goal: ketama recomputes every server's share when N changes, and bounded moves more than the ideal by design",
    ],
  }
}
