/**
 * `npm run bench [-- SUITE…] [--json] [--quick] [--runs N]`: runs the named suites (all when none
 * is named) and prints every comparison with its ratio against a baseline measured in the same
 * run. `--runs N` repeats the gossip suite's real-process procedure N times (dtk and Serf
 * alternating) and pools the crashes: five victims a run cannot tell two detectors apart.
 */
import {renderText, type Suite, type SuiteResult} from './report.js'

const suites: Record<string, () => Promise<Suite>> = {
  transport: async () => (await import('./transport.js')).default,
  startup: async () => (await import('./startup.js')).default,
  gossip: async () => (await import('./gossip.js')).default,
  storage: async () => (await import('./storage.js')).default,
  ring: async () => (await import('./ring.js')).default,
  check: async () => (await import('./check.js')).default,
  kv: async () => (await import('./kv.js')).default,
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json')
  const quick = argv.includes('--quick')
  let runs = 1
  const rest: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const m = /^--runs(?:=(.*))?$/.exec(a)
    if (!m) {
      rest.push(a)
      continue
    }
    const v = m[1] ?? argv[++i]
    runs = Number(v)
    if (!Number.isInteger(runs) || runs < 1) {
      process.stderr.write(`bench: --runs wants a whole number of runs >= 1, not '${v ?? ''}'\n`)
      return 2
    }
  }
  const names = rest.filter((a) => !a.startsWith('--'))
  for (const n of names) {
    if (!(n in suites)) {
      process.stderr.write(`bench: unknown suite '${n}' (known: ${Object.keys(suites).join(', ')})\n`)
      return 2
    }
  }
  const chosen = names.length > 0 ? names : Object.keys(suites)
  const results: SuiteResult[] = []
  for (const name of chosen) {
    process.stderr.write(`bench: running ${name}…\n`)
    const suite = await suites[name]!()
    results.push(await suite({quick, runs, progress: (line) => process.stderr.write(`  ${line}\n`)}))
  }
  if (json) process.stdout.write(JSON.stringify({results}, null, 2) + '\n')
  else process.stdout.write(renderText(results) + '\n')
  return 0
}

process.exitCode = await main(process.argv.slice(2))
