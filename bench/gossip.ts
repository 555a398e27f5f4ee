/**
 * `npm run bench -- gossip`: the simulator's speed (bench/gossip-sim.ts) and detection on real
 * processes next to HashiCorp Serf (bench/gossip-real.ts), as one suite.
 */
import type {SuiteOptions, SuiteResult} from './report.js'

export default async function gossip(opts: SuiteOptions): Promise<SuiteResult> {
  const sim = (await import('./gossip-sim.js')).default
  const real = (await import('./gossip-real.js')).default
  const a = await sim(opts)
  const b = await real(opts)
  return {
    suite: 'gossip',
    comparisons: [...a.comparisons, ...b.comparisons],
    figures: [...(a.figures ?? []), ...(b.figures ?? [])],
    notes: [...(a.notes ?? []), ...(b.notes ?? [])],
  }
}
