/**
 * Checking histories (../shared/benchmarks.md, "Checking histories"): the 102 Jepsen etcd
 * histories in ../shared/histories/jepsen-etcd, all in one process, every verdict compared with
 * verdicts.tsv; total and slowest history.
 *
 * dtk's figure is the first pass in a fresh process (read, parse, check, and explain every
 * failure, as `dtk check` does), so JIT warm-up is paid as a user pays it; warm passes and the
 * whole CLI (`dtk check --json` on the 102 files, process start included) are printed beside it.
 *
 * Baseline: Porcupine (Go), measured in this run when $PORCUPINE_DIR names a checkout of
 * github.com/anishathalye/porcupine and `go` is installed (`go test -run '^TestEtcdJepsen'`, the
 * test binary's own time, best of 3); otherwise the figure published in benchmarks.md (825 ms,
 * etcd_002 ≈ 240 ms), printed as a reference, not a same-run measurement.
 */
import {spawnSync} from 'node:child_process'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {checkHistory, parseHistory} from '../src/check/index.js'
import type {Comparison, Figure, SuiteOptions, SuiteResult} from './report.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const REFERENCE = {totalMs: 825, slowest: 'etcd_002', slowestMs: 240}

function sharedDir(): string {
  const tried = [process.env.DTK_SHARED, join(root, '..', 'shared'), join(root, '..', '..', 'shared')].filter((d): d is string => !!d)
  for (const d of tried) if (existsSync(join(d, 'histories', 'jepsen-etcd', 'verdicts.tsv'))) return d
  throw new Error(`check bench: the Jepsen etcd histories are missing (looked for histories/jepsen-etcd under ${tried.join(', ')}; set DTK_SHARED)`)
}

interface Pass {
  totalMs: number
  perFile: Map<string, number>
  mismatches: string[]
}

function pass(dir: string, files: string[], verdicts: Map<string, boolean>): Pass {
  const perFile = new Map<string, number>()
  const mismatches: string[] = []
  let totalMs = 0
  for (const f of files) {
    const t0 = performance.now()
    const text = readFileSync(join(dir, f), 'utf8')
    const r = checkHistory(parseHistory(text, 'jepsen'), {model: 'cas-register'})
    const ms = performance.now() - t0
    totalMs += ms
    perFile.set(f, ms)
    if ((r.verdict === 'linearizable') !== verdicts.get(f)) mismatches.push(f)
  }
  return {totalMs, perFile, mismatches}
}

function slowest(p: Pass): [string, number] {
  return [...p.perFile].reduce((a, b) => (b[1] > a[1] ? b : a))
}

/** Porcupine's own etcd tests, when a checkout and Go are at hand: [total ms, slowest name, ms]. */
function porcupine(progress: (l: string) => void): {totalMs: number; slowest: string; slowestMs: number} | string {
  const dir = process.env.PORCUPINE_DIR
  if (!dir) return 'PORCUPINE_DIR is not set'
  if (spawnSync('go', ['version']).status !== 0) return '`go` is not installed'
  let best: {totalMs: number; slowest: string; slowestMs: number} | undefined
  for (let i = 0; i < 3; i++) {
    const r = spawnSync('go', ['test', '-run', '^TestEtcdJepsen', '-count=1', '-v', '.'], {cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26})
    if (r.status !== 0) return `go test failed in ${dir}: ${(r.stderr || r.stdout).split('\n').slice(-3).join(' ')}`
    const total = /^ok\s+\S+\s+([\d.]+)s/m.exec(r.stdout)
    const tests = [...r.stdout.matchAll(/--- PASS: TestEtcdJepsen(\d+) \(([\d.]+)s\)/g)].map((m) => [`etcd_${m[1]}`, Number(m[2]) * 1000] as const)
    if (!total || tests.length !== 102) return `could not read go test's output (${tests.length} etcd tests found)`
    const [name, ms] = tests.reduce((a, b) => (b[1] > a[1] ? b : a))
    const run = {totalMs: Number(total[1]) * 1000, slowest: name, slowestMs: ms}
    progress(`porcupine run ${i + 1}: ${run.totalMs.toFixed(0)} ms, slowest ${name} ${ms.toFixed(0)} ms`)
    if (!best || run.totalMs < best.totalMs) best = run
  }
  return best!
}

export default async function check(opts: SuiteOptions): Promise<SuiteResult> {
  const dir = join(sharedDir(), 'histories', 'jepsen-etcd')
  const verdicts = new Map(
    readFileSync(join(dir, 'verdicts.tsv'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'))
      .map((l) => l.split('\t'))
      .map(([f, v]) => [f!, v === 'true'] as const),
  )
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
  if (files.length !== 102 || verdicts.size !== 102) throw new Error(`check bench: expected 102 histories and 102 verdicts in ${dir}, found ${files.length} and ${verdicts.size}`)

  const first = pass(dir, files, verdicts)
  const [slowName, slowMs] = slowest(first)
  opts.progress(`first pass: ${first.totalMs.toFixed(0)} ms, slowest ${slowName} ${slowMs.toFixed(1)} ms, ${first.mismatches.length} verdicts differ`)
  const warm: Pass[] = []
  for (let i = 0; i < (opts.quick ? 3 : 10); i++) warm.push(pass(dir, files, verdicts))
  const warmTotals = warm.map((p) => p.totalMs).sort((a, b) => a - b)
  const warmMedian = warmTotals[Math.floor(warmTotals.length / 2)]!
  const warmSlowest = slowest(warm[warm.length - 1]!)
  const mismatches = [...new Set([first, ...warm].flatMap((p) => p.mismatches))]

  // The whole CLI, as a user runs it on the 102 files (exit 1: some histories are not linearizable).
  const t0 = performance.now()
  const cli = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'check', '--json', ...files.map((f) => join(dir, f))], {encoding: 'utf8', maxBuffer: 1 << 28, env: {...process.env, NO_COLOR: '1'}})
  const cliMs = performance.now() - t0
  const cliOk = cli.status === 1 && (JSON.parse(cli.stdout) as {results: unknown[]}).results.length === 102

  const measured = porcupine(opts.progress)
  const sameRun = typeof measured !== 'string'
  const base = sameRun ? measured : REFERENCE
  const baseName = sameRun ? 'Porcupine (go test, same run)' : 'Porcupine (reference figure, not measured in this run)'
  const ratio = base.totalMs / first.totalMs
  const comparisons: Comparison[] = [
    {
      name: '102 Jepsen etcd histories, one process',
      dtk: {name: 'dtk', value: first.totalMs, unit: 'ms', extra: {slowest: `${slowName} ${slowMs.toFixed(1)} ms`, warmMedian: `${warmMedian.toFixed(1)} ms`, warmSlowest: `${warmSlowest[0]} ${warmSlowest[1].toFixed(2)} ms`}},
      baseline: {name: baseName, value: base.totalMs, unit: 'ms', extra: {slowest: `${base.slowest} ${base.slowestMs.toFixed(0)} ms`}},
      ratio,
      goal: '>= 1.0x Porcupine, every verdict agreeing',
      met: ratio >= 1 && mismatches.length === 0,
    },
  ]
  const figures: Figure[] = [
    {name: 'verdicts agreeing with verdicts.tsv', value: `${102 - mismatches.length} of 102${mismatches.length ? ` (differ: ${mismatches.join(', ')})` : ''}`, goal: '102 of 102', met: mismatches.length === 0},
    {name: 'slowest history (first pass)', value: `${slowName} ${slowMs.toFixed(1)} ms`},
    {name: 'dtk check --json on the 102 files, whole process', value: cliMs, unit: `ms${cliOk ? '' : ' (UNEXPECTED EXIT ' + cli.status + ')'}`},
  ]
  const notes = sameRun ? [] : [`baseline not measured in this run (${measured}); the figure is ../shared/benchmarks.md's median of 3 runs on this kind of machine, ±25 %`]
  notes.push('dtk: first pass in this process (JIT warm-up included), read + parse + check + explanation of each failure; warm = median of later passes')
  return {suite: 'check', comparisons, figures, notes}
}
