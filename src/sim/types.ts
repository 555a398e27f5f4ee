import type {Channel, Core, CoreFactory, Envelope, NodeId, Route} from '../core/index.js'
import type {TraceSink} from '../trace/index.js'
import type {ClockOptions, ClockSkewOptions, NodeClock} from './clock.js'
import type {DiskOptions, SimDisk} from './disk.js'
import type {Scheduled} from './heap.js'
import type {LinkOptions} from './network.js'
import type {Conn, StreamOptions} from './streams.js'

/**
 * The simulator's types: its options and statistics (public), and the bookkeeping of nodes,
 * cores and scheduled inputs shared by `simulator.ts` and `wire.ts` (internal).
 */

export type NodeStatus = 'pending' | 'up' | 'paused' | 'crashed' | 'failed'

export interface SimulatorOptions {
  /** One seed for the whole run: same seed, same inputs → the same run, byte for byte. */
  seed: number | string
  /** The default link between any two nodes. */
  network?: LinkOptions
  /**
   * Trace every send, delivery, drop, timer, event, crash, start, persist and sync (schema in
   * src/trace, docs/trace.md): `true` keeps the records in `sim.trace`; a sink (a `TraceWriter`)
   * receives them. Off by default, and then nothing is built.
   */
  trace?: boolean | TraceSink
  /** Every node's disk (sync latency, torn writes). */
  disk?: DiskOptions
  /** Seeded clock skew for every node; default none (every clock reads global time). */
  clocks?: ClockSkewOptions
  /** Stream break detection and idle timeout. */
  streams?: StreamOptions
}

export interface NodeOptions {
  /** This node's clock, instead of one drawn from `clocks`. */
  clock?: ClockOptions
}

export interface SimStats {
  /** Heap entries processed (including stale timers skipped), the simulator's unit of work. */
  processed: number
  delivered: number
  /** Messages lost: random loss, partition, the receiver down, or a broken stream. */
  dropped: number
  duplicated: number
  sentUdp: number
  sentTcp: number
  bytesUdp: number
  bytesTcp: number
  /** Records written to disks, syncs completed, streams broken. */
  persisted: number
  syncs: number
  streamBreaks: number
}

export interface NodeStats {
  sentUdp: number
  sentTcp: number
  bytesUdp: number
  bytesTcp: number
  received: number
}

/** A node that refused to start because a synced record of `core` failed its checksum. */
export interface StartFailure {
  at: number
  node: NodeId
  core: string
  record: 'snapshot' | number
}

export type EventListener<E> = (now: number, node: NodeId, event: E, core: string) => void
export type DeliveryListener<M> = (now: number, from: NodeId, to: NodeId, msg: M, channel: Channel, core: string) => void

export const START = 0
export const DELIVER = 1
export const TIMER = 2
export const CONTROL = 3
export const COMMAND = 4
export const SYNC = 5
export const SYNCED = 6
export const BROKEN = 7

export interface SimEvent extends Scheduled {
  kind: number
  slot: Slot | null
  epoch: number
  from: NodeId
  msg: unknown
  /** Timer key; for a routed command, the core it came from. */
  key: string
  /** Timer generation; for a sync, the write sequence number it covers. */
  gen: number
  udp: boolean
  fn: (() => void) | null
  /** Index of the target core on the node (−1: the node does not run it). */
  ci: number
  /** Message sequence number (the id is `from:mid`) and the sender's Lamport clock. */
  mid: number
  lc: number
  conn: Conn<Slot> | null
  dup: boolean
  /** For a timer: the local instant asked for; for a sync: its latency. */
  lat: number
}

export interface Pending {
  send: Envelope<unknown>[]
  events: unknown[]
  upTo: number
}

export interface CoreSlot {
  name: string
  index: number
  factory: CoreFactory
  core: Core<unknown, unknown, unknown> | null
  timers: Map<string, number>
  /** Outputs waiting for their records (or an earlier output's) to be durable, in order. */
  pending: Pending[]
  /** Write sequence number of this core's last record in this life (0: none). */
  lastWrite: number
  onBreak: boolean
}

export interface Slot {
  id: NodeId
  status: NodeStatus
  cores: CoreSlot[]
  byName: Map<string, CoreSlot>
  route: Route | null
  /** Bumped on crash/restart: timers, syncs and streams of an earlier life are discarded. */
  epoch: number
  timerGen: number
  /** Inputs held while paused (SIGSTOP), replayed in order on resume. */
  deferred: SimEvent[]
  /** Partition side; equal sides (0 = no partition) can talk. */
  side: number
  restarts: number
  stats: NodeStats
  clock: NodeClock
  /** The last local time a core of this node saw (its clock never goes back). */
  lastLocal: number
  /** Message sequence and Lamport clock: kept across restarts, so ids stay unique in a run. */
  msgSeq: number
  lc: number
  disk: SimDisk | null
  /** A sync is scheduled or running. */
  syncing: boolean
  /** A sync completed while paused: release on resume. */
  releaseOnResume: boolean
}
