/**
 * `npm run bench [-- SUITE…] [--json] [--quick]`: runs the named suites (all when none is named)
 * and prints every comparison with its ratio against a baseline measured in the same run.
 */
import {renderText, type Suite, type SuiteResult} from './report.js'

const suites: Record<string, () => Promise<Suite>> = {
  transport: async () => (await import('./transport.js')).default,
  startup: async () => (await import('./startup.js')).default,
  gossip: async () => (await import('./gossip.js')).default,
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json')
  const quick = argv.includes('--quick')
  const names = argv.filter((a) => !a.startsWith('--'))
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
    results.push(await suite({quick, progress: (line) => process.stderr.write(`  ${line}\n`)}))
  }
  if (json) process.stdout.write(JSON.stringify({results}, null, 2) + '\n')
  else process.stdout.write(renderText(results) + '\n')
  return 0
}

process.exitCode = await main(process.argv.slice(2))
