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
 * How a message should travel. `udp`: a datagram that may be lost, duplicated or reordered (the
 * gossip probe path). `tcp`: a reliable stream, which can still fail as a whole when the peer is
 * down or partitioned away (push-pull state sync).
 */
export type Channel = 'udp' | 'tcp'

export interface Envelope<M> {
  to: NodeId
  msg: M
  /** Defaults to `udp`. */
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
 * What a core wants done after one input. Hosts apply `cancel` first, then `timers`, then
 * `send`, then hand `events` to observers.
 *
 * Ownership: the arrays may be reused by the core on its next call (that is how cores avoid an
 * allocation per input), so a host must consume an Output before calling into the same core
 * again, and copy what it wants to keep. Messages and events themselves are never mutated after
 * being returned.
 */
export interface Output<M, E> {
  send: Envelope<M>[]
  timers: TimerRequest[]
  cancel: string[]
  events: E[]
}

/**
 * A sans-IO protocol instance as a host sees it.
 *
 * - `start` is called once, first, when the node (re)starts: a restart is a fresh core with the
 *   same id and an empty state, as after a process crash.
 * - `receive` delivers a message from peer `from`.
 * - `tick` fires a timer the core asked for (and did not replace or cancel since).
 * - `command` is a local request from the node's operator (leave, set tags, propose a value…).
 *
 * `now` is logical milliseconds, never decreasing across calls on one core.
 */
export interface Core<M, E, C = never> {
  readonly id: NodeId
  start(now: number): Output<M, E>
  receive(from: NodeId, msg: M, now: number): Output<M, E>
  tick(key: string, now: number): Output<M, E>
  command?(cmd: C, now: number): Output<M, E>
}

/** Everything a host hands a core factory. */
export interface CoreContext {
  id: NodeId
  random: Random
  /** Logical time at which the core will be started. */
  now: number
}
