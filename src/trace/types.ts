/**
 * The trace schema: one JSON object per line (JSONL), one line per thing that happened to a node
 * or a message, in the order it happened. Both hosts write it (the simulator now, the node
 * runtime next), and a later utility draws it as space-time diagrams (Lamport's, one line per
 * node, one arrow per message). docs/trace.md documents every field with a real example.
 *
 * Conventions shared by every record:
 * - `k`: the kind; the union below is closed, a reader may skip kinds it does not know.
 * - `t`: global time in ms (the simulator's virtual clock; on real nodes, the writer's wall
 *   clock), non-decreasing through the file. `lt`: the node's own clock at that instant, which
 *   differs from `t` when clocks are skewed.
 * - `node`: the node where it happened; `core`: the core of that node (`main` for one-core nodes).
 * - `id`: a message id, `<sender>:<sequence>`, unique in a run; a duplicated datagram keeps its
 *   id (its second copy is flagged `dup`). `lc`: the Lamport clock of the node after the step.
 */

export type TraceChannel = 'datagram' | 'stream'

/** Why a message was not delivered. */
export type DropReason =
  /** A datagram lost at random (the link's `loss`). */
  | 'loss'
  /** Sender and receiver were on different sides of a partition (when sent or when it arrived). */
  | 'partition'
  /** The receiver was down (crashed, not started, failed to start) or does not run that core. */
  | 'receiver-down'
  /** A fault rule matched it (the real transport's fault layer; the simulator's link loss of 1). */
  | 'fault-rule'
  /** It was on a stream that broke before it was delivered. */
  | 'stream-broken'

export interface SendRecord {
  k: 'send'
  t: number
  lt: number
  node: string
  core: string
  id: string
  to: string
  ch: TraceChannel
  lc: number
  /** The core's size estimate (0 when it gave none). */
  bytes: number
  /** For streams: the connection's number, so that a reader can check FIFO per connection. */
  conn?: number
  msg: unknown
}

export interface DeliverRecord {
  k: 'deliver'
  t: number
  lt: number
  node: string
  core: string
  id: string
  from: string
  ch: TraceChannel
  lc: number
  dup?: true
}

export interface DropRecord {
  k: 'drop'
  t: number
  /** The intended receiver. */
  node: string
  core: string
  id: string
  from: string
  ch: TraceChannel
  reason: DropReason
  dup?: true
}

export interface TimerRecord {
  k: 'timer'
  t: number
  lt: number
  node: string
  core: string
  key: string
}

export interface CommandRecord {
  k: 'command'
  t: number
  lt: number
  node: string
  core: string
  /** The core whose event was routed here; absent for a command from outside the node. */
  from?: string
  cmd: unknown
}

export interface EventRecord {
  k: 'event'
  t: number
  lt: number
  node: string
  core: string
  event: unknown
}

export interface StartRecord {
  /** `start` for a node's first start, `restart` for every later one. */
  k: 'start' | 'restart'
  t: number
  lt: number
  node: string
  /** How many restarts before this one. */
  restarts: number
  /** Per core: what its durable log handed it. */
  recovered: Record<string, {snapshot: boolean; records: number; truncatedBytes: number}>
}

export interface StartFailedRecord {
  k: 'start-failed'
  t: number
  node: string
  core: string
  /** Why the node refused to start: `corrupt` (a synced record fails its checksum). */
  reason: 'corrupt'
  /** Which record (the simulator): `snapshot`, or the index of the record after the snapshot. */
  record?: 'snapshot' | number
  /** Where (a real node): the log file and the byte offset of the damaged frame. */
  file?: string
  offset?: number
}

export interface CrashRecord {
  k: 'crash'
  t: number
  node: string
  /** Records written but not yet synced, lost with the crash. */
  lost: number
  /** Bytes of the first lost record that reached the disk anyway (a torn write; 0 if none). */
  torn: number
}

export interface PersistRecord {
  k: 'persist'
  t: number
  lt: number
  node: string
  core: string
  /** How many records, and their total size in bytes. */
  records: number
  bytes: number
  /** The node's write sequence number of the last record (compare with `synced.upTo`). */
  upTo: number
  /** True when one of the records is a snapshot. */
  snapshot?: true
}

export interface SyncedRecord {
  k: 'synced'
  t: number
  node: string
  /** Every record up to this write sequence number is durable now. */
  upTo: number
  /** Records this sync made durable, and how long it took (ms). */
  records: number
  latency: number
}

export interface BreakRecord {
  k: 'break'
  t: number
  /** One end of the stream, and the other. */
  node: string
  peer: string
  core: string
  conn: number
  cause: 'crash' | 'partition' | 'fault' | 'refused'
  /** Real nodes: the transport's own reason (`lost`, `fault`, `stalled`, `unreachable`, `peer-changed`) and which direction broke. */
  reason?: string
  direction?: 'outbound' | 'inbound'
}

export interface StreamBrokenRecord {
  k: 'stream-broken'
  t: number
  lt: number
  /** The end that is told, and the peer its stream led to. */
  node: string
  peer: string
  core: string
  conn: number
}

export interface FaultRecord {
  k: 'fault'
  t: number
  /** `partition` lists the sides; `corrupt` names the node, core and record hit. */
  fault: 'partition' | 'heal' | 'pause' | 'resume' | 'corrupt'
  node?: string
  core?: string
  sides?: string[][]
  record?: 'snapshot' | number
}

export type TraceRecord =
  | SendRecord
  | DeliverRecord
  | DropRecord
  | TimerRecord
  | CommandRecord
  | EventRecord
  | StartRecord
  | StartFailedRecord
  | CrashRecord
  | PersistRecord
  | SyncedRecord
  | BreakRecord
  | StreamBrokenRecord
  | FaultRecord

export type TraceKind = TraceRecord['k']

/** Where a host hands its trace records; tracing off is no sink at all (nothing is built). */
export interface TraceSink {
  record(r: TraceRecord): void
}

/** Every kind, for readers and tests that must know them all (checked against the union below). */
export const TRACE_KINDS = ['send', 'deliver', 'drop', 'timer', 'command', 'event', 'start', 'restart', 'start-failed', 'crash', 'persist', 'synced', 'break', 'stream-broken', 'fault'] as const satisfies readonly TraceKind[]
type Missing = Exclude<TraceKind, (typeof TRACE_KINDS)[number]>
const everyKindListed: Missing extends never ? true : never = true
void everyKindListed
