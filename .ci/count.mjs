#!/usr/bin/env node
// The count line `.ci/run` ends with, computed from vitest's JSON report:
//
//   node .ci/count.mjs REPORT.json [NPM_TEST_EXIT_STATUS]
//
// prints `P passed, F failed[, S skipped]` on stdout (the reasons for any failure not tied to a
// test on stderr before it) and exits 1 when anything failed, 0 otherwise. What counts:
//   passed  = tests that passed (numPassedTests).
//   failed  = tests that failed (numFailedTests)
//           + test files that failed with no failed test in them: a file that throws while being
//             collected, or whose beforeAll/afterAll fails (testResults[].status === 'failed');
//           + 1 if the report still says the run failed (success false, numFailedTestSuites > 0)
//             or npm test exited non-zero, and nothing above was counted (an unhandled error, a
//             run with no test files): a failed run never reads `0 failed`.
//   A missing, empty or malformed report (the build failed, vitest crashed) is `0 passed, 1 failed`.
import {readFileSync} from 'node:fs'
import {pathToFileURL} from 'node:url'

/** The counts for a parsed report and npm test's exit status; `notes` says why a file or the run counted as failed. */
export function count(report, status = 0) {
  const shaped =
    report !== null &&
    typeof report === 'object' &&
    Number.isInteger(report.numPassedTests) &&
    Number.isInteger(report.numFailedTests) &&
    Array.isArray(report.testResults)
  if (!shaped) return {passed: 0, failed: 1, skipped: 0, notes: ['the report is not a vitest JSON report']}
  const notes = []
  let failed = report.numFailedTests
  for (const file of report.testResults) {
    const failedTests = (file.assertionResults ?? []).filter((a) => a.status === 'failed').length
    if (file.status === 'failed' && failedTests === 0) {
      failed++
      const message = String(file.message || 'a hook or the file itself failed').split('\n')[0]
      notes.push(`${file.name}: failed outside any test: ${message}`)
    }
  }
  if (failed === 0 && (report.success === false || (report.numFailedTestSuites ?? 0) > 0)) {
    failed = 1
    notes.push('vitest reports the run as failed without a failed test or file')
  }
  if (failed === 0 && status !== 0) {
    failed = 1
    notes.push(`npm test exited ${status} though the report shows no failure (an unhandled error?)`)
  }
  return {passed: report.numPassedTests, failed, skipped: report.numPendingTests ?? 0, notes}
}

export function line({passed, failed, skipped}) {
  return `${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : '')
}

function main(argv) {
  const [path, statusArg = '0'] = argv
  const status = Number(statusArg)
  let report = null
  try {
    report = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    console.error(`cannot read vitest's JSON report ${path ?? '(no path given)'}: ${err.message}`)
    console.log('0 passed, 1 failed')
    return 1
  }
  const c = count(report, Number.isInteger(status) ? status : 1)
  for (const n of c.notes) console.error(n)
  console.log(line(c))
  return c.failed > 0 || status !== 0 ? 1 : 0
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2))
