import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {parseTrace} from '../../src/trace/index.js'
import {dtk, tempDir} from '../helpers/cli.js'
import {checkTraces} from '../node/trace-check.js'

/**
 * `dtk sim gossip` run as a user runs it (the built CLI in a child process). Figures are checked
 * against what memberlist's LAN parameters allow: at N = 50 the minimum suspicion timeout is
 * 4 · log10(50) · 1 s ≈ 6.79 s, and a crash is first probed within about one round of probes.
 */
interface Summary {
  count: number
  p50: number
  p99: number
  max: number
}
interface Result {
  options: {nodes: number; detector: string; seed: number}
  period: number
  detection: {crashed: string[]; undetected: string[]; first: Summary; full: Summary; fullPeriods: Summary}
  dissemination: {reached: number; of: number; periods: number; c: number}
  falsePositives: {count: number}
  falseSuspicions: {count: number}
  traffic: {udpMessagesPerNodePerSecond: number; udpBytesPerNodePerSecond: number}
  sim: {wallMs: number; speedup: number; eventsPerSecond: number; events: number}
}

const base = ['sim', 'gossip', '--nodes', '50', '--crash', '2', '--duration', '2m', '--seed', '7']

function withoutWallClock(r: Result): unknown {
  const {wallMs: _w, speedup: _s, eventsPerSecond: _e, ...sim} = r.sim
  return {...r, sim}
}

describe('dtk sim gossip', () => {
  it('50 SWIM nodes, 2 crashes, 2 simulated minutes: every crash detected within the LAN bounds, no false positive', async () => {
    const r = await dtk([...base, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const j = JSON.parse(r.stdout) as Result
    expect(j.options).toMatchObject({nodes: 50, detector: 'swim', seed: 7})
    expect(j.detection.crashed).toHaveLength(2)
    expect(j.detection.undetected).toEqual([])
    expect(j.detection.full.count).toBe(2)
    // No earlier than the minimum suspicion timeout, no later than it plus a few probe periods
    // (the time to be probed, the probe timeout, dissemination of the verdict).
    expect(j.detection.first.p50).toBeGreaterThanOrEqual(6.79)
    expect(j.detection.full.p50).toBeGreaterThanOrEqual(j.detection.first.p50)
    expect(j.detection.full.p50).toBeLessThanOrEqual(6.79 + 5)
    expect(j.detection.fullPeriods.p50).toBeCloseTo(j.detection.full.p50 / (j.period / 1000), 6)
    expect(j.falsePositives.count).toBe(0)
    expect(j.dissemination.reached).toBe(49)
    expect(j.dissemination.c).toBeLessThan(0.5)
    // About two probes' worth of messages per node per period (1 s), far from all-to-all's 49.
    expect(j.traffic.udpMessagesPerNodePerSecond).toBeGreaterThan(1.5)
    expect(j.traffic.udpMessagesPerNodePerSecond).toBeLessThan(5)
    // The run's speed is reported (how fast is the bench's business: npm run bench -- gossip).
    expect(j.sim.events).toBeGreaterThan(0)
    expect(Number.isFinite(j.sim.speedup) && Number.isFinite(j.sim.eventsPerSecond)).toBe(true)
  })

  it('the same seed gives the same JSON, apart from the wall-clock speed figures; another seed differs', async () => {
    const [a, b, c] = await Promise.all([dtk([...base, '--json', '--loss', '0.05']), dtk([...base, '--json', '--loss', '0.05']), dtk([...base.slice(0, -1), '8', '--json', '--loss', '0.05'])])
    for (const x of [a, b, c]) expect(x.code, x.stderr).toBe(0)
    const [ja, jb, jc] = [a, b, c].map((x) => withoutWallClock(JSON.parse(x.stdout) as Result))
    expect(ja).toEqual(jb)
    expect(jc).not.toEqual(ja)
  })

  it('--compare runs swim, phi and heartbeat on the same faults and returns one row each', async () => {
    const r = await dtk([...base, '--compare', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const j = JSON.parse(r.stdout) as {rows: Array<{detector: string; undetected: number; falsePositives: number; msgsPerNodePerSecond: number; fullP50: number}>; results: Result[]}
    expect(j.rows.map((x) => x.detector)).toEqual(['swim', 'phi', 'heartbeat'])
    // Same victims for every detector.
    expect(new Set(j.results.map((x) => x.detection.crashed.join(','))).size).toBe(1)
    for (const row of j.rows) {
      expect(row.undetected).toBe(0)
      expect(row.falsePositives).toBe(0)
    }
    // All-to-all heartbeats cost about N − 1 messages per node per second; SWIM a handful.
    expect(j.rows[1]!.msgsPerNodePerSecond).toBeGreaterThan(40)
    expect(j.rows[0]!.msgsPerNodePerSecond).toBeLessThan(5)
  })

  it('prints tables and prose for people, without a plot or spinner when not on a terminal', async () => {
    const r = await dtk([...base, '--pause', '1x3s'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/DETECTION\s+P50\s+P99\s+MAX/)
    expect(r.stdout).toMatch(/every survivor/)
    expect(r.stdout).toMatch(/False positives \(alive nodes declared dead\): 0/)
    expect(r.stdout).toMatch(/Paused n\d+ for 3\.00 s: never declared dead/)
    expect(r.stdout).toMatch(/x real time/)
    expect(r.stdout).not.toMatch(/\| #/)
    expect(r.stderr).toBe('')
  })

  it('a partition is reported with its split and merge times', async () => {
    const r = await dtk(['sim', 'gossip', '--nodes', '20', '--crash', '0', '--profile', 'fast', '--partition', '20s', '--duration', '1m', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const j = JSON.parse(r.stdout) as {partition: {side: string[]; splitAfter: number; mergedAfter: number}; falsePositives: {count: number}}
    expect(j.partition.side).toHaveLength(10)
    expect(j.partition.splitAfter).toBeGreaterThan(0)
    expect(j.partition.splitAfter).toBeLessThan(20)
    expect(j.partition.mergedAfter).toBeLessThan(5)
    expect(j.falsePositives.count).toBe(0)
  })

  for (const [args, pattern] of [
    [['--loss', '2'], /--loss/],
    [['--pause', '2y4s'], /--pause/],
    [['--param', 'nope=1'], /--param 'nope' is not a parameter/],
    [['--param', 'probeInterval=fast'], /--param probeInterval/],
    // Reproduced in issue 13 §5: the first two hung, the last two were accepted.
    [['--param', 'gossipInterval=0'], /--param gossipInterval=0: must be a duration > 0 ms/],
    [['--param', 'awarenessMaxMultiplier=0'], /--param awarenessMaxMultiplier=0: must be a whole number >= 1/],
    [['--param', 'probeTimeout=0'], /--param probeTimeout=0: must be a duration > 0 ms/],
    [['--param', 'indirectChecks=0.5'], /--param indirectChecks=0.5: must be a whole number >= 1/],
    [['--param', 'probeTimeout=900ms'], /probeTimeout must be > 0 ms and <= probeInterval \/ \(1 \+ nackAt\) = 555.556 ms/],
    [['--detector', 'phi', '--param', 'threshold=-1'], /--param threshold=-1: must be a number > 0/],
    [['--detector', 'heartbeat', '--param', 'timeout=1s'], /--param timeout=1000: must be > interval/],
    [['--duration', '10s'], /--duration 10s is too short/],
    [['--detector', 'gut-feeling'], /detector/],
    [['--nodes', '5', '--crash', '5'], /faulty nodes/],
  ] as const) {
    it(`rejects ${args.join(' ')} with one line and exit 2`, async () => {
      // NODE_ENV as for a user: under vitest (NODE_ENV=test) oclif adds an "UnparsedCommand"
      // warning after a flag-parsing error, which no user sees.
      const r = await dtk(['sim', 'gossip', ...args], {NODE_ENV: 'production'}, 20_000)
      expect(r.code).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toMatch(pattern)
    })
  }

  it('--trace FILE writes the run as one JSONL trace: every deliver has its send, every send ends; the same seed gives the same bytes', async () => {
    const dir = tempDir('sim-trace')
    const files = [join(dir, 'a.jsonl'), join(dir, 'b.jsonl')]
    for (const f of files) {
      const r = await dtk(['sim', 'gossip', '--nodes', '5', '--crash', '1', '--loss', '0.1', '--duration', '1m', '--seed', '7', '--trace', f])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toMatch(/^trace: [\d,]+ records \([\d.]+k? bytes\) in .*\.jsonl$/m)
    }
    const text = readFileSync(files[0]!, 'utf8')
    expect(readFileSync(files[1]!, 'utf8')).toBe(text)
    const records = parseTrace(text)
    const kinds = new Set(records.map((r) => r.k))
    for (const k of ['start', 'send', 'deliver', 'drop', 'timer', 'crash', 'event']) expect(kinds, k).toContain(k)
    const v = checkTraces(records)
    expect(v.sends).toBeGreaterThan(100)
    expect(v.delivers).toBeGreaterThan(100)
    expect(v.violations).toEqual([])
    expect(v.drops.loss).toBeGreaterThan(0)
    expect((await dtk(['sim', 'gossip', '--compare', '--trace', files[0]!])).code).toBe(2)
  })
})
