/**
 * The sans-IO contract shared by every protocol core in dtk (gossip now; Paxos, 2PC and
 * replication later) and by every host that drives one: the deterministic simulator in
 * `src/sim` and the real node runtime.
 *
 * The model follows etcd-io/raft's RawNode and apple/swift-cluster-membership's SWIM.Instance: a
 * core is a state machine that is handed inputs (what it persisted in earlier lives, a peer's
 * message, a timer firing, a command, a broken stream) together with its node's current time,
 * and answers with outputs (messages to send, timers to set or cancel, records to make durable,
 * events for observers). It never reads a clock, sets a real timer, touches a socket or the
 * disk, or calls Math.random: randomness comes in through `Random`, time through the `now`
 * argument, its past through `start`. That is what lets one seed reproduce a whole cluster run.
 *
 * Only types live here (and `MAIN_CORE`, one name), so that protocol folders and hosts can both
 * depend on this folder without depending on each other. docs/architecture.md explains the rules.
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
 * - `stream`: FIFO per ordered pair of nodes (TCP on real nodes; each core of a node has its own
 *   streams). It never loses, duplicates or reorders single messages; it can only *break* as a
 *   whole (the peer crashed, a partition, a cut connection). What was delivered on one stream is
 *   always a prefix of what was sent on it. When it breaks, every live end is told through
 *   `streamBroken` (after a detection delay, as TCP learns of a dead peer), and whatever was sent
 *   on it and not yet delivered is lost, including what the end sends before it is told. The
 *   next message after that opens a new stream.
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
 * a record reported durable is never missing. A log whose synced records fail their checksum is
 * never handed over: the host refuses to start the node instead (corruption is not a torn tail).
 */
export interface Recovered {
  snapshot: Uint8Array | null
  records: Uint8Array[]
  /** Bytes of a torn tail that recovery cut off (0 when the log ended cleanly). */
  truncatedBytes: number
}

/**
 * What a core wants done after one input. Hosts apply `cancel` first, then `timers`, at once;
 * then they make `persist` durable, and only once it is (and every earlier output's `persist` of
 * the same core is) do they send `send` and report `events` (etcd raft's Ready rule: persist,
 * then send). A core's outputs are released in the order it produced them, so a reply never
 * overtakes the write it depends on, even a reply that itself persists nothing.
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
 *   persisted in earlier lives: hosts always pass a `Recovered` (empty on a first start, or for
 *   a core that never persists); the parameter is optional only so that tests may start a core
 *   by hand. A restart is a fresh core object: all else is forgotten, as after a crash.
 * - `receive` delivers a message from peer `from`.
 * - `tick` fires a timer the core asked for (and did not replace or cancel since).
 * - `command` is a local request from the node's operator, or an event of another core on the
 *   same node routed here by the node's composition.
 * - `streamBroken` says that the stream to (or from) `peer` broke: messages sent on it and not
 *   yet delivered are lost, and so is anything sent on it before this call. The next message to
 *   `peer` opens a new stream. Cores that only use datagrams may leave it out.
 *
 * `now` is the node's own clock in milliseconds, never decreasing across calls on one core (nor
 * across restarts of the node). Nodes' clocks need not agree with each other (the simulator can
 * give each an offset and a drift); timers are asked for in the same node time.
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
  /** The node's logical time (its own clock) at which the core will be started. */
  now: number
  /** How many times this node has been restarted before (0 on its first start). */
  restarts: number
  /** The core's name on its node (see `Composition`); `main` for a node running one core. */
  core: string
}

/** Makes a fresh core for one life of one node: called on every (re)start. */
export type CoreFactory<M = any, E = any, C = any> = (ctx: CoreContext) => Core<M, E, C>

/** The name a host gives the core of a node that runs only one. */
export const MAIN_CORE = 'main'

/** A command for core `core` of the same node, made from another core's event by a `Route`. */
export interface Routed {
  core: string
  cmd: unknown
}

/**
 * Turns an event of core `from` into commands for other cores of the same node. Called once per
 * event, after the event is released (after its output's records are durable); the commands are
 * handed to their cores as `command` inputs at the same instant, after the current input.
 */
export type Route = (from: string, event: unknown) => readonly Routed[] | undefined | void

/**
 * What one node runs: several named cores side by side (say `{membership, kv}`) and how events
 * of one become commands of another. Every host honours the same rules:
 *
 * - cores start in the order of `cores`, each with its own recovered log;
 * - a message goes from core `c` on one node to the core with the same name `c` on the peer (the
 *   name works like a port); a message for a core the peer does not run is lost;
 * - timer keys are per core, so two cores may use the same key;
 * - each core has its own durable log, its own streams and its own release order; the node's
 *   disk is shared (one sync covers every core's pending records: group commit);
 * - a crash or a restart takes every core of the node down or up together.
 */
export interface Composition {
  cores: Record<string, CoreFactory>
  route?: Route
}
