import {describe, expect, it} from 'vitest'
import fc from 'fast-check'
import {checkSwimConfig, detectorParams, parseDetectorParams, resolveSwimConfig} from '../../src/gossip/index.js'
import {UsageError} from '../../src/errors/index.js'

/**
 * Issue 13 §5: every detector parameter is checked where it is parsed. These are the parser's
 * own checks; test/commands/sim-gossip.test.ts and gossip-params.test.ts check that the CLI turns
 * them into one line and exit 2, in the simulator and on real nodes.
 */
function refusal(spec: string, kinds: ('swim' | 'phi' | 'heartbeat')[] = ['swim']): string {
  try {
    parseDetectorParams([spec], kinds)
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError)
    return (err as Error).message
  }
  throw new Error(`--param ${spec} was accepted`)
}

describe('detector parameters are checked where they are parsed', () => {
  it('the reproductions of issue 13: gossipInterval=0 and awarenessMaxMultiplier=0 (which hung the simulator), probeTimeout=0 and indirectChecks=0.5 are refused, naming the parameter and its range', () => {
    expect(refusal('gossipInterval=0')).toMatch(/^--param gossipInterval=0: must be a duration > 0 ms/)
    expect(refusal('awarenessMaxMultiplier=0')).toMatch(/^--param awarenessMaxMultiplier=0: must be a whole number >= 1$/)
    expect(refusal('probeTimeout=0')).toMatch(/^--param probeTimeout=0: must be a duration > 0 ms/)
    expect(refusal('indirectChecks=0.5')).toMatch(/^--param indirectChecks=0.5: must be a whole number >= 1$/)
  })

  it('intervals > 0, counts whole and >= 1, multipliers >= 1, for every detector', () => {
    for (const name of ['probeInterval', 'pushPullInterval', 'reconnectInterval', 'reconnectTimeout', 'tombstoneTimeout']) {
      expect(refusal(`${name}=0`)).toMatch(new RegExp(`^--param ${name}=0: must be a duration > 0 ms`))
      expect(refusal(`${name}=-1s`)).toMatch(new RegExp(`^--param ${name}=-1s: must be a duration > 0 ms`))
    }
    for (const name of ['indirectChecks', 'retransmitMult', 'suspicionMult']) {
      expect(refusal(`${name}=0`)).toMatch(new RegExp(`^--param ${name}=0: must be a whole number >= 1$`))
      expect(refusal(`${name}=1.5`)).toMatch(new RegExp(`^--param ${name}=1.5: must be a whole number >= 1$`))
    }
    expect(refusal('suspicionMaxTimeoutMult=0.9')).toMatch(/^--param suspicionMaxTimeoutMult=0.9: must be a number >= 1$/)
    expect(refusal('interval=0', ['phi', 'heartbeat'])).toMatch(/^--param interval=0: must be a duration > 0 ms/)
    expect(refusal('windowSize=1', ['phi'])).toMatch(/^--param windowSize=1: must be a whole number >= 2$/)
    expect(refusal('threshold=0', ['phi'])).toMatch(/^--param threshold=0: must be a number > 0$/)
    expect(refusal('minStdDeviation=0', ['phi'])).toMatch(/^--param minStdDeviation=0: must be a duration > 0 ms/)
    expect(refusal('timeout=1s', ['heartbeat'])).toMatch(/^--param timeout=1000: must be > interval/)
    // The edges that are allowed: GossipNodes = 0 (memberlist allows it), a count of exactly 1.
    expect(parseDetectorParams(['gossipNodes=0', 'indirectChecks=1', 'suspicionMaxTimeoutMult=1'], ['swim']).swim).toEqual({gossipNodes: 0, indirectChecks: 1, suspicionMaxTimeoutMult: 1})
  })

  it('the probe timeout leaves room for the nack within the probe period: probeTimeout · (1 + nackAt) <= probeInterval', () => {
    // LAN: probeInterval 1 s, nackAt 0.8, so at most 555.556 ms.
    expect(parseDetectorParams(['probeTimeout=555ms'], ['swim']).swim).toEqual({probeTimeout: 555})
    expect(refusal('probeTimeout=556ms')).toMatch(/^--param probeTimeout=556: with probeInterval=1000 and nackAt=0.8, probeTimeout must be > 0 ms and <= probeInterval \/ \(1 \+ nackAt\) = 555.556 ms/)
    expect(refusal('probeTimeout=2s')).toMatch(/^--param probeTimeout=2000: /)
    // The same rule holds for a configuration built in code, not only for the command line.
    expect(() => resolveSwimConfig('lan', {gossipInterval: 0})).toThrow(/gossipInterval=0/)
    expect(() => checkSwimConfig({...resolveSwimConfig('lan'), probeTimeout: 900})).toThrow(/probeTimeout=900/)
  })

  it('property: any value for any parameter is either refused with one line that names it, or gives a configuration that passes every check', () => {
    const names = Object.keys(detectorParams('swim'))
    expect(names.length).toBeGreaterThan(20)
    const text = fc.oneof(
      fc.double({noNaN: false}).map(String),
      fc.integer({min: -5, max: 100_000}).map(String),
      fc.constantFrom('0', '-0', '1e300', 'NaN', 'Infinity', '0.5', 'true', 'false', '', '1.5s', '24h', '1e-9'),
    )
    fc.assert(
      fc.property(fc.constantFrom(...names), text, (name, value) => {
        let swim: Record<string, unknown>
        try {
          swim = parseDetectorParams([`${name}=${value}`], ['swim']).swim as Record<string, unknown>
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError)
          const msg = (err as Error).message
          expect(msg.split('\n')).toHaveLength(1)
          // Named as given, or in the rule that ties it to another (probeInterval=… in probeTimeout's).
          expect(msg.startsWith('--param ')).toBe(true)
          expect(msg).toContain(`${name}=`)
          return
        }
        expect(Object.keys(swim)).toEqual([name])
        const c = resolveSwimConfig('lan', swim)
        expect(() => checkSwimConfig(c)).not.toThrow()
        expect(c.probeInterval).toBeGreaterThan(0)
        expect(c.gossipInterval).toBeGreaterThan(0)
        expect(c.awarenessMaxMultiplier).toBeGreaterThanOrEqual(1)
        expect(c.probeTimeout * (1 + c.nackAt)).toBeLessThanOrEqual(c.probeInterval)
      }),
      {numRuns: 2000},
    )
  })
})
