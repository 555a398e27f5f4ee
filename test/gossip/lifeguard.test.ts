import {describe, expect, it} from 'vitest'
import {runGossipScenario} from '../../src/sim/index.js'

const figure = (name: string, v: unknown) => console.log(`FIGURE ${name}: ${JSON.stringify(v)}`)

/**
 * The Lifeguard paper's claim, like for like: memberlist's own rules (the `memberlist` profile)
 * with Lifeguard on and off. dtk's extensions are switched separately; with them (the `lan`
 * profile) Lifeguard must keep every slow member alive too.
 */
describe('Lifeguard: a few slow members (CPU-starved, every datagram 600 ms late) cause far fewer false positives and suspicions than plain SWIM', () => {
  const run = (profile: 'memberlist' | 'lan', lifeguard: boolean) =>
    runGossipScenario({nodes: 50, seed: 1, profile, duration: 300_000, disseminateAt: false, degraded: {count: 3, link: {baseDelay: 600}}, swim: {lifeguard}})

  it('N = 50, 3 slow members, 5 simulated minutes, memberlist\'s rules: with Lifeguard fewer members are declared dead wrongly, and suspicions fall more than threefold', () => {
    const on = run('memberlist', true)
    const off = run('memberlist', false)
    figure('slow members, memberlist rules, Lifeguard on vs off', {
      on: {falsePositives: on.falsePositives.count, falseSuspicions: on.falseSuspicions.count},
      off: {falsePositives: off.falsePositives.count, falseSuspicions: off.falseSuspicions.count},
    })
    expect(off.falsePositives.count).toBeGreaterThan(on.falsePositives.count)
    expect(off.falseSuspicions.count).toBeGreaterThan(3 * on.falseSuspicions.count)
  })

  it('the same with dtk\'s extensions (lan): Lifeguard declares no slow member dead, and suspects less than half as often as without it', () => {
    const on = run('lan', true)
    const off = run('lan', false)
    figure('slow members, lan (dtk extensions), Lifeguard on vs off', {
      on: {falsePositives: on.falsePositives.count, falseSuspicions: on.falseSuspicions.count},
      off: {falsePositives: off.falsePositives.count, falseSuspicions: off.falseSuspicions.count},
    })
    expect(on.falsePositives.count).toBe(0)
    expect(off.falseSuspicions.count).toBeGreaterThan(2 * on.falseSuspicions.count)
  })
})
