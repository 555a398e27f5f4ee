import type {NodeId} from '../core/index.js'
import {
  createDetector,
  IdInterner,
  heartbeatProfiles,
  phiConfig,
  resolveSwimConfig,
  type DetectorCommand,
  type DetectorKind,
  type GossipMessage,
  type HeartbeatConfig,
  type MembershipEvent,
  type PhiConfig,
  type SwimConfig,
  type SwimProfile,
} from '../gossip/index.js'
import type {TraceSink} from '../trace/index.js'
import type {LinkOptions} from './network.js'
import {Simulator} from './simulator.js'
import {summarize, type Summary} from './stats.js'

/**
 * One gossip experiment on the simulator: N nodes join through the first one, run for a while,
 * then some crash and some pause at one instant (the procedure of ../shared/benchmarks.md), and
 * the survivors' membership events are scored. Timeline (logical time, ms):
 *
 *   0 ............ nodes start at random instants within one period, joining via n0
 *   warmup ....... traffic window opens
 *   disseminateAt  one node changes its tags: the update's spread is timed
 *   faultAt ...... `crash` nodes crash and `pauses` nodes pause, all at once
 *   duration ..... end
 */
export interface GossipScenarioOptions {
  /** Cluster size N (nodes n0 … n{N−1}). */
  nodes: number
  detector?: DetectorKind
  profile?: SwimProfile
  seed?: number | string
  /**
   * `join` (default): every node starts knowing only n0 and joins through it (push-pull), which
   * at large N is a broadcast storm of N² log N piggybacked updates. `converged`: every node
   * starts knowing every other (as if restored from a snapshot), to measure steady state cheaply.
   */
  bootstrap?: 'join' | 'converged'
  /** Total simulated time, ms. Default 120 000. */
  duration?: number
  /** Join phase before measurements, ms. Default 20 protocol periods. */
  warmup?: number
  /** When to inject the dissemination probe (ms), or `false` for none. Default warmup + 2 periods. */
  disseminateAt?: number | false
  /** When crashes and pauses happen, ms. Default warmup + 10 periods (or the end, if sooner). */
  faultAt?: number
  /** Probability of losing each UDP datagram (on every link). Default 0. */
  loss?: number
  /** Other link settings (delay, jitter, duplication); `loss` above wins. */
  network?: LinkOptions
  /** Nodes crashed at `faultAt`. Default 0. */
  crash?: number
  /** Groups of nodes paused at `faultAt` for `duration` ms each (SIGSTOP, then SIGCONT). */
  pauses?: {count: number; duration: number}[]
  /**
   * A network partition: at `at` (default `faultAt`) a random `fraction` (default 0.5) of the
   * nodes is cut off from the rest for `duration` ms, then the network heals. The result's
   * `partition` says when the views split (every node on each side had declared every node of
   * the other side dead) and when they merged again (every running node sees every other alive).
   */
  partition?: {at?: number; duration: number; fraction?: number}
  /**
   * Degraded nodes (CPU-starved or on a bad link): `count` nodes, chosen at random, whose
   * outgoing and incoming datagrams use `link` (e.g. {baseDelay: 600, loss: 0.3}) for the whole
   * run. They stay alive: any dead event about them counts as a false positive.
   */
  degraded?: {count: number; link: LinkOptions}
  /** Parameter overrides for the chosen detector. */
  swim?: Partial<SwimConfig>
  phi?: Partial<PhiConfig>
  heartbeat?: Partial<HeartbeatConfig>
  /**
   * Keep every survivor's detection latency of every crash (seconds, sorted) in
   * `detection.samples`, e.g. to plot their distribution. Off by default (N × crashes numbers).
   */
  detectionSamples?: boolean
  /** Trace the run (`dtk sim gossip --trace FILE`): a sink such as a TraceWriter; docs/trace.md. */
  trace?: TraceSink
  /** Every membership event, as it happens (for live displays; keep it cheap). */
  onEvent?: (now: number, node: NodeId, event: MembershipEvent) => void
}

export interface CrashDetection {
  member: NodeId
  /** Seconds from the crash until the first survivor declared it dead; null if none did. */
  first: number | null
  /** Seconds until every survivor (never crashed nor paused) had declared it dead; null if some never did. */
  full: number | null
}

export interface PauseOutcome {
  member: NodeId
  /** Pause length, seconds. */
  paused: number
  /** Whether any other node declared it dead. */
  declaredDead: boolean
  /** Seconds from resume until every other running node saw it alive again (null: never; 0: never lost). */
  aliveEverywhereAfter: number | null
  /** Its incarnation at the end (a refutation raises it). */
  incarnation: number
}

export interface PartitionOutcome {
  /** Seconds (simulated) when the cut happened and when it healed. */
  at: number
  healedAt: number
  /** The smaller side (the other side is every other node). */
  side: NodeId[]
  /** Seconds from the cut until every node on each side had declared every node of the other dead (null: never). */
  splitAfter: number | null
  /** Seconds from the heal until every running node saw every other alive again (null: not before the end). */
  mergedAfter: number | null
  /** Dead events about healthy nodes from the cut until merged (expected; not counted as false positives). */
  declaredDead: number
  /** Suspect events about healthy nodes from the cut until merged (not counted as false suspicions). */
  suspicions: number
}

export interface GossipScenarioResult {
  /** The options after defaults. */
  options: Required<Omit<GossipScenarioOptions, 'swim' | 'phi' | 'heartbeat' | 'onEvent' | 'network' | 'partition' | 'detectionSamples' | 'degraded' | 'trace'>> & {
    network: LinkOptions
    partition: {at: number; duration: number; fraction: number} | null
  }
  /** The detector's protocol period (ms): the unit of every `…Periods` figure. */
  period: number
  /** Seconds until every node knew every other as alive (null: not before the faults). */
  convergedAt: number | null
  detection: {
    crashed: NodeId[]
    undetected: NodeId[]
    /** Seconds (and protocol periods) from crash to first / full detection over all crashes. */
    first: Summary
    full: Summary
    firstPeriods: Summary
    fullPeriods: Summary
    perCrash: CrashDetection[]
    /** With `detectionSamples`: each survivor's seconds from crash to declaring it dead, sorted. */
    samples?: number[]
  }
  /** Spread of one update to all other nodes. */
  dissemination: {member: NodeId; seconds: number | null; periods: number | null; log2N: number; c: number | null; reached: number; of: number} | null
  /** Nodes never crashed nor paused that someone declared dead: `count` events over `members`. */
  falsePositives: {count: number; members: NodeId[]}
  /** Same, for suspicions (SWIM only; the others do not suspect). */
  falseSuspicions: {count: number; members: NodeId[]}
  pauses: PauseOutcome[]
  /** With the `partition` option: sides and the split/merge times. */
  partition: PartitionOutcome | null
  /** Traffic sent per node, averaged over the window [warmup, faultAt) (or to the end without faults). */
  traffic: {
    window: [number, number]
    udpMessagesPerNodePerSecond: number
    udpBytesPerNodePerSecond: number
    tcpMessagesPerNodePerSecond: number
    tcpBytesPerNodePerSecond: number
    messagesPerNodePerPeriod: number
  }
  sim: {events: number; wallMs: number; simulatedSeconds: number; speedup: number; eventsPerSecond: number}
}

const UNKNOWN = 0
const ALIVE = 1
const SUSPECT = 2
const DEAD = 3
const LEFT = 4

function periodOf(kind: DetectorKind, profile: SwimProfile, o: GossipScenarioOptions): number {
  if (kind === 'swim') return resolveSwimConfig(profile, o.swim).probeInterval
  if (kind === 'phi') return phiConfig(profile, o.phi).interval
  return {...heartbeatProfiles[profile], ...(o.heartbeat ?? {})}.interval ?? heartbeatProfiles[profile].interval
}

/** Runs a scenario to the end, synchronously. */
export function runGossipScenario(opts: GossipScenarioOptions): GossipScenarioResult {
  const run = prepareGossipScenario(opts)
  const wall0 = performance.now()
  run.sim.runUntil(run.duration)
  return run.finish(performance.now() - wall0)
}

export interface ScenarioProgress {
  /** Simulated ms reached, of `duration`. */
  simulated: number
  duration: number
  /** Wall ms spent simulating so far (time spent yielding excluded). */
  wallMs: number
}

/**
 * Same run as `runGossipScenario` (same seed, same result), in slices of about `sliceMs` wall
 * time with the event loop given back in between, so a spinner can turn and `onProgress` report.
 * Only wall time spent simulating counts towards the speed figures.
 */
export async function runGossipScenarioAsync(
  opts: GossipScenarioOptions,
  progress: {onProgress?: (p: ScenarioProgress) => void; sliceMs?: number} = {},
): Promise<GossipScenarioResult> {
  const run = prepareGossipScenario(opts)
  const slice = progress.sliceMs ?? 50
  let wallMs = 0
  let step = 1000
  while (run.sim.now < run.duration) {
    const t0 = performance.now()
    run.sim.runUntil(Math.min(run.duration, run.sim.now + step))
    const dt = performance.now() - t0
    wallMs += dt
    // Aim each slice at `slice` ms of wall time.
    step = Math.max(10, Math.min(600_000, step * (dt > 0 ? Math.min(4, Math.max(0.25, slice / dt)) : 4)))
    progress.onProgress?.({simulated: run.sim.now, duration: run.duration, wallMs})
    await new Promise<void>((r) => setImmediate(r))
  }
  return run.finish(wallMs)
}

/**
 * A scenario built but not yet run: schedule observations on `sim` (e.g. `sim.at(t, …)` reading
 * the cores), run it with `sim.runUntil(duration)`, then score it with `finish`.
 */
export interface PreparedScenario {
  sim: Simulator<GossipMessage, MembershipEvent, DetectorCommand>
  duration: number
  finish(wallMs: number): GossipScenarioResult
}

export function prepareGossipScenario(opts: GossipScenarioOptions): PreparedScenario {
  const N = opts.nodes
  if (!Number.isInteger(N) || N < 2) throw new Error('gossip scenario: nodes must be an integer ≥ 2')
  const kind = opts.detector ?? 'swim'
  const profile = opts.profile ?? 'lan'
  const period = periodOf(kind, profile, opts)
  const warmup = opts.warmup ?? 20 * period
  const duration0 = opts.duration ?? 120_000
  const faultAt = opts.faultAt ?? Math.min(warmup + 10 * period, duration0)
  const duration = duration0
  const disseminateAt = opts.disseminateAt === undefined ? warmup + 2 * period : opts.disseminateAt
  const crashCount = opts.crash ?? 0
  const pauses = opts.pauses ?? []
  const seed = opts.seed ?? 1
  const loss = opts.loss ?? 0
  const network: LinkOptions = {...(opts.network ?? {}), loss}
  if (faultAt > duration) throw new Error('gossip scenario: faultAt is after the end')

  const sim = new Simulator<GossipMessage, MembershipEvent, DetectorCommand>({seed, network, trace: opts.trace})
  const ids: NodeId[] = Array.from({length: N}, (_, i) => `n${i}`)
  const index = new Map(ids.map((id, i) => [id, i]))
  const bootstrap = opts.bootstrap ?? 'join'
  const members = bootstrap === 'converged' ? ids : undefined
  // One id interner for all the cores of this run: a lookup accelerator that cannot change the
  // run (src/gossip/interner.ts), shared because a private one per core is markedly slower at
  // 1000 cores (docs/simulator.md).
  const interner = new IdInterner(true)
  for (const id of ids) {
    const seeds = id === 'n0' || members ? [] : ['n0']
    sim.addNode(
      id,
      (ctx) => createDetector(kind, {id, random: ctx.random, seeds, members, profile, swim: opts.swim, phi: opts.phi, heartbeat: opts.heartbeat, interner}),
      id === 'n0' ? 0 : sim.random.next() * period,
    )
  }

  // Choose the fault victims and the dissemination source up front, from the scenario stream.
  const order = sim.random.shuffle(ids.slice(1))
  const crashed = order.slice(0, crashCount)
  const pausePlan: {member: NodeId; duration: number}[] = []
  let k = crashCount
  for (const p of pauses) for (let i = 0; i < p.count; i++) pausePlan.push({member: order[k++]!, duration: p.duration})
  if (k > order.length) throw new Error('gossip scenario: more faulty nodes than nodes')
  const source = order[k] ?? 'n0'

  // The partition's smaller side, drawn after every other choice so that runs without one are
  // unchanged by its existence.
  const part = opts.partition
  const partAt = part ? (part.at ?? faultAt) : 0
  const partEnd = part ? partAt + part.duration : 0
  const sideOf = new Uint8Array(N)
  let sideIds: NodeId[] = []
  if (part) {
    const f = part.fraction ?? 0.5
    if (!(f > 0 && f < 1)) throw new Error('gossip scenario: partition fraction must be in (0, 1)')
    if (!(part.duration > 0) || partAt < 0 || partEnd > duration) throw new Error('gossip scenario: the partition must start and end within the run')
    const size = Math.max(1, Math.min(N - 1, Math.round(N * Math.min(f, 1 - f))))
    sideIds = sim.random.shuffle(ids.slice()).slice(0, size).sort((a, b) => index.get(a)! - index.get(b)!)
    for (const id of sideIds) sideOf[index.get(id)!] = 1
  }
  let degradedIds: NodeId[] = []
  if (opts.degraded && opts.degraded.count > 0) {
    degradedIds = sim.random.shuffle(ids.slice()).slice(0, opts.degraded.count)
    for (const d of degradedIds) {
      for (const other of ids) {
        if (other === d) continue
        sim.setLink(d, other, {...network, ...opts.degraded.link})
        sim.setLink(other, d, {...network, ...opts.degraded.link})
      }
    }
  }
  let partActive = false
  let crossDead = 0
  let partSuspicions = 0
  /** Pairs (obs, subj) across the cut where obs holds subj dead; split when it reaches 2·a·b. */
  let crossDeadPairs = 0
  let crossTarget = 0
  let splitAt: number | null = null
  let mergedAt: number | null = null

  // views[obs·N + subj]: what obs believes of subj.
  const views = new Uint8Array(N * N)
  let livePairs = 0
  let convergedAt: number | null = null
  const isCrashed = new Uint8Array(N)
  const pausedNow = new Uint8Array(N)
  const everPaused = new Uint8Array(N)
  const crashAt = faultAt
  const firstDead = new Float64Array(N).fill(NaN)
  /** For each crashed member: when each observer last declared it dead. */
  const deadTimes = new Map<number, Float64Array>()
  const liveSeenBy = new Int32Array(N)
  const declaredDead = new Uint8Array(N)
  const fp = new Map<NodeId, number>()
  const fs = new Map<NodeId, number>()
  let fpCount = 0
  let fsCount = 0
  let dissInc = -1
  let dissReached = 0
  let dissAt: number | null = null
  const dissSeen = new Uint8Array(N)
  const survivors = N - crashCount
  for (const id of crashed) deadTimes.set(index.get(id)!, new Float64Array(N))
  const pauseEnds: number[] = new Array(N).fill(NaN)
  /** Per paused member: ms from its resume until every other running node saw it alive again. */
  const recovered = new Float64Array(N).fill(NaN)

  /** Every other running node (not crashed, not paused) holds `s` alive or suspect. */
  const aliveEverywhere = (s: number): boolean => {
    // The count includes crashed observers' frozen views: a cheap necessary condition first.
    if (liveSeenBy[s]! < survivors - 1) return false
    for (let o = 0; o < N; o++) {
      if (o === s || isCrashed[o] || pausedNow[o]) continue
      const v = views[o * N + s]
      if (v !== ALIVE && v !== SUSPECT) return false
    }
    return true
  }

  sim.onEvent((now, node, e) => {
    opts.onEvent?.(now, node, e)
    const o = index.get(node)!
    const s = index.get(e.member)
    if (s === undefined) return
    const cell = o * N + s
    const prev = views[cell]!
    let next = prev
    switch (e.type) {
      case 'join':
      case 'alive':
      case 'update':
        next = ALIVE
        break
      case 'suspect':
        next = SUSPECT
        break
      case 'dead':
        next = DEAD
        break
      case 'leave':
        next = LEFT
        break
    }
    views[cell] = next
    const wasLive = prev === ALIVE || prev === SUSPECT
    const isLiveNow = next === ALIVE || next === SUSPECT
    const d = wasLive === isLiveNow ? 0 : isLiveNow ? 1 : -1
    if (d !== 0) {
      livePairs += d
      liveSeenBy[s] = liveSeenBy[s]! + d
    }
    if (convergedAt === null && livePairs === N * (N - 1) && now < faultAt) convergedAt = now
    // Alive again everywhere, to the event (the state at the resume instant is checked there).
    if (d > 0 && everPaused[s] && now >= pauseEnds[s]! && Number.isNaN(recovered[s]!) && aliveEverywhere(s)) recovered[s] = now - pauseEnds[s]!
    const across = part !== undefined && sideOf[o] !== sideOf[s]
    if (across && !isCrashed[o] && !isCrashed[s] && !everPaused[o] && !everPaused[s]) {
      // Split: every healthy node holds every healthy node across the cut dead.
      crossDeadPairs += (next === DEAD ? 1 : 0) - (prev === DEAD ? 1 : 0)
      if (partActive && splitAt === null && crossDeadPairs === crossTarget) splitAt = now
    }
    // From the cut until the views have merged again, accusations of healthy nodes are the
    // partition's doing: across the cut while it lasts, and on both sides when the views merge
    // (a push-pull carrying "dead" makes the receiver suspect, as in memberlist's mergeState).
    const partEffects = partActive || (part !== undefined && now >= partAt && mergedAt === null)
    if (e.type === 'dead') {
      if (partEffects && !isCrashed[s] && !everPaused[s]) {
        crossDead++
      } else if (isCrashed[s]) {
        if (Number.isNaN(firstDead[s]!)) firstDead[s] = now
        if (!isCrashed[o]) deadTimes.get(s)![o] = now
      } else if (everPaused[s]) {
        declaredDead[s] = 1
      } else {
        fpCount++
        fp.set(e.member, (fp.get(e.member) ?? 0) + 1)
      }
    } else if (e.type === 'suspect' && !isCrashed[s] && !everPaused[s]) {
      if (partEffects) partSuspicions++
      else {
        fsCount++
        fs.set(e.member, (fs.get(e.member) ?? 0) + 1)
      }
    }
    if (dissInc >= 0 && e.member === source && (e.type === 'update' || e.type === 'alive' || e.type === 'join') && e.incarnation >= dissInc && !dissSeen[o]) {
      dissSeen[o] = 1
      dissReached++
      if (dissReached === N - 1) dissAt = now
    }
  })

  if (disseminateAt !== false) {
    sim.at(disseminateAt, () => {
      const c = sim.core(source) as unknown as {self(): {incarnation: number}} | undefined
      dissInc = (c?.self().incarnation ?? 0) + 1
    })
    sim.command(source, {type: 'set-tags', tags: {probe: 'dissemination'}}, disseminateAt)
  }

  let windowEnd = crashCount + pausePlan.length > 0 ? faultAt : duration
  if (part && partAt < windowEnd) windowEnd = partAt
  if (windowEnd <= warmup) windowEnd = duration
  let snap = {udp: 0, udpB: 0, tcp: 0, tcpB: 0}
  let traffic = {udp: 0, udpB: 0, tcp: 0, tcpB: 0}
  const take = () => ({udp: sim.stats.sentUdp, udpB: sim.stats.bytesUdp, tcp: sim.stats.sentTcp, tcpB: sim.stats.bytesTcp})
  sim.at(warmup, () => (snap = take()))
  sim.at(windowEnd, () => {
    const t = take()
    traffic = {udp: t.udp - snap.udp, udpB: t.udpB - snap.udpB, tcp: t.tcp - snap.tcp, tcpB: t.tcpB - snap.tcpB}
  })

  sim.at(faultAt, () => {
    for (const id of crashed) isCrashed[index.get(id)!] = 1
    for (const p of pausePlan) {
      const i = index.get(p.member)!
      everPaused[i] = 1
      pausedNow[i] = 1
      pauseEnds[i] = faultAt + p.duration
    }
  })
  for (const id of crashed) sim.crash(id, faultAt)
  for (const p of pausePlan) {
    sim.pause(p.member, faultAt)
    sim.resume(p.member, faultAt + p.duration)
    sim.at(faultAt + p.duration, () => (pausedNow[index.get(p.member)!] = 0))
  }

  if (part) {
    sim.at(partAt, () => {
      partActive = true
      let a = 0
      let b = 0
      for (let i = 0; i < N; i++) if (!isCrashed[i] && !everPaused[i]) sideOf[i] ? a++ : b++
      crossTarget = 2 * a * b
    })
    sim.partition([sideIds], partAt)
    sim.heal(partEnd)
    sim.at(partEnd, () => (partActive = false))
    // Merged: every running node sees every other running node alive.
    const step = Math.max(1, period / 10)
    const check = () => {
      if (mergedAt !== null) return
      let down = 0
      for (let i = 0; i < N; i++) if (isCrashed[i] || pausedNow[i]) down++
      const up = N - down
      // Cheap necessary condition first (counts include crashed observers), then the exact check.
      let ok = true
      for (let i = 0; i < N && ok; i++) {
        if (isCrashed[i] || pausedNow[i]) continue
        if (liveSeenBy[i]! < up - 1) ok = false
      }
      for (let o = 0; o < N && ok; o++) {
        if (isCrashed[o] || pausedNow[o]) continue
        for (let i = 0; i < N; i++) {
          if (i === o || isCrashed[i] || pausedNow[i]) continue
          const v = views[o * N + i]
          if (v !== ALIVE && v !== SUSPECT) {
            ok = false
            break
          }
        }
      }
      if (ok) mergedAt = sim.now
      else if (sim.now + step <= duration) sim.at(sim.now + step, check)
    }
    sim.at(partEnd, check)
  }

  // At each resume: a member never lost is alive everywhere at once (0); otherwise the membership
  // event that completes the count sets the time (in onEvent above).
  for (const p of pausePlan) {
    const i = index.get(p.member)!
    sim.at(faultAt + p.duration, () => {
      if (Number.isNaN(recovered[i]!) && aliveEverywhere(i)) recovered[i] = 0
    })
  }

  const finish = (wallMs: number): GossipScenarioResult => {

  // Full detection: every survivor has the victim dead.
  const perCrash: CrashDetection[] = crashed.map((id) => {
    const s = index.get(id)!
    const times = deadTimes.get(s)!
    let last: number | null = -Infinity
    for (let o = 0; o < N; o++) {
      // Observers that were paused are excluded: they were not running when it mattered.
      if (o === s || isCrashed[o] || everPaused[o]) continue
      if (views[o * N + s] !== DEAD) {
        last = null
        break
      }
      if (times[o]! > last) last = times[o]!
    }
    return {
      member: id,
      first: Number.isNaN(firstDead[s]!) ? null : (firstDead[s]! - crashAt) / 1000,
      full: last === null ? null : (last - crashAt) / 1000,
    }
  })
  let samples: number[] | undefined
  if (opts.detectionSamples) {
    samples = []
    for (const id of crashed) {
      const s = index.get(id)!
      const times = deadTimes.get(s)!
      for (let o = 0; o < N; o++) {
        if (o === s || isCrashed[o] || everPaused[o] || views[o * N + s] !== DEAD) continue
        samples.push(Math.round(times[o]! - crashAt) / 1000)
      }
    }
    samples.sort((a, b) => a - b)
  }
  const firsts = perCrash.filter((c) => c.first !== null).map((c) => c.first!)
  const fulls = perCrash.filter((c) => c.full !== null).map((c) => c.full!)
  const simSeconds = duration / 1000
  const windowSeconds = (windowEnd - warmup) / 1000
  const perNode = (x: number) => (windowSeconds > 0 ? x / N / windowSeconds : 0)
  const udpRate = perNode(traffic.udp)
  const log2N = Math.log2(N)

  return {
    options: {
      nodes: N,
      detector: kind,
      profile,
      bootstrap,
      seed,
      duration,
      warmup,
      disseminateAt,
      faultAt,
      loss,
      crash: crashCount,
      pauses,
      network,
      partition: part ? {at: partAt, duration: part.duration, fraction: part.fraction ?? 0.5} : null,
    },
    period,
    convergedAt: convergedAt === null ? null : convergedAt / 1000,
    detection: {
      crashed,
      undetected: perCrash.filter((c) => c.full === null).map((c) => c.member),
      first: summarize(firsts),
      full: summarize(fulls),
      firstPeriods: summarize(firsts.map((x) => (x * 1000) / period)),
      fullPeriods: summarize(fulls.map((x) => (x * 1000) / period)),
      perCrash,
      ...(samples ? {samples} : {}),
    },
    dissemination:
      disseminateAt === false
        ? null
        : {
            member: source,
            seconds: dissAt === null ? null : (dissAt - disseminateAt) / 1000,
            periods: dissAt === null ? null : (dissAt - disseminateAt) / period,
            log2N,
            c: dissAt === null ? null : (dissAt - disseminateAt) / period / log2N,
            reached: dissReached,
            of: N - 1,
          },
    falsePositives: {count: fpCount, members: [...fp.keys()].sort()},
    falseSuspicions: {count: fsCount, members: [...fs.keys()].sort()},
    pauses: pausePlan.map((p) => {
      const i = index.get(p.member)!
      const core = sim.core(p.member) as unknown as {self(): {incarnation: number}} | undefined
      return {
        member: p.member,
        paused: p.duration / 1000,
        declaredDead: declaredDead[i] === 1,
        aliveEverywhereAfter: Number.isNaN(recovered[i]!) ? null : recovered[i]! / 1000,
        incarnation: core?.self().incarnation ?? 0,
      }
    }),
    partition: part
      ? {
          at: partAt / 1000,
          healedAt: partEnd / 1000,
          side: sideIds,
          splitAfter: splitAt === null ? null : (splitAt - partAt) / 1000,
          mergedAfter: mergedAt === null ? null : (mergedAt - partEnd) / 1000,
          declaredDead: crossDead,
          suspicions: partSuspicions,
        }
      : null,
    traffic: {
      window: [warmup / 1000, windowEnd / 1000],
      udpMessagesPerNodePerSecond: udpRate,
      udpBytesPerNodePerSecond: perNode(traffic.udpB),
      tcpMessagesPerNodePerSecond: perNode(traffic.tcp),
      tcpBytesPerNodePerSecond: perNode(traffic.tcpB),
      messagesPerNodePerPeriod: (udpRate * period) / 1000,
    },
    sim: {
      events: sim.stats.processed,
      wallMs,
      simulatedSeconds: simSeconds,
      speedup: simSeconds / (wallMs / 1000),
      eventsPerSecond: sim.stats.processed / (wallMs / 1000),
    },
  }
  }
  return {sim, duration, finish}
}
