import {execFile} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {root, tempDir} from '../helpers/cli.js'

/**
 * `.ci/run` ends with the count line that .ci/count.mjs computes from vitest's JSON report. The
 * claim: a test file that throws while being collected counts as a failure, so the line says so
 * and CI exits non-zero. Checked on a real vitest run of a throwaway project in a temp dir (outside
 * test/, so the main suite never collects its files).
 */
interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  // Not the outer vitest's worker variables: the inner run is a fresh CI-like process.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'NODE_ENV' && k !== 'TEST'))
  return new Promise((resolve, reject) => {
    execFile(cmd, args, {cwd, env: {...env, NO_COLOR: '1'}, timeout: timeoutMs, killSignal: 'SIGKILL'}, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(new Error(`${cmd} ${args.join(' ')} did not finish in ${timeoutMs} ms: ${err.message}\n${stderr}`))
      resolve({code: err ? (err.code as number) : 0, stdout, stderr})
    })
  })
}

const countMjs = join(root, '.ci', 'count.mjs')
const count = (report: string, status?: number) => run(process.execPath, [countMjs, report, ...(status === undefined ? [] : [String(status)])], root, 20_000)

describe('the CI count line', () => {
  let dir: string
  let report: string
  let vitestExit: number | null

  beforeAll(async () => {
    dir = tempDir('ci-count')
    const project = join(dir, 'project')
    mkdirSync(project)
    // Globals, so the files need no import of vitest (which does not resolve from a temp dir).
    writeFileSync(join(project, 'passes.test.ts'), "it('passes', () => { expect(1 + 1).toBe(2) })\n")
    writeFileSync(join(project, 'fails.test.ts'), "it('fails', () => { expect(1 + 1).toBe(3) })\n")
    writeFileSync(join(project, 'throws.test.ts'), "throw new Error('thrown while collecting')\nit('never collected', () => {})\n")
    report = join(dir, 'report.json')
    const vitest = join(root, 'node_modules', '.bin', 'vitest')
    const r = await run(vitest, ['run', '--root', project, '--globals', '--reporter=json', `--outputFile=${report}`], project, 90_000)
    vitestExit = r.code
    expect(existsSync(report), `vitest wrote no report:\n${r.stdout}\n${r.stderr}`).toBe(true)
  })
  afterAll(() => dir && rmSync(dir, {recursive: true, force: true}))

  it('vitest itself reports one failed test and one failed file, and exits non-zero', () => {
    expect(vitestExit).toBe(1)
    const r = JSON.parse(readFileSync(report, 'utf8')) as {numPassedTests: number; numFailedTests: number; testResults: Array<{name: string; status: string; message: string}>}
    expect(r.numPassedTests).toBe(1)
    // The throwing file is not a failed test: counting only tests would say "1 passed, 1 failed".
    expect(r.numFailedTests).toBe(1)
    expect(r.testResults).toHaveLength(3)
    const throws = r.testResults.find((f) => f.name.endsWith('throws.test.ts'))
    expect(throws).toMatchObject({status: 'failed', message: 'thrown while collecting'})
  })

  it('a file that throws at collection counts as a failure: "1 passed, 2 failed", exit 1', async () => {
    const r = await count(report, vitestExit ?? 1)
    expect(r.stdout).toBe('1 passed, 2 failed\n')
    expect(r.stderr).toMatch(/throws\.test\.ts: failed outside any test: thrown while collecting/)
    expect(r.code).toBe(1)
    // The count does not depend on npm test's exit status being passed along.
    const without = await count(report)
    expect(without.stdout).toBe('1 passed, 2 failed\n')
    expect(without.code).toBe(1)
  })

  it('a report of passing tests is "N passed, 0 failed" and exit 0; a non-zero npm test status still fails', async () => {
    const clean = join(dir, 'clean.json')
    writeFileSync(clean, JSON.stringify({numPassedTests: 3, numFailedTests: 0, numPendingTests: 1, numFailedTestSuites: 0, success: true, testResults: [{name: 'a.test.ts', status: 'passed', message: '', assertionResults: [{status: 'passed'}]}]}))
    const ok = await count(clean, 0)
    expect(ok).toMatchObject({code: 0, stdout: '3 passed, 0 failed, 1 skipped\n'})
    const crashed = await count(clean, 1)
    expect(crashed.stdout).toBe('3 passed, 1 failed, 1 skipped\n')
    expect(crashed.stderr).toMatch(/npm test exited 1/)
    expect(crashed.code).toBe(1)
  })

  it('a missing, empty or malformed report is "0 passed, 1 failed" and exit 1', async () => {
    const empty = join(dir, 'empty.json')
    writeFileSync(empty, '')
    const other = join(dir, 'other.json')
    writeFileSync(other, '{"hello": "world"}')
    for (const path of [join(dir, 'none.json'), empty, other]) {
      const r = await count(path, 0)
      expect(r.stdout, path).toBe('0 passed, 1 failed\n')
      expect(r.code, path).toBe(1)
    }
  })
})
