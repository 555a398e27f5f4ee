/**
 * Cold start of whole processes: `dtk --version` and `dtk cluster status` (no cluster) against a
 * bare `node -e 0`, interleaved so machine noise hits all three alike. Ratio = baseline / dtk
 * time, so 0.33 means "3x slower than a bare node", the goal's edge.
 */
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, dirname} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {Comparison, SuiteOptions, SuiteResult} from './report.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const runJs = join(root, 'bin', 'run.js')

function time(args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(process.execPath, args, {env, stdio: 'ignore'})
  const t = Number(process.hrtime.bigint() - t0) / 1e6
  if (r.status !== 0 && r.status !== 2) throw new Error(`${args.join(' ')} exited ${r.status}`)
  return t
}

function stats(xs: number[]): {min: number; median: number} {
  const s = [...xs].sort((a, b) => a - b)
  return {min: s[0]!, median: s[Math.floor(s.length / 2)]!}
}

export default async function startup(opts: SuiteOptions): Promise<SuiteResult> {
  const runs = opts.quick ? 5 : 20
  const stateDir = mkdtempSync(join(tmpdir(), 'dtk-bench-startup-'))
  const env = {...process.env, DTK_STATE_DIR: stateDir, NO_COLOR: '1'}
  const cases: Record<string, string[]> = {
    bare: ['-e', '0'],
    version: [runJs, '--version'],
    status: [runJs, 'cluster', 'status'],
  }
  const samples: Record<string, number[]> = {bare: [], version: [], status: []}
  try {
    for (const args of Object.values(cases)) time(args, env) // warm the page cache
    for (let i = 0; i < runs; i++) for (const [k, args] of Object.entries(cases)) samples[k]!.push(time(args, env))
  } finally {
    rmSync(stateDir, {recursive: true, force: true})
  }
  opts.progress(`${runs} runs each`)
  const bare = stats(samples.bare!)
  const comparisons: Comparison[] = (['version', 'status'] as const).map((k) => {
    const s = stats(samples[k]!)
    const ratio = bare.median / s.median
    return {
      name: k === 'version' ? 'dtk --version' : 'dtk cluster status (no cluster)',
      dtk: {name: 'dtk', value: s.median, unit: 'ms median', extra: {min: s.min}},
      baseline: {name: 'node -e 0', value: bare.median, unit: 'ms median', extra: {min: bare.min}},
      ratio,
      goal: 'within 3x of node -e 0 (ratio >= 0.33)',
      met: ratio >= 1 / 3,
    }
  })
  return {suite: 'startup', comparisons, notes: ['ratio = node time / dtk time; a bare oclif 4 CLI measured 2.4-3.1x here (../shared/benchmarks.md)']}
}
