import {Flags} from '@oclif/core'
import {DtkCommand, formatDuration, parseDuration, renderTable, startProgress, formatNumber} from '../../src/cli/index.js'
import {UsageError} from '../../src/errors/index.js'
import type {DetectorKind, SwimProfile} from '../../src/gossip/index.js'
import type {ComparisonRow, GossipScenarioOptions, GossipScenarioResult, Summary} from '../../src/sim/index.js'

const DETECTORS = ['swim', 'phi', 'heartbeat'] as const
const NAMES: Record<DetectorKind, string> = {swim: 'SWIM + Lifeguard', phi: 'phi accrual', heartbeat: 'heartbeat timeout'}

type Result = GossipScenarioResult | {compare: true; rows: ComparisonRow[]; results: GossipScenarioResult[]}

export default class SimGossip extends DtkCommand {
  static override summary = 'Simulate a gossip cluster with crashes, pauses and loss, and score its failure detector'
  static override description = `Runs N failure-detector cores (SWIM + Lifeguard, phi accrual or fixed-timeout heartbeats) on dtk's deterministic simulator: a virtual clock and a seeded network, so one --seed reproduces a run exactly. Nodes join through n0 (or start converged), traffic is measured from 20 protocol periods on, one update's spread is timed at 22 periods, and at 30 periods --crash nodes crash and --pause groups pause, all at once.

Prints the time from each crash to its first and to its full detection (every survivor) as p50/p99/max in seconds and protocol periods, the dissemination time of one update against log2(N), false positives (alive nodes declared dead) and false suspicions, messages and bytes per node per second, and the simulator's speed (simulated seconds per wall second). On a terminal it also plots the distribution of detection times.

Defaults: 100 nodes, SWIM on memberlist's LAN profile, 3 crashes, no loss, 5 simulated minutes, seed 1: about a second of wall time. --compare runs all three detectors on the same seed and faults and prints one table. --param overrides any detector parameter (times in ms, or 500ms, 1.5s, 24h); run with a bad name to list them, and a bad value is refused with its allowed range.

Profiles: lan and local are memberlist's DefaultLANConfig and DefaultLocalConfig with dtk's extensions on; fast is lan with every interval divided by 5; memberlist is lan with memberlist's own rules, every dtk extension off, for like-for-like comparisons with memberlist and Serf. Lifeguard (lifeguard=false) and each extension are switched separately: sharedClock (the aligned probe ring and suspicions timed from the accuser's instant), nackAt (0.8; memberlist 1), correctStale (answer stale accusations), recheckSuspects, urgentGossip, ackAccusations, restartSuspicion. Dead members are forgotten after reconnectTimeout and members that left after tombstoneTimeout (Serf's 24 h each).`
  static override examples = [
    '<%= config.bin %> sim gossip',
    '<%= config.bin %> sim gossip --nodes 1000 --detector swim --loss 0.05 --crash 10 --duration 10m --seed 7',
    '<%= config.bin %> sim gossip --nodes 50 --pause 2x4s --pause 1x60s --loss 0.1',
    '<%= config.bin %> sim gossip --compare --nodes 200 --crash 5 --duration 2m',
    '<%= config.bin %> sim gossip --param lifeguard=false --param probeInterval=2s --json',
    '<%= config.bin %> sim gossip --profile memberlist --nodes 50 --crash 5 --loss 5%',
    '<%= config.bin %> sim gossip --nodes 40 --partition 60s --profile fast',
    '<%= config.bin %> sim gossip --nodes 5 --duration 1m --crash 1 --trace run.jsonl',
  ]
  static override flags = {
    nodes: Flags.integer({char: 'n', description: 'cluster size N', default: 100, min: 2, max: 5000}),
    detector: Flags.string({char: 'd', description: 'failure detector', options: [...DETECTORS], default: 'swim'}),
    profile: Flags.string({description: "parameter profile: memberlist's LAN/Local defaults with dtk's extensions, fast (LAN with every interval ÷ 5), or memberlist (LAN, memberlist's own rules)", options: ['lan', 'local', 'fast', 'memberlist'], default: 'lan'}),
    loss: Flags.string({description: 'probability of losing each UDP datagram, 0 to <1 (or a percentage: 5%)', default: '0'}),
    crash: Flags.integer({char: 'k', description: 'nodes crashed at once at the fault instant', default: 3, min: 0}),
    pause: Flags.string({description: 'COUNTxDURATION: pause COUNT nodes for DURATION at the fault instant (SIGSTOP/SIGCONT); repeatable', multiple: true}),
    partition: Flags.string({description: 'DURATION: cut half the nodes off from the rest at the fault instant for DURATION, then heal'}),
    duration: Flags.string({char: 't', description: 'simulated time (10m, 90s, 500ms)', default: '5m'}),
    seed: Flags.integer({char: 's', description: 'seed: the same seed and flags give the same run', default: 1}),
    bootstrap: Flags.string({description: 'join: every node joins through n0 (the join storm included); converged: nodes start knowing each other', options: ['join', 'converged'], default: 'join'}),
    param: Flags.string({char: 'p', description: 'NAME=VALUE: override a detector parameter (probeInterval=2s, lifeguard=false, urgentGossip=false, threshold=10…); repeatable', multiple: true}),
    compare: Flags.boolean({description: 'run swim, phi and heartbeat on the same seed and faults; print one table', default: false}),
    trace: Flags.string({description: 'write a JSONL trace of every message, timer and event of the run to FILE (docs/trace.md)'}),
  }

  async run(): Promise<Result> {
    const {flags} = await this.parse(SimGossip)
    const sim = await import('../../src/sim/index.js')
    const {parseDetectorParams, detectorParams} = await import('../../src/gossip/index.js')
    const profile = flags.profile as SwimProfile
    const detector = flags.detector as DetectorKind
    const kinds: DetectorKind[] = flags.compare ? [...DETECTORS] : [detector]
    const duration = parseDuration(flags.duration, 'duration')
    const loss = parseLoss(flags.loss)
    const pauses = (flags.pause ?? []).map(parsePause)
    const overrides = parseDetectorParams(flags.param ?? [], kinds, profile)
    const faulty = flags.crash + pauses.reduce((a, p) => a + p.count, 0)
    if (faulty > flags.nodes - 1) throw new UsageError(`--crash and --pause ask for ${faulty} faulty nodes, but only ${flags.nodes - 1} of ${flags.nodes} can fail (n0 stays up)`)
    // Faults happen at 30 protocol periods of the slowest detector in the run; leave room after.
    const period = Math.max(...kinds.map((k) => periodOf(detectorParams(k, profile), overrides[k])))
    const faultAt = 30 * period
    if (duration <= faultAt) throw new UsageError(`--duration ${flags.duration} is too short: faults happen at ${formatDuration(faultAt)} (30 protocol periods); try ${formatDuration(faultAt + 60 * period)}`)
    let partition: GossipScenarioOptions['partition']
    if (flags.partition !== undefined) {
      const d = parseDuration(flags.partition, 'partition')
      if (!(d > 0) || faultAt + d > duration) throw new UsageError(`--partition ${flags.partition}: the cut must heal before the end (${formatDuration(duration - faultAt)} after the faults at most)`)
      partition = {duration: d}
    }
    if (flags.trace !== undefined && flags.compare) throw new UsageError('--trace traces one run: it cannot be combined with --compare')
    const plot = !this.jsonEnabled() && Boolean(process.stdout.isTTY)
    const opts: GossipScenarioOptions = {
      nodes: flags.nodes,
      detector,
      profile,
      loss,
      crash: flags.crash,
      pauses,
      duration,
      seed: flags.seed,
      bootstrap: flags.bootstrap as 'join' | 'converged',
      faultAt,
      warmup: 20 * period,
      disseminateAt: 22 * period,
      partition,
      detectionSamples: plot,
      ...overrides,
    }

    const what = `${flags.nodes} nodes for ${formatDuration(duration)}`
    const progress = await startProgress(`simulating ${what}`, {enabled: !this.jsonEnabled()})
    const report = (kind: DetectorKind) => (p: {simulated: number; duration: number; wallMs: number}) =>
      progress.update(`simulating ${what} (${kind}): ${formatDuration(p.simulated)} of ${formatDuration(p.duration)}, ${(p.simulated / Math.max(1, p.wallMs)).toFixed(0)}x real time`)
    try {
      if (flags.compare) {
        const {rows, results} = await sim.compareDetectors(opts, {onProgress: (k, p) => report(k)(p)})
        progress.succeed(`simulated ${what} with ${kinds.join(', ')}`)
        this.out(this.renderComparison(rows, results))
        return {compare: true, rows, results}
      }
      const trace = flags.trace === undefined ? undefined : new (await import('../../src/trace/index.js')).TraceWriter(flags.trace)
      let r: GossipScenarioResult
      try {
        r = await sim.runGossipScenarioAsync({...opts, trace}, {onProgress: report(detector)})
      } finally {
        await trace?.close()
      }
      progress.succeed(`simulated ${what} in ${(r.sim.wallMs / 1000).toFixed(2)} s`)
      if (trace) this.note(`trace: ${formatNumber(trace.records)} records (${formatNumber(trace.bytes)} bytes) in ${flags.trace}`)
      this.out(this.renderOne(r, plot ? sim.asciiHistogram : undefined))
      return r
    } catch (error) {
      progress.fail('simulation failed')
      throw error
    }
  }

  private renderOne(r: GossipScenarioResult, histogram?: (v: number[], o: {unit: string; width: number; bins: number}) => string): string {
    const o = r.options
    const lines: string[] = []
    lines.push(
      `${NAMES[o.detector]} (${o.profile}), ${o.nodes} nodes, ${formatDuration(o.duration)} simulated, loss ${pct(o.loss)}, seed ${o.seed}, ` +
        (o.bootstrap === 'join' ? 'joined through n0' : 'started converged') +
        `; protocol period T = ${formatDuration(r.period)}`,
    )
    lines.push(r.convergedAt === null ? 'Membership never converged before the faults.' : `Every node knew every other alive ${fmt(r.convergedAt)} s after start.`)
    const d = r.detection
    if (d.crashed.length > 0) {
      lines.push('')
      lines.push(`${d.crashed.length} crash${d.crashed.length === 1 ? '' : 'es'} at ${fmt(o.faultAt / 1000)} s: time until declared dead`)
      const row = (name: string, s: Summary, p: Summary) => ({name, s, p})
      lines.push(
        renderTable(
          [row('first survivor', d.first, d.firstPeriods), row('every survivor', d.full, d.fullPeriods)],
          [
            {header: 'DETECTION', get: (x) => x.name},
            {header: 'P50', get: (x) => secs(x.s.p50, x.p.p50), align: 'right'},
            {header: 'P99', get: (x) => secs(x.s.p99, x.p.p99), align: 'right'},
            {header: 'MAX', get: (x) => secs(x.s.max, x.p.max), align: 'right'},
          ],
        ),
      )
      lines.push(d.undetected.length === 0 ? `Every crash was detected by every survivor.` : `Not detected by every survivor: ${d.undetected.join(', ')}.`)
    }
    const ds = r.dissemination
    if (ds) {
      lines.push('')
      lines.push(
        ds.seconds === null
          ? `Dissemination: an update from ${ds.member} reached ${ds.reached} of ${ds.of} nodes, not all.`
          : `Dissemination: an update from ${ds.member} reached all ${ds.of} others in ${fmt(ds.seconds)} s = ${fmt(ds.periods!)} periods; log2(N) = ${fmt(ds.log2N)}, so c = ${fmt(ds.c!)}.`,
      )
    }
    lines.push(
      `False positives (alive nodes declared dead): ${r.falsePositives.count}${r.falsePositives.count ? ` (about ${r.falsePositives.members.length} members)` : ''}. ` +
        `False suspicions: ${r.falseSuspicions.count}${r.falseSuspicions.count ? ` (about ${r.falseSuspicions.members.length} members)` : ''}.`,
    )
    for (const p of r.pauses) {
      lines.push(
        `Paused ${p.member} for ${fmt(p.paused)} s: ${p.declaredDead ? 'declared dead' : 'never declared dead'}, ` +
          (p.aliveEverywhereAfter === null ? 'not alive everywhere again by the end' : `alive everywhere ${fmt(p.aliveEverywhereAfter)} s after resuming`) +
          `, incarnation ${p.incarnation}.`,
      )
    }
    if (r.partition) {
      const p = r.partition
      lines.push(
        `Partition of ${p.side.length} | ${o.nodes - p.side.length} nodes at ${fmt(p.at)} s, healed at ${fmt(p.healedAt)} s: ` +
          (p.splitAfter === null ? 'views never fully split' : `views split after ${fmt(p.splitAfter)} s`) +
          ', ' +
          (p.mergedAfter === null ? 'not merged by the end.' : `merged ${fmt(p.mergedAfter)} s after the heal.`),
      )
    }
    const t = r.traffic
    lines.push(
      `Traffic per node (${fmt(t.window[0])}–${fmt(t.window[1])} s): ${fmt(t.udpMessagesPerNodePerSecond + t.tcpMessagesPerNodePerSecond)} msgs/s, ` +
        `${fmt(t.udpBytesPerNodePerSecond + t.tcpBytesPerNodePerSecond)} B/s (UDP ${fmt(t.udpMessagesPerNodePerSecond)} msgs/s, TCP ${fmt(t.tcpMessagesPerNodePerSecond)} msgs/s); ${fmt(t.messagesPerNodePerPeriod)} UDP msgs per period.`,
    )
    lines.push(`Simulator: ${fmt(r.sim.simulatedSeconds)} s simulated in ${fmt(r.sim.wallMs / 1000)} s wall = ${fmt(r.sim.speedup)}x real time (${fmt(r.sim.eventsPerSecond)} events/s).`)
    if (histogram && d.samples && d.samples.length > 0) {
      lines.push('')
      lines.push(`Detection time, each survivor × each crash (${d.samples.length} samples):`)
      lines.push(histogram(d.samples, {unit: 's', width: 40, bins: 12}))
    }
    return lines.join('\n')
  }

  private renderComparison(rows: ComparisonRow[], results: GossipScenarioResult[]): string {
    const o = results[0]!.options
    const head =
      `${o.nodes} nodes, ${formatDuration(o.duration)} simulated, ${o.crash} crash${o.crash === 1 ? '' : 'es'} at ${fmt(o.faultAt / 1000)} s, ` +
      `loss ${pct(o.loss)}, profile ${o.profile}, seed ${o.seed}; detection in seconds`
    const table = renderTable(rows, [
      {header: 'DETECTOR', get: (r) => r.detector},
      {header: 'FIRST P50', get: (r) => fmtS(r.firstP50), align: 'right'},
      {header: 'FIRST P99', get: (r) => fmtS(r.firstP99), align: 'right'},
      {header: 'FULL P50', get: (r) => fmtS(r.fullP50), align: 'right'},
      {header: 'FULL P99', get: (r) => fmtS(r.fullP99), align: 'right'},
      {header: 'UNDETECTED', get: (r) => String(r.undetected), align: 'right'},
      {header: 'FALSE POS', get: (r) => String(r.falsePositives), align: 'right'},
      {header: 'FALSE SUSP', get: (r) => String(r.falseSuspicions), align: 'right'},
      {header: 'MSGS/NODE/S', get: (r) => fmt(r.msgsPerNodePerSecond), align: 'right'},
      {header: 'BYTES/NODE/S', get: (r) => fmt(r.bytesPerNodePerSecond), align: 'right'},
    ])
    const speed = results.map((r) => `${r.options.detector} ${fmt(r.sim.speedup)}x`).join(', ')
    return `${head}\n${table}\nSimulator speed (simulated s per wall s): ${speed}.`
  }
}

function periodOf(defaults: Record<string, number | boolean>, o: Record<string, unknown>): number {
  const v = o.probeInterval ?? o.interval ?? defaults.probeInterval ?? defaults.interval
  return typeof v === 'number' && v > 0 ? v : 1000
}

function parseLoss(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text)
  const v = m ? Number(m[1]) / (m[2] ? 100 : 1) : NaN
  if (!(v >= 0 && v < 1)) throw new UsageError(`--loss: '${text}' is not a probability in [0, 1) (e.g. 0.05 or 5%)`)
  return v
}

function parsePause(text: string): {count: number; duration: number} {
  const m = /^\s*(\d+)\s*[x×*]\s*(.+)$/.exec(text)
  if (!m || Number(m[1]) < 1) throw new UsageError(`--pause: '${text}' is not COUNTxDURATION (e.g. 2x4s)`)
  const duration = parseDuration(m[2]!, 'pause')
  if (!(duration > 0)) throw new UsageError(`--pause: '${text}' needs a positive duration`)
  return {count: Number(m[1]), duration}
}

const fmt = formatNumber

function fmtS(n: number): string {
  return Number.isFinite(n) ? n.toFixed(2) : '-'
}

function secs(s: number, periods: number): string {
  return Number.isFinite(s) ? `${s.toFixed(2)} s (${periods.toFixed(1)} T)` : '-'
}

function pct(x: number): string {
  return `${+(x * 100).toFixed(2)}%`
}
