/**
 * Checking histories (../shared/benchmarks.md, "Checking histories"): the 102 Jepsen etcd
 * histories in ../shared/histories/jepsen-etcd, all in one process, every verdict compared with
 * verdicts.tsv; total and slowest history.
 *
 * dtk's figure is one pass over the 102 files in a fresh Node.js process (read, parse, check, and
 * explain every failure, as `dtk check` does), timed inside that process, so JIT warm-up is paid
 * as a user pays it but process start is not; warm passes in one process and the whole CLI
 * (`dtk check --json` on the 102 files, process start included) are printed beside it.
 *
 * Baseline: Porcupine (Go), measured in this run when $PORCUPINE_DIR names a checkout of
 * github.com/anishathalye/porcupine and `go` is installed: its own 102 etcd tests, built once
 * with `go test -c` and run as `-test.run '^TestEtcdJepsen'` (which also reads and parses the
 * logs), wall time around the binary and its CPU time from /usr/bin/time. dtk and Porcupine alternate, 3 rounds (1 with --quick), medians compared, because this
 * machine is shared. Otherwise the figure published in benchmarks.md (825 ms, etcd_002 ≈ 240 ms)
 * is printed as a reference, not a same-run measurement.
 */
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
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
  const [name, ms] = [...p.perFile].reduce((a, b) => (b[1] > a[1] ? b : a))
  return [name.replace(/\.log$/, ''), ms]
}

interface Run {
  totalMs: number
  /** CPU time (user + system) of the same work. */
  cpuMs: number
  slowest: string
  slowestMs: number
}

/** Why Porcupine cannot be run here, or undefined when it can. */
function porcupineMissing(): string | undefined {
  const dir = process.env.PORCUPINE_DIR
  if (!dir) return 'PORCUPINE_DIR is not set'
  if (!existsSync(join(dir, 'checker.go'))) return `PORCUPINE_DIR=${dir} is not a Porcupine checkout`
  if (spawnSync('go', ['version']).status !== 0) return '`go` is not installed (Debian: golang-go)'
  if (spawnSync('/usr/bin/time', ['-f', '%U', 'true']).status !== 0) return '/usr/bin/time is missing (Debian: time)'
  return undefined
}

/** Builds Porcupine's test binary once, so that rounds time the checking, not the Go toolchain. */
function porcupineBuild(): string {
  const dir = process.env.PORCUPINE_DIR!
  const bin = join(mkdtempSync(join(tmpdir(), 'dtk-bench-porcupine-')), 'porcupine.test')
  const r = spawnSync('go', ['test', '-c', '-o', bin, '.'], {cwd: dir, encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`check bench: go test -c failed in ${dir}: ${r.stderr}`)
  return bin
}

/** One run of Porcupine's own 102 etcd tests: wall time around the test binary, and its CPU time. */
function porcupineRun(bin: string): Run | string {
  const dir = process.env.PORCUPINE_DIR!
  const t0 = performance.now()
  const r = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', bin, '-test.run', '^TestEtcdJepsen', '-test.count=1', '-test.v'], {cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26})
  const totalMs = performance.now() - t0
  if (r.status !== 0) return `Porcupine's tests failed: ${(r.stderr || r.stdout).split('\n').slice(-3).join(' ')}`
  const cpu = /cpu ([\d.]+) ([\d.]+)/.exec(r.stderr)
  const tests = [...r.stdout.matchAll(/--- PASS: TestEtcdJepsen(\d+) \(([\d.]+)s\)/g)].map((m) => [`etcd_${m[1]}`, Number(m[2]) * 1000] as const)
  if (!cpu || tests.length !== 102) return `could not read the test binary's output (${tests.length} etcd tests passed, 102 expected)`
  const [slowest, slowestMs] = tests.reduce((a, b) => (b[1] > a[1] ? b : a))
  return {totalMs, cpuMs: (Number(cpu[1]) + Number(cpu[2])) * 1000, slowest, slowestMs}
}

/** One cold pass of dtk in a fresh process (this file run as a script with --child). */
function dtkColdRun(dir: string): Run & {mismatches: string[]} {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', dir], {encoding: 'utf8', maxBuffer: 1 << 26})
  if (r.status !== 0) throw new Error(`check bench child failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as Run & {mismatches: string[]}
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

function loadVerdicts(dir: string): {files: string[]; verdicts: Map<string, boolean>} {
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
  return {files, verdicts}
}

export default async function check(opts: SuiteOptions): Promise<SuiteResult> {
  const dir = join(sharedDir(), 'histories', 'jepsen-etcd')
  const {files, verdicts} = loadVerdicts(dir)
  const missing = porcupineMissing()
  const rounds = opts.quick ? 1 : 3
  const dtkRuns: Array<Run & {mismatches: string[]}> = []
  const goRuns: Run[] = []
  let goFailure: string | undefined = missing
  const bin = missing ? '' : porcupineBuild()
  for (let i = 0; i < rounds; i++) {
    const d = dtkColdRun(dir)
    dtkRuns.push(d)
    opts.progress(`round ${i + 1}: dtk ${d.totalMs.toFixed(0)} ms, ${d.cpuMs.toFixed(0)} ms CPU (slowest ${d.slowest} ${d.slowestMs.toFixed(1)} ms)`)
    if (goFailure) continue
    const g = porcupineRun(bin)
    if (typeof g === 'string') goFailure = g
    else {
      goRuns.push(g)
      opts.progress(`round ${i + 1}: porcupine ${g.totalMs.toFixed(0)} ms, ${g.cpuMs.toFixed(0)} ms CPU (slowest ${g.slowest} ${g.slowestMs.toFixed(0)} ms)`)
    }
  }
  const warm: Pass[] = []
  for (let i = 0; i < (opts.quick ? 3 : 10); i++) warm.push(pass(dir, files, verdicts))
  const warmMedian = median(warm.map((p) => p.totalMs))
  const mismatches = [...new Set([...dtkRuns.flatMap((r) => r.mismatches), ...warm.flatMap((p) => p.mismatches)])]

  // The whole CLI, as a user runs it on the 102 files (exit 1: some histories are not linearizable).
  const t0 = performance.now()
  const cli = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'check', '--json', ...files.map((f) => join(dir, f))], {encoding: 'utf8', maxBuffer: 1 << 28, env: {...process.env, NO_COLOR: '1'}})
  const cliMs = performance.now() - t0
  const cliOk = cli.status === 1 && (JSON.parse(cli.stdout) as {results: unknown[]}).results.length === 102

  const dtkMs = median(dtkRuns.map((r) => r.totalMs))
  const dtkSlow = dtkRuns.find((r) => r.totalMs === dtkMs)!
  const sameRun = goRuns.length === rounds
  const goMs = sameRun ? median(goRuns.map((r) => r.totalMs)) : REFERENCE.totalMs
  const goSlow = sameRun ? goRuns.find((r) => r.totalMs === goMs)! : {slowest: REFERENCE.slowest, slowestMs: REFERENCE.slowestMs}
  const ratio = goMs / dtkMs
  const comparisons: Comparison[] = [
    {
      name: '102 Jepsen etcd histories, one process',
      dtk: {name: 'dtk', value: dtkMs, unit: `ms (median of ${rounds}, fresh process each)`, extra: {slowest: `${dtkSlow.slowest} ${dtkSlow.slowestMs.toFixed(1)} ms`, warmMedian: `${warmMedian.toFixed(1)} ms`}},
      baseline: {
        name: sameRun ? 'Porcupine (go test, same run)' : 'Porcupine (reference figure, not measured in this run)',
        value: goMs,
        unit: sameRun ? `ms (median of ${rounds})` : 'ms',
        extra: {slowest: `${goSlow.slowest} ${goSlow.slowestMs.toFixed(0)} ms`},
      },
      ratio,
      goal: '>= 1.0x Porcupine, every verdict agreeing',
      met: ratio >= 1 && mismatches.length === 0,
    },
  ]
  if (sameRun) {
    // CPU time moves less than wall time when the machine is shared.
    const dtkCpu = median(dtkRuns.map((r) => r.cpuMs))
    const goCpu = median(goRuns.map((r) => r.cpuMs))
    comparisons.push({
      name: '102 Jepsen etcd histories, CPU time',
      dtk: {name: 'dtk', value: dtkCpu, unit: `ms CPU (median of ${rounds})`},
      baseline: {name: 'Porcupine (same run)', value: goCpu, unit: `ms CPU (median of ${rounds})`},
      ratio: goCpu / dtkCpu,
    })
  }
  const figures: Figure[] = [
    {name: 'verdicts agreeing with verdicts.tsv', value: `${102 - mismatches.length} of 102${mismatches.length ? ` (differ: ${mismatches.join(', ')})` : ''}`, goal: '102 of 102', met: mismatches.length === 0},
    {name: 'slowest history (dtk, fresh process)', value: `${dtkSlow.slowest} ${dtkSlow.slowestMs.toFixed(1)} ms`},
    {name: 'dtk check --json on the 102 files, whole process', value: cliMs, unit: `ms${cliOk ? '' : ' (UNEXPECTED EXIT ' + cli.status + ')'}`},
  ]
  const notes = sameRun ? [] : [`Porcupine not measured in this run (${goFailure}); its figure is ../shared/benchmarks.md's median of 3 runs on this kind of machine, ±25 %`]
  notes.push('dtk: read + parse + check + explanation of each failure, JIT warm-up included, process start excluded; warm = median of 10 later passes in one process')
  return {suite: 'check', comparisons, figures, notes}
}

if (process.argv[2] === '--child' && process.argv[3]) {
  const {files, verdicts} = loadVerdicts(process.argv[3])
  const c0 = process.cpuUsage()
  const p = pass(process.argv[3], files, verdicts)
  const cpu = process.cpuUsage(c0)
  const [slowestName, slowestMs] = slowest(p)
  process.stdout.write(JSON.stringify({totalMs: p.totalMs, cpuMs: (cpu.user + cpu.system) / 1000, slowest: slowestName, slowestMs, mismatches: p.mismatches}) + '\n')
}
