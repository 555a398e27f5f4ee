import type {NodeId} from '../core/index.js'
import type {ResolvedShardConfig} from './config.js'
import type {Copies} from './copies.js'
import type {ShardEvent} from './events.js'
import type {Layout} from './layout.js'
import type {ShardWire} from './messages.js'
import type {Part} from './part.js'
import type {ShardRecord} from './records.js'
import type {RingEntry} from './ring-state.js'

/**
 * What the pieces of a shard core (the copy side in `holder.ts`, the client side in `serve.ts`)
 * need from the core: its state, read-only, and its outputs. The core (`core.ts`) implements it;
 * keeping the pieces behind this interface keeps each file to one concern.
 */
export interface ShardContext {
  readonly id: NodeId
  readonly cfg: ResolvedShardConfig
  readonly now: number
  readonly parts: readonly Part[]
  readonly copies: Copies
  readonly layout: Layout
  /** The ring as it was first started (to guess where a partition never heard of is). */
  readonly initialLayout: Layout
  /** The operator asked this node to leave (its partitions move away; it accepts none). */
  readonly leaving: boolean
  readonly selfEntry: RingEntry
  /** Starting no new move, handoff or drop until then (views settle after a ring change). */
  readonly settling: boolean
  send(to: NodeId, msg: ShardWire): void
  /** Makes a record durable (appended to this input's output) and applies it to the state. */
  record(r: ShardRecord): void
  event(e: ShardEvent): void
  /** A ring entry learnt from a peer (a refusal says it is leaving). */
  learn(node: NodeId, e: RingEntry): void
}
