/**
 * The sans-IO contract shared by every protocol core in dtk (gossip now; Paxos, 2PC and
 * replication later) and by every host that drives one: the deterministic simulator in
 * `src/sim` and the real node runtime. Only types live here, so that protocol folders and hosts
 * can both depend on this folder without depending on each other.
 *
 * The model follows etcd-io/raft's RawNode and apple/swift-cluster-membership's SWIM.Instance: a
 * core is a state machine that is handed inputs (a peer's message, a timer firing, a local
 * command) together with the current logical time, and answers with outputs (messages to send,
 * timers to set or cancel, events for observers). It never reads a clock, sets a real timer,
 * touches a socket or the disk, or calls Math.random: randomness comes in through `Random`, time
 * through the `now` argument. That is what lets one seed reproduce a whole cluster run.
 */

/** A node's identity: stable across restarts of the same node. */
export type NodeId = string

/**
 * The only source of randomness a core may use. Hosts hand each core its own stream (the
 * simulator derives one per node from the run's seed; the runtime may seed from crypto).
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform integer in [0, n); `n` must be a positive integer. */
  int(n: number): number
  /** Shuffles `a` in place (Fisher–Yates) and returns it. */
  shuffle<T>(a: T[]): T[]
}

/**
 * The two ways a message can travel, defined once for every core and honoured by both hosts.
 *
 * - `datagram`: may be lost, duplicated or reordered (the gossip probe path; UDP on real nodes).
 * - `stream`: FIFO per ordered pair of nodes (TCP on real nodes). It never loses, duplicates or
 *   reorders single messages; it can only *break* as a whole (the peer crashed, a partition, a
 *   cut connection). When it breaks, the core is told through `streamBroken`, and whatever it
 *   sent on that stream and was not yet delivered is lost. The next message opens a new stream.
 */
export type Channel = 'datagram' | 'stream'

export interface Envelope<M> {
  to: NodeId
  msg: M
  /** Defaults to `datagram`. */
  channel?: Channel
  /** The core's estimate of the encoded size in bytes, for accounting; hosts may re-measure. */
  bytes?: number
}

/**
 * Ask the host to call `tick(key, at)` at absolute logical time `at` (ms). Setting a key that is
 * already pending replaces it: a key names at most one pending timer per core.
 */
export interface TimerRequest {
  key: string
  at: number
}

/**
 * A record a core needs made durable. `append` adds one record to the core's log; `snapshot`
 * replaces everything persisted before it (a snapshot of the state, after which the log's prefix
 * is dropped). The bytes are the core's own encoding; hosts store them checksummed and never
 * interpret them.
 */
export type DurableRecord = {type: 'append'; data: Uint8Array} | {type: 'snapshot'; data: Uint8Array}

/**
 * What a core durably persisted before its node stopped: the newest snapshot (or null), then
 * every record appended after it, in order. A record whose sync had not completed when the node
 * crashed may be missing (or, if it was torn, is cut off and counted in `truncatedBytes`);
 * a record reported durable is never missing.
 */
export interface Recovered {
  snapshot: Uint8Array | null
  records: Uint8Array[]
  /** Bytes of a torn tail that recovery cut off (0 when the log ended cleanly). */
  truncatedBytes: number
}

/**
 * What a core wants done after one input. Hosts apply `cancel` first, then `timers`; then they
 * make `persist` durable, and only once it is (and every earlier output's `persist` is) do they
 * send `send` and report `events` (etcd raft's Ready rule: persist, then send). Outputs are
 * released in the order they were produced, so a reply never overtakes the write it depends on.
 *
 * Ownership: the arrays may be reused by the core on its next call (that is how cores avoid an
 * allocation per input), so a host must consume an Output before calling into the same core
 * again, and copy what it wants to keep. Messages, events and records themselves are never
 * mutated after being returned.
 */
export interface Output<M, E> {
  send: Envelope<M>[]
  timers: TimerRequest[]
  cancel: string[]
  events: E[]
  /** Records to make durable before `send` leaves and `events` are reported; absent or empty for stateless cores. */
  persist?: DurableRecord[]
}

/**
 * A sans-IO protocol instance as a host sees it.
 *
 * - `start` is called once, first, when the node (re)starts, with what the core durably
 *   persisted in earlier lives (`undefined` for a core that never persists; an empty `Recovered`
 *   on a first start). A restart is a fresh core object: all else is forgotten, as after a crash.
 * - `receive` delivers a message from peer `from`.
 * - `tick` fires a timer the core asked for (and did not replace or cancel since).
 * - `command` is a local request from the node's operator, or an event of another core on the
 *   same node routed here by the node's composition.
 * - `streamBroken` says that the stream to (or from) `peer` broke: messages sent on it and not
 *   yet delivered are lost. Cores that only use datagrams may leave it out.
 *
 * `now` is the node's logical milliseconds, never decreasing across calls on one core. Nodes'
 * clocks need not agree with each other (the simulator can skew them).
 */
export interface Core<M, E, C = never> {
  readonly id: NodeId
  start(now: number, recovered?: Recovered): Output<M, E>
  receive(from: NodeId, msg: M, now: number): Output<M, E>
  tick(key: string, now: number): Output<M, E>
  command?(cmd: C, now: number): Output<M, E>
  streamBroken?(peer: NodeId, now: number): Output<M, E>
}

/** Everything a host hands a core factory. */
export interface CoreContext {
  id: NodeId
  random: Random
  /** Logical time at which the core will be started. */
  now: number
}
