import type {EventLog} from '../../events/index.js'
import type {Keyring} from '../../security/index.js'
import type {PeerAddress, Transport} from '../../transport/index.js'
import type {HostHooks, HostedComposition} from '../host/types.js'
import type {NodeHost} from '../host/host.js'

/** What a role gets from the node runtime: its identity, the host its cores run on, the transport, its event log and data dir. */
export interface RoleContext {
  id: string
  host: NodeHost
  transport: Transport
  events: EventLog
  dataDir: string
  seedPeers: PeerAddress[]
}

/**
 * A role is what a node process does besides answering the control protocol: a composition of
 * sans-IO cores that the node host (src/node/host) runs, plus what is the role's own — its
 * events and counters (hooks), its control commands, its status, and any I/O of its own (a
 * metrics server). Echo runs no core; kv-local runs the kv store; gossip runs a failure
 * detector. A new protocol is a new composition, never a copy of the host loop.
 */
export interface Role {
  readonly name: string
  readonly composition: HostedComposition
  readonly hooks?: HostHooks
  /** A core sends datagrams: the host binds UDP on the node's port number. */
  readonly datagrams?: boolean
  /** Event type the host reports dropped inputs under (default `node.rejected`). */
  readonly rejectEvent?: string
  /**
   * The node's keyring, when the role was given a key: the host seals datagrams and stream
   * bodies with it, and the control guard (src/security/control-auth.ts) requires control
   * requests sealed with it. Asked on every use: keys rotate.
   */
  keyring?(): Keyring | undefined
  /** Once the host has bound its sockets, before any core starts: the role's own set-up. */
  start?(ctx: RoleContext): Promise<void>
  /** A request relayed from the CLI (`{op: 'role', body}`). */
  onControl?(body: unknown): unknown | Promise<unknown>
  status(): Record<string, unknown>
  stop?(): Promise<void>
}

/** Role options from `dtk node run` flags (each role reads its own). */
export type RoleOptions = Record<string, unknown>

/** Makes a role; async when it must load something first (the keyring's crypto, only when a key is given). */
export type RoleFactory = (options: RoleOptions) => Role | Promise<Role>
