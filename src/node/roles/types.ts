import type {EventLog} from '../../events/index.js'
import type {PeerAddress, Transport} from '../../transport/index.js'

/** What a role gets from the node runtime: its identity, the one transport, its event log and data dir. */
export interface RoleContext {
  id: string
  transport: Transport
  events: EventLog
  dataDir: string
  seedPeers: PeerAddress[]
}

/**
 * A role is what a node process does besides answering the control protocol: echo, a local KV,
 * and in later issues gossip, replication, Paxos and 2PC. Roles that run a protocol are thin
 * shells around a sans-IO core; the I/O lives here, the rules live in the core.
 */
export interface Role {
  readonly name: string
  start(ctx: RoleContext): Promise<void>
  /** A request from a peer node; return `undefined` when the op is not this role's. */
  onPeerRequest?(msg: {op: string; [k: string]: unknown}, from: string): unknown | Promise<unknown>
  /** A one-way message from a peer node. */
  onPeerMessage?(msg: {op: string; [k: string]: unknown}, from: string): void
  /** A request relayed from the CLI (`{op: 'role', body}`). */
  onControl?(body: unknown): unknown | Promise<unknown>
  status(): Record<string, unknown>
  stop(): Promise<void>
}

/** Role options from `dtk node run` flags (each role reads its own). */
export type RoleOptions = Record<string, unknown>

export type RoleFactory = (options: RoleOptions) => Role
