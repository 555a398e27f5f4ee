import type {NodeId} from '../core/index.js'
import {createDetector, type SwimProfile} from '../gossip/index.js'
import {kvClientFactory, type HistoryEntry, type KvClientConfig, type KvClientEvent} from '../kv/index.js'
import {shardComposition, verifyRing, type ShardConfig, type ShardCore, type ShardEvent, type ShardStatus, type VerifyReport} from '../shard/index.js'
import type {TraceSink} from '../trace/index.js'
import type {ClockSkewOptions} from './clock.js'
import type {DiskOptions} from './disk.js'
import {kvBulkFactory, type KvBulkClient} from './kv-bulk.js'
import type {LinkOptions} from './network.js'
import {Simulator, type SimStats} from './simulator.js'
import type {StreamOptions} from './streams.js'

/**
 * Live rebalancing in the simulator: shard nodes `n0 … n(N−1)` (membership + shard core each,
 * src/shard/compose.ts) start together; a loader writes `keys` keys; then workload clients run
 * (src/kv's client, recording a history) while nodes join, leave and crash — at fixed times
 * after the load, or in the middle of a move (the k-th `move.progress` of the run: its receiver
 * or its sender). Once the clients are done and every fault is over, the run waits until every
 * node says it has nothing left to do, then reads every key back through the protocol (into the
 * same history) and verifies the placement (`verifyRing`) against what every node holds.
 *
 * Times of joins, leaves and crashes are ms after the load completed.
 */
export type ShardCrashSpec =
  | {node: NodeId; after: number; downtime: number}
  /**
   * At the `nth` event `on` after the load (default `move.progress`: a batch of a move
   * acknowledged, more of it still to come; `handing`: a sender has durably decided to hand a partition over and stopped
   * serving it), of moves to `to` when given, crash that move's receiver or sender, at that instant.
   */
  | {role: 'receiver' | 'sender'; on?: 'move.progress' | 'handing'; to?: NodeId; nth: number; downtime: number}

export interface ShardScenarioOptions {
  seed?: number | string
  /** Initial shard nodes. Default 5. */
  nodes?: number
  /** Keys loaded before the workload (`key<i>`). Default 2000. */
  keys?: number
  /** Workload clients, and operations each. Default 4 × 300. */
  clients?: number
  ops?: number
  /** The workload's keys: the first `hotKeys` loaded keys, so operations meet on the same keys while they move. Default 32. */
  hotKeys?: number
  client?: Omit<Partial<KvClientConfig>, 'process' | 'servers' | 'ops'>
  /** New nodes (`n<N>`, `n<N+1>` … unless named). */
  joins?: {after: number; id?: NodeId}[]
  leaves?: {after: number; node: NodeId}[]
  crashes?: ShardCrashSpec[]
  /** Crashes of random shard nodes during the workload: mean time between them (exponential), downtime, and until when (ms after the load; default 20 s). */
  randomCrashes?: {every: number; downtime: number; until?: number}
  /** Network partitions cutting one random shard node off from everyone: mean time between them (exponential), how long each lasts, until when (ms after the load; default 20 s). */
  partitions?: {every: number; duration: number; until?: number}
  /** Shard settings beyond `initial` (the scenario's defaults: settle 500 ms, plan every 250 ms). */
  shard?: Omit<Partial<ShardConfig>, 'initial'>
  /** Membership profile. Default `fast`. */
  profile?: SwimProfile
  network?: LinkOptions
  disk?: DiskOptions
  streams?: StreamOptions
  clocks?: ClockSkewOptions
  trace?: boolean | TraceSink
  /** Simulated time at most, ms. Default 300 000. */
  duration?: number
}

export interface ShardLogEntry {
  at: number
  node: NodeId
  event: ShardEvent
}

export interface ShardCrash {
  node: NodeId
  at: number
  restartAt: number
  /** Why: a fixed time, random, or the receiver / sender of the move in progress. */
  cause: 'fixed' | 'random' | 'receiver' | 'sender'
}

export interface ShardScenarioResult {
  /** Every shard node of the run, joiners included. */
  nodes: NodeId[]
  loaded: string[]
  /** Loader, workload clients and the final reader, in the order things happened (one history). */
  history: HistoryEntry[]
  events: ShardLogEntry[]
  crashes: ShardCrash[]
  loadDoneAt: number | null
  workloadDoneAt: number | null
  settledAt: number | null
  finalReadDoneAt: number | null
  /** The placement after the run (every node's holdings against the ring), and each node's status. */
  verify: VerifyReport | null
  statuses: Record<NodeId, ShardStatus | null>
  ring: NodeId[]
  ended: number
  stats: SimStats
  sim: Simulator<unknown, unknown, unknown>
}

const LOADER = 'loader'
const READER = 'reader'

export function runShardScenario(opts: ShardScenarioOptions = {}): ShardScenarioResult {
  const n = opts.nodes ?? 5
  const keyCount = opts.keys ?? 2000
  const clientCount = opts.clients ?? 4
  const duration = opts.duration ?? 300_000
  const initial = Array.from({length: n}, (_, i) => `n${i}`)
  const joins = (opts.joins ?? []).map((j, i) => ({after: j.after, id: j.id ?? `n${n + i}`}))
  const nodes = [...initial, ...joins.map((j) => j.id)]
  const loaded = Array.from({length: keyCount}, (_, i) => `key${i}`)
  const shard: ShardConfig = {settle: 500, planInterval: 250, ...opts.shard, initial}
  const profile = opts.profile ?? 'fast'
  const sim = new Simulator<unknown, unknown, unknown>({seed: opts.seed ?? 1, network: opts.network, disk: opts.disk, streams: opts.streams, clocks: opts.clocks, trace: opts.trace})

  const addShard = (id: NodeId, at: number) =>
    sim.addNode(
      id,
      shardComposition({shard, membershipCore: (ctx) => createDetector('swim', {id: ctx.id, random: ctx.random, seeds: initial.filter((x) => x !== ctx.id), profile})}),
      at,
    )
  initial.forEach((id, i) => addShard(id, i * 10))
  const rotate = (i: number) => [...initial.slice(i % n), ...initial.slice(0, i % n), ...joins.map((j) => j.id)]
  sim.addNode(LOADER, {cores: {kv: kvBulkFactory({ops: loaded.map((key, i) => ({f: 'put', key, value: 1_000_000_000 + i})), servers: rotate(0), process: 1000, spread: n})}}, 300)

  const history: HistoryEntry[] = []
  const events: ShardLogEntry[] = []
  const crashes: ShardCrash[] = []
  const clients = Array.from({length: clientCount}, (_, i) => `c${i + 1}`)
  let loadDoneAt: number | null = null
  let workloadDoneAt: number | null = null
  let settledAt: number | null = null
  let finalReadDoneAt: number | null = null
  let clientsDone = 0
  let lastFaultAt = 0
  const isShard = new Set(nodes)

  const crash = (node: NodeId, at: number, downtime: number, cause: ShardCrash['cause']) => {
    crashes.push({node, at, restartAt: at + downtime, cause})
    sim.crash(node, at)
    sim.restart(node, at + downtime)
    lastFaultAt = Math.max(lastFaultAt, at + downtime)
  }
  const triggers = (opts.crashes ?? []).filter((c): c is Extract<ShardCrashSpec, {role: string}> => 'role' in c).map((c) => ({...c, seen: 0, fired: false}))

  const startWorkload = (t0: number) => {
    clients.forEach((id, i) => sim.addNode(id, {cores: {kv: kvClientFactory({...opts.client, keys: opts.client?.keys ?? loaded.slice(0, opts.hotKeys ?? 32), process: i + 1, servers: rotate(i + 1), ops: opts.ops ?? 300})}}, t0))
    for (const j of joins) {
      addShard(j.id, t0 + j.after)
      lastFaultAt = Math.max(lastFaultAt, t0 + j.after)
    }
    for (const l of opts.leaves ?? []) {
      sim.command(l.node, {type: 'leave'}, t0 + l.after, 'kv')
      lastFaultAt = Math.max(lastFaultAt, t0 + l.after)
    }
    for (const c of opts.crashes ?? []) if ('node' in c) crash(c.node, t0 + c.after, c.downtime, 'fixed')
    const rc = opts.randomCrashes
    if (rc) {
      if (!(rc.every > 0 && rc.downtime >= 0)) throw new Error('shard scenario: randomCrashes need every > 0 and downtime ≥ 0')
      const until = t0 + (rc.until ?? 20_000)
      for (let t = t0 + sim.random.exponential(rc.every); t < until; t += rc.downtime + sim.random.exponential(rc.every)) {
        const at = t
        sim.at(at, () => {
          const up = nodes.filter((id) => sim.nodeIds().includes(id) && sim.status(id) === 'up')
          if (up.length > 0) crash(up[sim.random.int(up.length)]!, at, rc.downtime, 'random')
        })
        lastFaultAt = Math.max(lastFaultAt, at + rc.downtime)
      }
    }
  }

  const startPartitions = (t0: number) => {
    const pc = opts.partitions
    if (!pc) return
    if (!(pc.every > 0 && pc.duration > 0)) throw new Error('shard scenario: partitions need every > 0 and duration > 0')
    const until = t0 + (pc.until ?? 20_000)
    for (let t = t0 + sim.random.exponential(pc.every); t < until; t += pc.duration + sim.random.exponential(pc.every)) {
      const at = t
      sim.at(at, () => {
        const present = nodes.filter((id) => sim.nodeIds().includes(id))
        sim.partition([[present[sim.random.int(present.length)]!]], at)
      })
      sim.heal(at + pc.duration)
      lastFaultAt = Math.max(lastFaultAt, at + pc.duration)
    }
  }

  sim.onEvent((now, node, event, core) => {
    if (core !== 'kv') return
    if (!isShard.has(node)) {
      const e = event as KvClientEvent
      if (e.type === 'history') history.push(e.entry)
      else if (e.type === 'done') {
        if (node === LOADER) {
          loadDoneAt = now
          startWorkload(now)
          startPartitions(now)
        } else if (node === READER) finalReadDoneAt = now
        else if (++clientsDone === clientCount) workloadDoneAt = now
      }
      return
    }
    const e = event as ShardEvent
    events.push({at: now, node, event: e})
    if ((e.type === 'move.progress' || e.type === 'handing') && loadDoneAt !== null) {
      for (const t of triggers) {
        if (t.fired || (t.on ?? 'move.progress') !== e.type || (t.to !== undefined && t.to !== e.to)) continue
        // Mid-move: a batch acknowledged with more of the partition still to come.
        if (e.type === 'move.progress' && e.sent >= e.keys) continue
        if (++t.seen < t.nth) continue
        const victim = t.role === 'receiver' ? e.to : node
        if (sim.status(victim) !== 'up') continue
        t.fired = true
        crash(victim, now, t.downtime, t.role)
      }
    }
  })

  const coreOf = (id: NodeId) => (sim.nodeIds().includes(id) && sim.status(id) === 'up' ? sim.core<ShardCore>(id, 'kv') : undefined)
  const spec = () => {
    const c = coreOf(nodes.find((id) => coreOf(id) !== undefined)!)!.cfg
    return {partitions: c.partitions, replicas: c.replicas, algo: c.algo, vnodes: c.vnodes}
  }
  const ringNow = (): NodeId[] => {
    const views = nodes.map((id) => coreOf(id)?.ringView()).filter((v) => v !== undefined)
    return views.length > 0 ? views[0]!.members : []
  }
  const verifyNow = (): VerifyReport => {
    const holdings: Record<NodeId, [string, number][]> = {}
    for (const id of nodes) {
      const c = coreOf(id)
      if (c) holdings[id] = c.holdings()
    }
    // Keys whose load the loader saw acknowledged must exist (a write that ended `info` may not).
    const expected = history.filter((h) => h.process >= 1000 && h.process < 2000 && h.type === 'ok').map((h) => h.key!)
    return verifyRing({members: ringNow(), spec: spec(), holdings, expected})
  }
  const converged = (): boolean => {
    const present = nodes.filter((id) => sim.nodeIds().includes(id))
    if (present.some((id) => sim.status(id) !== 'up')) return false
    const cores = present.map((id) => coreOf(id)!)
    if (cores.some((c) => !c.status().settled)) return false
    const versions = new Set(cores.map((c) => c.ringView().version))
    return versions.size === 1 && verifyNow().ok
  }

  let phase: 'load' | 'work' | 'settle' | 'read' | 'end' = 'load'
  while (sim.now < duration && phase !== 'end') {
    sim.runUntil(Math.min(duration, sim.now + 250))
    if (phase === 'load' && loadDoneAt !== null) phase = 'work'
    if (phase === 'work' && workloadDoneAt !== null && sim.now >= lastFaultAt && triggers.every((t) => t.fired)) phase = 'settle'
    if (phase === 'settle' && converged()) {
      settledAt = sim.now
      phase = 'read'
      sim.addNode(READER, {cores: {kv: kvBulkFactory({ops: loaded.map((key) => ({f: 'get', key})), servers: rotate(0), process: 2000, spread: n})}}, sim.now)
    }
    if (phase === 'read' && finalReadDoneAt !== null) phase = 'end'
  }
  const statuses: Record<NodeId, ShardStatus | null> = {}
  for (const id of nodes) statuses[id] = coreOf(id)?.status() ?? null
  const anyUp = nodes.some((id) => coreOf(id) !== undefined)
  return {
    nodes,
    loaded,
    history,
    events,
    crashes,
    loadDoneAt,
    workloadDoneAt,
    settledAt,
    finalReadDoneAt,
    verify: anyUp ? verifyNow() : null,
    statuses,
    ring: ringNow(),
    ended: sim.now,
    stats: sim.stats,
    sim,
  }
}

/** The bulk client of a scenario's loader or reader, for inspection. */
export function bulkClientOf(r: ShardScenarioResult, which: 'loader' | 'reader'): KvBulkClient | undefined {
  return r.sim.core<KvBulkClient>(which === 'loader' ? LOADER : READER, 'kv')
}
