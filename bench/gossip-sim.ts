/**
 * `npm run bench -- gossip` (simulator part): how fast the deterministic simulator runs 1000
 * SWIM nodes (memberlist LAN profile) — simulated seconds per wall second and heap events per
 * second — against the goal in ../shared/benchmarks.md (floor 60× real time, aim 200×).
 *
 * Both bootstraps, each a figure with the goal: `converged` starts every node knowing every
 * other (as after a join) and runs 10 simulated minutes with 10 crashes; `join` adds the cold
 * join of 1000 nodes through one seed, whose broadcast storm (every node retransmitting 1000
 * alive updates 16 times: ~16 M update deliveries) dominates the first simulated minute.
 */
import type {Figure, SuiteOptions, SuiteResult} from './report.js'
import {runGossipScenario} from '../src/sim/index.js'

const GOAL = '>= 60x real time (aim 200x)'

export default async function gossipSim(opts: SuiteOptions): Promise<SuiteResult> {
  const nodes = 1000
  const duration = opts.quick ? 60_000 : 600_000
  const figures: Figure[] = []
  const notes: string[] = []
  for (const bootstrap of ['converged', 'join'] as const) {
    opts.progress(`simulating ${nodes} SWIM nodes for ${duration / 1000} s (bootstrap: ${bootstrap})…`)
    const cpu0 = process.cpuUsage()
    const r = runGossipScenario({nodes, detector: 'swim', profile: 'lan', bootstrap, duration, crash: 10, seed: 1})
    const cpu = process.cpuUsage(cpu0)
    const cpuSeconds = (cpu.user + cpu.system) / 1e6
    const label = `${nodes} SWIM nodes × ${duration / 60_000} min, bootstrap ${bootstrap}`
    // The goal is for 10 simulated minutes; a quick run's one minute is mostly start-up.
    figures.push(opts.quick ? {name: `sim speed, ${label} (quick: the goal is for 10 min)`, value: r.sim.speedup, unit: 'x real time'} : {name: `sim speed, ${label}`, value: r.sim.speedup, unit: 'x real time', goal: GOAL, met: r.sim.speedup >= 60})
    figures.push({name: `sim speed per CPU second, ${label}`, value: duration / 1000 / cpuSeconds, unit: 'simulated s per CPU s'})
    figures.push({name: `sim events/s, bootstrap ${bootstrap}`, value: r.sim.eventsPerSecond, unit: 'events/s'})
    notes.push(
      `${bootstrap}: ${r.sim.events} events in ${(r.sim.wallMs / 1000).toFixed(2)} s wall (${cpuSeconds.toFixed(2)} s CPU); ` +
        `converged ${r.convergedAt === null ? 'never' : r.convergedAt.toFixed(2) + ' s'}; ` +
        `crash detection full p50 ${r.detection.full.p50.toFixed(2)} s, undetected ${r.detection.undetected.length}, false positives ${r.falsePositives.count}`,
    )
  }
  return {suite: 'gossip-sim', comparisons: [], figures, notes}
}
