import type {NodeId} from '../core/index.js'
import type {MembershipEvent, Tags} from '../gossip/index.js'

/**
 * What a shard core reports, released (like everything it outputs) once what it depends on is
 * durable. A host prints them, draws a progress bar from `move.progress`, and routes two of
 * them to the membership core of the same node (`shardRoute`): `announce` becomes `set-tags`
 * and `left` becomes `leave`.
 */
export type ShardEvent =
  /** What `start` rebuilt from the log. */
  | {type: 'recovered'; authority: number; copies: number; keys: number; records: number; snapshot: boolean; truncatedBytes: number}
  /** This node's ring entry changed: spread it in the membership tags. */
  | {type: 'announce'; tags: Tags}
  /** The ring this node places partitions on changed. */
  | {type: 'ring'; version: string; members: NodeId[]}
  /** A full copy of a partition starts moving to `to` (it holds `keys` keys now). */
  | {type: 'move.start'; partition: number; to: NodeId; keys: number}
  /** Keys of the move acknowledged durably by `to`; totals over every move of this rebalance. */
  | {type: 'move.progress'; partition: number; to: NodeId; sent: number; keys: number; totalSent: number; totalKeys: number}
  /** `to` holds a complete, durable copy and receives every write from now on. */
  | {type: 'move.done'; partition: number; to: NodeId; keys: number; ms: number}
  /** A copy that missed a few writes got them from the backlog instead of a full move. */
  | {type: 'catch-up'; partition: number; to: NodeId; writes: number}
  /** Every copy the ring wants is in sync: this node stops serving `partition` and hands it to `to` (durably decided). */
  | {type: 'handing'; partition: number; to: NodeId; epoch: number}
  /** This node is now the authority of `partition` (reported by the receiver, once durable). */
  | {type: 'handoff'; partition: number; from: NodeId; to: NodeId; epoch: number; keys: number}
  /** This node handed `partition` to `to`, which acknowledged durably; it now redirects to it. */
  | {type: 'handed'; partition: number; to: NodeId; epoch: number}
  /** The ring no longer wants this node's copy: deleted (after the authority had the others in sync). */
  | {type: 'drop'; partition: number; keys: number; by: NodeId}
  | {type: 'leaving'}
  /** Everything moved away: this node holds nothing and leaves the membership. */
  | {type: 'left'}
  /** Two nodes claim one partition: the protocol's invariant broke (never expected; tests look for it). */
  | {type: 'conflict'; partition: number; from: NodeId; detail: string}

/** Commands a shard core accepts: membership events routed from the membership core, and the operator's leave. */
export type ShardCommand = {type: 'member'; event: MembershipEvent} | {type: 'leave'}
