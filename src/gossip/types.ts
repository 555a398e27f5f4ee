import type {Core, NodeId, Random} from '../core/index.js'
import type {SwimProfile} from './config.js'

/**
 * What every failure detector in this folder shares with its host and observers: the membership
 * view and the events that change it. `swim`, `phi` and `heartbeat` emit the same events, so
 * scenario metrics and the CLI treat them alike.
 */

export type MemberState = 'alive' | 'suspect' | 'dead' | 'left'

export type Tags = Record<string, string>

/** One member as this node sees it. */
export interface Member {
  id: NodeId
  state: MemberState
  /** The member's own incarnation number (SWIM §4.2); only the member itself raises it. */
  incarnation: number
  tags: Tags
  /** Logical ms of the last state change seen here. */
  lastChange: number
}

/** Alive or suspect: still a member, still probed and counted. */
export function isLive(s: MemberState): boolean {
  return s === 'alive' || s === 'suspect'
}

/** What every detector core keeps per member (each adds its own fields). */
export interface MemberRecord {
  id: NodeId
  state: MemberState
  inc: number
  tags: Tags
  lastChange: number
}

/** A record as the `Member` observers read (tags copied: the record's stay the core's). */
export function memberView(r: MemberRecord): Member {
  return {id: r.id, state: r.state, incarnation: r.inc, tags: {...r.tags}, lastChange: r.lastChange}
}

/**
 * A change in this node's view of `member`.
 * - `join`: first learned of, alive.
 * - `alive`: was suspect/dead/left, now alive again (a refutation, a recovery, a rejoin).
 * - `suspect` / `dead`: `by` is the node whose probe started the accusation.
 * - `leave`: the member announced a graceful leave.
 * - `update`: new tags (metadata) at a higher incarnation.
 * - `forget`: a dead member past the reconnect timeout, or one that left past the tombstone
 *   timeout, was removed from the table (Serf's reap); a later alive message adds it afresh.
 */
export interface MembershipEvent {
  type: 'join' | 'alive' | 'suspect' | 'dead' | 'leave' | 'update' | 'forget'
  member: NodeId
  incarnation: number
  by?: NodeId
  tags?: Tags
}

/** Local commands every detector accepts. */
export type DetectorCommand = {type: 'leave'} | {type: 'set-tags'; tags: Tags}

export type DetectorKind = 'swim' | 'phi' | 'heartbeat'

/** A failure detector core: a sans-IO `Core` plus a read-only view of its membership. */
export interface Detector<M = unknown> extends Core<M, MembershipEvent, DetectorCommand> {
  readonly kind: DetectorKind
  /** Every member this node knows of, itself excluded, in no particular order. */
  members(): Member[]
  member(id: NodeId): Member | undefined
  /** This node's own incarnation and tags. */
  self(): Member
}

/** What every detector is built from; each adds its own `config` overrides. */
export interface DetectorBaseOptions {
  id: NodeId
  random: Random
  /** Members to contact to join; empty for the first node. */
  seeds?: NodeId[]
  tags?: Tags
  /** Members known alive from the start, as if restored from a snapshot (no join needed). */
  members?: NodeId[]
  /** Parameter profile (memberlist LAN / Local defaults, or `fast` for demos). Default `lan`. */
  profile?: SwimProfile
}
