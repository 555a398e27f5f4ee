import {describe, expect, it} from 'vitest'
import {runGossipScenario} from '../../src/sim/index.js'

const figure = (name: string, v: unknown) => console.log(`FIGURE ${name}: ${JSON.stringify(v)}`)

describe('Lifeguard: a few slow members (CPU-starved, every datagram 600 ms late) cause far fewer false positives and suspicions than plain SWIM', () => {
  it('N = 50, 3 slow members, 5 simulated minutes: Lifeguard declares no one dead wrongly, plain SWIM does, and suspects several times more', () => {
    const run = (lifeguard: boolean) =>
      runGossipScenario({nodes: 50, seed: 1, duration: 300_000, disseminateAt: false, degraded: {count: 3, link: {baseDelay: 600}}, swim: {lifeguard}})
    const on = run(true)
    const off = run(false)
    figure('slow members, Lifeguard on vs off', {
      on: {falsePositives: on.falsePositives.count, falseSuspicions: on.falseSuspicions.count},
      off: {falsePositives: off.falsePositives.count, falseSuspicions: off.falseSuspicions.count},
    })
    expect(on.falsePositives.count).toBe(0)
    expect(off.falsePositives.count).toBeGreaterThan(0)
    expect(off.falseSuspicions.count).toBeGreaterThan(2 * on.falseSuspicions.count)
  })
})
