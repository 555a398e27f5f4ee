import type {CoreFactory, Envelope, Route} from '../../core/index.js'
import type {EventLog} from '../../events/index.js'
import type {Keyring} from '../../security/index.js'
import type {DurableLogOptions} from '../../storage/index.js'
import type {TraceSink} from '../../trace/index.js'
import type {PeerAddress, Transport} from '../../transport/index.js'
import type {ClientLimits} from './clients.js'
import type {ClockKind} from './clock.js'

/** Checks a message off the wire before a core sees it: the message to hand over, or why not. */
export type Validator<M = unknown> = (x: unknown) => {ok: true; msg: M} | {ok: false; reason: string}

/** One core of a node as its role declares it to the host. */
export interface HostedCore<M = any, E = any, C = any> {
  factory: CoreFactory<M, E, C>
  /** Every message for this core, from a peer or a client, passes this first; a failure is dropped and counted by reason. */
  validate?: Validator<M>
  /**
   * The core persists records: the host opens its DurableLog (`<data-dir>/<core>/`) before the
   * core starts and hands it what the log recovered. A core without it must never persist.
   */
  durable?: boolean
  /** Its `now`: `node` (default) or `wall` (see clock.ts). */
  clock?: ClockKind
  /**
   * A datagram that does not fit (its size estimate was off): two smaller messages carrying
   * the same content, or null when it cannot be split (then it is dropped and reported).
   */
  split?(msg: M): [M, M] | null
}

/** What a node runs: named cores (started in this order), the route between them, and which one serves clients. */
export interface HostedComposition {
  cores: Record<string, HostedCore>
  route?: Route
  /** The core client requests are meant for (the node's status says it: `roleStatus.clientCore`). */
  clientCore?: string
}

/**
 * A role's view of what passes through the host, for its counters and its own events. All
 * optional, all called synchronously; none may call into a core.
 */
export interface HostHooks {
  /** Where a peer is; the host knows only its seed peers and where datagrams came from without it. */
  resolve?(peer: string): PeerAddress | undefined
  /** A datagram from `peer` arrived from that address (a peer's UDP and TCP share the port number). */
  heard?(peer: PeerAddress): void
  /** A message left core `core` (once released). */
  sent?(core: string, env: Envelope<unknown>): void
  /** A validated message is about to reach core `core`. */
  received?(core: string, from: string, msg: unknown): void
  /** Core `core` has handled a message (its output applied). */
  afterReceive?(core: string): void
  /** Core `core` reported an event (once released). */
  event?(core: string, event: unknown): void
  /** A message for a peer whose address is unknown was not sent. */
  unroutable?(core: string, to: string): void
  /** A datagram too large even after splitting was not sent. */
  oversize?(core: string, to: string, msg: unknown): void
}

export interface HostOptions {
  id: string
  dataDir: string
  transport: Transport
  events: EventLog
  seedPeers: PeerAddress[]
  /** Seed of every core's Random (a random one when absent); logged in `node.start`. */
  seed?: number
  /** A trace file (appended to across restarts) or a sink. */
  trace?: string | TraceSink
  /** The node's keyring, asked on every use (keys rotate): seals datagrams and stream bodies. */
  keyring?: () => Keyring | undefined
  /** The node sends or receives datagrams (binds UDP on the transport's port number). */
  datagrams?: boolean
  /** Event type of reject reports (default `node.rejected`). */
  rejectEvent?: string
  clients?: Partial<ClientLimits>
  /** Options of every core's DurableLog (tests slow its syncs down through `io`). */
  storage?: Omit<DurableLogOptions, 'name'>
  /** A persist failed: the node must stop (its cores' memory is ahead of its disk). */
  onFatal?(error: Error): void
}
