import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {dtk, killAllUnder, tempDir} from '../helpers/cli.js'

/**
 * Issue 13 §5 on real nodes: a detector parameter out of range is refused where it is parsed,
 * with exit 2 and one line naming the parameter and its allowed range — by `dtk cluster up`
 * before any node starts, and by `dtk node run` itself.
 */
describe('detector parameters are checked before a node starts', () => {
  const stateDir = tempDir('gparams')
  afterAll(() => killAllUnder(stateDir))

  for (const [args, pattern] of [
    [['--param', 'gossipInterval=0'], /^Error: --param gossipInterval=0: must be a duration > 0 ms/],
    [['--param', 'probeTimeout=0'], /^Error: --param probeTimeout=0: must be a duration > 0 ms/],
    [['--param', 'indirectChecks=0.5'], /^Error: --param indirectChecks=0.5: must be a whole number >= 1/],
    [['--param', 'probeInterval=500ms'], /^Error: --param probeTimeout=500: with probeInterval=500 and nackAt=0.8/],
    [['--detector', 'phi', '--param', 'windowSize=1'], /^Error: --param windowSize=1: must be a whole number >= 2/],
  ] as const) {
    it(`dtk cluster up --role gossip ${args.join(' ')}: exit 2, one line, no node started`, async () => {
      const r = await dtk(['cluster', 'up', '--name', 'p', '--nodes', '2', '--role', 'gossip', ...args], {DTK_STATE_DIR: stateDir, NODE_ENV: 'production'})
      expect(r.code).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toMatch(pattern)
      expect(existsSync(join(stateDir, 'p', 'cluster.json'))).toBe(false)
    })

    it(`dtk node run --role gossip ${args.join(' ')}: exit 2, one line`, async () => {
      const r = await dtk(['node', 'run', '--id', 'x1', '--port', '0', '--data-dir', join(stateDir, 'x1'), '--role', 'gossip', ...args], {NODE_ENV: 'production'})
      expect(r.code).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toMatch(pattern)
    })
  }
})
