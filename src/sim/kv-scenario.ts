import type {Channel, NodeId} from '../core/index.js'
import {kvClientFactory, kvCoreFactory, type KvCore, type HistoryEntry, type KvClientConfig, type KvClientEvent, type KvConfig, type KvEvent, type KvOp, type KvResult, type KvValue} from '../kv/index.js'
import type {TraceSink} from '../trace/index.js'
import type {ClockSkewOptions} from './clock.js'
import type {DiskOptions} from './disk.js'
import type {LinkOptions} from './network.js'
import {Simulator, type SimStats} from './simulator.js'
import type {StreamOptions} from './streams.js'

/**
 * One run of the single-node kv core under faults: server `s1` runs the store, nodes `c1 … cN`
 * run a client each (history process 1 … N), all under the core name `kv`. The server crashes
 * at random (power loss: unsynced records lost, the first maybe torn) and restarts after a
 * downtime; the network may lose and duplicate datagrams. The result holds what a checker needs:
 * the clients' history, every write the server reported durable (in order), and at each restart
 * what the server recovered next to what the durable writes say it must hold.
 */
export interface KvScenarioOptions {
  seed?: number | string
  /** Client nodes. Default 3. */
  clients?: number
  /** Operations per client. Default 200. */
  ops?: number
  /** Simulated time at most, ms; the run stops earlier once every client is done. Default 600 000. */
  duration?: number
  /** How requests travel. Default `stream`. */
  channel?: Channel
  network?: LinkOptions
  disk?: DiskOptions
  streams?: StreamOptions
  clocks?: ClockSkewOptions
  /** Server settings (snapshot interval, session bounds). */
  server?: KvConfig
  /** Client settings beyond process, servers, ops and channel. */
  client?: Omit<Partial<KvClientConfig>, 'process' | 'servers' | 'ops' | 'channel'>
  /** Server crashes: the mean time between them (exponential, ms) and how long it stays down. */
  crashes?: {every: number; downtime: number}
  /** Partitions cutting the server off from every client: mean time between them (exponential, ms) and how long each lasts. */
  partitions?: {every: number; duration: number}
  trace?: boolean | TraceSink
}

export interface KvWrite {
  at: number
  client: string
  req: number
  op: KvOp
  result: KvResult
}

export interface KvRecovery {
  at: number
  records: number
  snapshot: boolean
  truncatedBytes: number
  /** What the durable writes say the store must hold, and what it holds after start (sorted by key). */
  expected: [string, KvValue][]
  actual: [string, KvValue][]
}

export interface KvScenarioResult {
  history: HistoryEntry[]
  /** Every write the server reported, in order: each was durable when reported. */
  durable: KvWrite[]
  recoveries: KvRecovery[]
  /** Crash instants, when the server came back, and how many records were written but not yet synced at the crash. */
  crashes: {at: number; restartAt: number; unsynced: number}[]
  /** The store at the end (null when down) and what the durable writes say it must hold. */
  final: [string, KvValue][] | null
  expectedFinal: [string, KvValue][]
  /** Clients that finished all their operations. */
  done: number
  ended: number
  stats: SimStats
  sim: Simulator<unknown, KvEvent | KvClientEvent, never>
}

const SERVER = 's1'

export function runKvScenario(opts: KvScenarioOptions = {}): KvScenarioResult {
  const clients = opts.clients ?? 3
  const ops = opts.ops ?? 200
  const duration = opts.duration ?? 600_000
  const sim = new Simulator<unknown, KvEvent | KvClientEvent, never>({
    seed: opts.seed ?? 1,
    network: opts.network,
    disk: opts.disk,
    streams: opts.streams,
    clocks: opts.clocks,
    trace: opts.trace,
  })
  sim.addNode(SERVER, {cores: {kv: kvCoreFactory(opts.server)}})
  const ids: NodeId[] = []
  for (let i = 1; i <= clients; i++) {
    const id = `c${i}`
    ids.push(id)
    sim.addNode(id, {cores: {kv: kvClientFactory({...opts.client, process: i, servers: [SERVER], ops, channel: opts.channel ?? 'stream'})}})
  }

  const history: HistoryEntry[] = []
  const durable: KvWrite[] = []
  const recoveries: KvRecovery[] = []
  const crashes: {at: number; restartAt: number; unsynced: number}[] = []
  const model = new Map<string, KvValue>()
  let done = 0
  const sorted = (m: Iterable<[string, KvValue]>) => [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  const storeEntries = () => sim.core<KvCore>(SERVER, 'kv')?.entries() ?? null

  sim.onEvent((now, node, e) => {
    if (node !== SERVER) {
      if (e.type === 'history') history.push(e.entry)
      else if (e.type === 'done') done++
      return
    }
    if (e.type === 'applied') {
      durable.push({at: now, client: e.client, req: e.req, op: e.op, result: e.result})
      if (e.result.type === 'ok') {
        if (e.op.f === 'put' || e.op.f === 'cas') model.set(e.op.key, e.op.value)
        else if (e.op.f === 'delete') model.delete(e.op.key)
      }
    } else if (e.type === 'recovered') {
      recoveries.push({at: now, records: e.records, snapshot: e.snapshot, truncatedBytes: e.truncatedBytes, expected: sorted(model), actual: sorted(storeEntries() ?? [])})
    }
  })

  if (opts.crashes) {
    const {every, downtime} = opts.crashes
    if (!(every > 0 && downtime >= 0)) throw new Error('kv scenario: crashes need every > 0 and downtime ≥ 0')
    for (let t = sim.random.exponential(every); t < duration; t += downtime + sim.random.exponential(every)) {
      const at = t
      sim.at(at, () => crashes.push({at, restartAt: at + downtime, unsynced: sim.disk(SERVER)?.pending ?? 0}))
      sim.crash(SERVER, at)
      sim.restart(SERVER, at + downtime)
    }
  }

  if (opts.partitions) {
    const {every, duration: length} = opts.partitions
    if (!(every > 0 && length > 0)) throw new Error('kv scenario: partitions need every > 0 and duration > 0')
    for (let t = sim.random.exponential(every); t < duration; t += length + sim.random.exponential(every)) {
      sim.partition([[SERVER]], t)
      sim.heal(t + length)
    }
  }

  while (sim.now < duration && done < clients) sim.runUntil(Math.min(duration, sim.now + 1000))
  const final = sim.status(SERVER) === 'up' ? sorted(storeEntries() ?? []) : null
  return {history, durable, recoveries, crashes, final, expectedFinal: sorted(model), done, ended: sim.now, stats: sim.stats, sim}
}
