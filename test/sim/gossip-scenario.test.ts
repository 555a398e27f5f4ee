import {describe, expect, it} from 'vitest'
import {parseDetectorParams} from '../../src/gossip/index.js'
import {asciiHistogram, compareDetectors, runGossipScenario, runGossipScenarioAsync} from '../../src/sim/index.js'

describe('gossip scenario runner', () => {
  it('a partition: views split while it lasts and merge after the heal, without counting as false positives', () => {
    const r = runGossipScenario({nodes: 30, profile: 'fast', seed: 4, duration: 60_000, partition: {duration: 20_000}})
    expect(r.partition!.side).toHaveLength(15)
    expect(r.partition!.splitAfter).not.toBeNull()
    expect(r.partition!.splitAfter!).toBeLessThan(20)
    expect(r.partition!.mergedAfter).not.toBeNull()
    expect(r.partition!.mergedAfter!).toBeLessThan(5)
    expect(r.partition!.declaredDead).toBeGreaterThanOrEqual(2 * 15 * 15)
    expect(r.falsePositives.count).toBe(0)
  })

  it('the async runner gives the same result as the synchronous one', async () => {
    const opts = {nodes: 40, seed: 9, loss: 0.05, crash: 2, duration: 60_000}
    const a = runGossipScenario(opts)
    const b = await runGossipScenarioAsync(opts, {sliceMs: 1})
    const strip = (r: typeof a) => ({...r, sim: {...r.sim, wallMs: 0, speedup: 0, eventsPerSecond: 0}})
    expect(strip(b)).toEqual(strip(a))
  })

  it('compareDetectors crashes the same members under every detector', async () => {
    const {rows, results} = await compareDetectors({nodes: 20, seed: 3, crash: 2, duration: 60_000})
    expect(rows.map((r) => r.detector)).toEqual(['swim', 'phi', 'heartbeat'])
    expect(results).toHaveLength(3)
    // Two victims each (an empty list under every detector would also be "the same members").
    for (const r of results) expect(r.detection.crashed).toHaveLength(2)
    expect(new Set(results.map((r) => r.detection.crashed.join())).size).toBe(1)
  })

  it('parses detector parameters with units and rejects unknown names', () => {
    expect(parseDetectorParams(['probeInterval=2s', 'lifeguard=false', 'suspicionMult=5'], ['swim']).swim).toEqual({probeInterval: 2000, lifeguard: false, suspicionMult: 5})
    expect(parseDetectorParams(['interval=2s'], ['phi', 'heartbeat'])).toMatchObject({phi: {interval: 2000}, heartbeat: {interval: 2000}})
    expect(() => parseDetectorParams(['nope=1'], ['swim'])).toThrow(/not a parameter/)
    expect(() => parseDetectorParams(['probeTimeout=2s'], ['swim'])).toThrow(/probeTimeout/)
  })

  it('asciiHistogram draws one bar per bin scaled to the largest', () => {
    const h = asciiHistogram([1, 1, 1, 1.5, 3, 3], {bins: 2, width: 6, unit: 's', decimals: 1})
    expect(h.split('\n')).toEqual(['1.0–2.0 s | ###### 4', '2.0–3.0 s | ###    2'])
    expect(asciiHistogram([])).toBe('(no values)')
    expect(asciiHistogram([5, 5]).split('\n')).toHaveLength(1)
  })
})
