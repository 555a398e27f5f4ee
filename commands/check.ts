import {writeFile} from 'node:fs/promises'
import {Args, Flags} from '@oclif/core'
import {DtkCommand, paint, parseDuration, startProgress} from '../src/cli/index.js'
import {UsageError} from '../src/errors/index.js'
import type {CheckResult, Format, ModelName} from '../src/check/index.js'
import type {ResultJson} from '../src/check/report.js'
import type {ReportEntry} from '../src/check/html.js'

/** Search steps between two looks at the clock, the spinner and Ctrl-C (a few ms of work). */
const SLICE = 100_000

interface Output {
  results: Array<ResultJson | {file: string; error: string}>
  summary: {linearizable: number; notLinearizable: number; unknown: number; errors: number}
}

export default class Check extends DtkCommand {
  static override summary = 'Decide whether recorded histories are linearizable'
  static override description = `Reads each HISTORY (dtk's JSONL, a Jepsen log, or Jepsen EDN maps; --format auto tells them apart) and searches for a linearization: an order of the operations, each taking effect at one instant between its call and its return, that the model (a register, a compare-and-set register, a key-value map of cas-registers, or a set) allows. The search is Wing & Gong's, with Lowe's and Porcupine's memo of (linearized operations, state); kv histories are split per key.

Outcomes: "ok" operations took effect; a failed cas happened and found another value; a failed write changed nothing; "info", timed-out and never-returned operations may have taken effect at any time after their call, or never; reads without a result are ignored.

Prints "linearizable" (exit 0) or "not linearizable" (exit 1) with the first operation that no order can place, the states the object could be in when it could have run, and the failing window around it; "unknown" (exit 3) when --timeout stops the search. With several histories, one line each; the exit code is the worst of them (2 for an unreadable or malformed history, then 1, then 3). --html writes a page drawing each history per process with the linearization and the state after each step.`
  static override examples = [
    '<%= config.bin %> check history.jsonl',
    '<%= config.bin %> check ../shared/histories/jepsen-etcd/*.log',
    '<%= config.bin %> check etcd_000.log --html report.html',
    '<%= config.bin %> check kv.jsonl --model kv --timeout 30s --json',
  ]
  static override strict = false
  static override args = {
    history: Args.string({description: 'history files (JSONL, Jepsen log or EDN)', required: true}),
  }
  static override flags = {
    model: Flags.string({char: 'm', description: 'the object the history is checked against [default: kv when operations carry keys, set when they add, cas-register otherwise]', options: ['register', 'cas-register', 'kv', 'set']}),
    format: Flags.string({char: 'f', description: 'history format', options: ['auto', 'jsonl', 'jepsen', 'edn'], default: 'auto'}),
    timeout: Flags.string({char: 't', description: 'stop the search of each history after this long and answer unknown (e.g. 10s, 2m) [default: no limit]'}),
    html: Flags.string({description: 'write a self-contained HTML page drawing the histories to this file'}),
  }

  async run(): Promise<Output> {
    const {argv, flags} = await this.parse(Check)
    const files = inCommandLineOrder(argv as string[], this.argv)
    const timeout = flags.timeout === undefined ? Infinity : parseDuration(flags.timeout, 'timeout')
    if (!(timeout > 0)) throw new UsageError(`--timeout ${flags.timeout}: needs a positive duration`)
    const {HistoryCheck} = await import('../src/check/index.js')
    const {loadHistory, inFile, HistoryFileError} = await import('../src/cli/history-files.js')
    const report = await import('../src/check/report.js')
    const json = this.jsonEnabled()
    const many = files.length > 1
    const progress = await startProgress(`checking ${files[0]}`, {enabled: !json})
    let interrupted = false
    const onSigint = () => (interrupted = true)
    process.once('SIGINT', onSigint)

    const out: Output = {results: [], summary: {linearizable: 0, notLinearizable: 0, unknown: 0, errors: 0}}
    const entries: ReportEntry[] = []
    const width = Math.max(...files.map((f) => f.length))
    let single: {r: CheckResult; ms: number; file: string} | undefined
    try {
      for (const [k, file] of files.entries()) {
        if (interrupted) break
        const what = `${file}${many ? ` (${k + 1}/${files.length})` : ''}`
        progress.update(`checking ${what}`)
        let r: CheckResult
        let format: Format
        const t0 = performance.now()
        try {
          const loaded = await loadHistory(file, flags.format as Format | 'auto')
          format = loaded.format
          const check = inFile(file, () => new HistoryCheck(loaded.history, {model: flags.model as ModelName | undefined}))
          const deadline = t0 + timeout
          while (check.run(SLICE) === 'running') {
            if (performance.now() >= deadline) break
            await new Promise((resolve) => setImmediate(resolve))
            if (interrupted) break
            progress.update(`checking ${what}: ${(check.steps / 1e6).toFixed(1)}M steps, ${((performance.now() - t0) / 1000).toFixed(1)} s`)
          }
          if (interrupted) break
          r = check.result()
        } catch (e) {
          if (!(e instanceof HistoryFileError) || !many) throw e
          out.summary.errors++
          out.results.push({file, error: e.message})
          entries.push({file, error: e.message})
          progress.clear()
          if (!json) process.stderr.write(`${paint('red', 'Error', process.stderr)}: ${e.message}\n`)
          continue
        }
        const ms = performance.now() - t0
        out.summary[r.verdict === 'linearizable' ? 'linearizable' : r.verdict === 'unknown' ? 'unknown' : 'notLinearizable']++
        out.results.push(report.resultJson(file, format, r, ms))
        entries.push({file, result: r, ms})
        if (json) continue
        progress.clear()
        if (many) this.out(`${file.padEnd(width)}  ${this.verdict(r.verdict)}${' '.repeat(16 - r.verdict.length)}  ${report.oneLine(r, ms)}`)
        else single = {r, ms, file}
      }
    } catch (e) {
      progress.clear()
      throw e
    } finally {
      process.removeListener('SIGINT', onSigint)
    }
    progress.clear()
    if (interrupted) {
      process.stderr.write('interrupted\n')
      process.exitCode = 130
      return out
    }
    if (single) {
      const {head, body} = report.detailText(single.r, single.ms)
      this.out(`${single.file}: ${this.verdict(single.r.verdict)} (${head})`)
      for (const line of body) this.out(line)
    }
    if (many && !json) {
      const s = out.summary
      this.note(`${files.length} histories: ${s.linearizable} linearizable, ${s.notLinearizable} not linearizable${s.unknown ? `, ${s.unknown} unknown` : ''}${s.errors ? `, ${s.errors} unreadable` : ''}`)
    }
    if (flags.html) {
      const {renderReport} = await import('../src/check/html.js')
      await writeFile(flags.html, renderReport(entries, files.length === 1 ? `dtk check: ${files[0]}` : `dtk check: ${files.length} histories`))
      if (!json) this.note(`wrote ${flags.html}`)
    }
    const s = out.summary
    process.exitCode = s.errors > 0 ? 2 : s.notLinearizable > 0 ? 1 : s.unknown > 0 ? 3 : 0
    return out
  }

  private verdict(v: string): string {
    return paint(v === 'linearizable' ? 'green' : v === 'unknown' ? 'yellow' : 'red', v)
  }
}

/**
 * oclif sorts non-strict arguments by their first position, which moves a repeated file; walk the
 * raw command line instead (skipping flags and their values) so results come in the order given.
 */
function inCommandLineOrder(parsed: string[], raw: string[]): string[] {
  const left = new Map<string, number>()
  for (const a of parsed) left.set(a, (left.get(a) ?? 0) + 1)
  const valued = new Set(['--model', '-m', '--format', '-f', '--timeout', '-t', '--html'])
  const out: string[] = []
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i]!
    if (t === '--') continue
    if (valued.has(t)) {
      i++
      continue
    }
    const n = left.get(t) ?? 0
    if (n > 0) {
      out.push(t)
      left.set(t, n - 1)
    }
  }
  return out.length === parsed.length ? out : parsed
}

