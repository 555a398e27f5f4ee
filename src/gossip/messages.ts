import type {NodeId} from '../core/index.js'
import type {MemberState, Tags} from './types.js'
import {encodedSize, strSize, intSize} from './size.js'

/**
 * SWIM's wire messages. Updates (the gossip payload) are kept compact because up to a datagram
 * full of them ride on every probe; message envelopes use readable names.
 */

/** A membership update as gossiped (memberlist's alive/suspect/dead messages). */
export interface Update {
  kind: 'alive' | 'suspect' | 'dead'
  node: NodeId
  inc: number
  /** suspect/dead: the accuser. A dead update with from === node is a graceful leave. */
  from?: NodeId
  /** alive: the member's tags. */
  tags?: Tags
  /**
   * suspect: when the accusation was raised, in ms on the clock the members share (the one the
   * aligned probe schedule uses), so every holder times the suspicion from the same instant.
   */
  at?: number
}

export interface PingMsg {
  type: 'ping'
  seq: number
  /** The intended member, so a restarted node at the same address does not ack for a stranger. */
  target: NodeId
  updates: Update[]
}
export interface AckMsg {
  type: 'ack'
  seq: number
  updates: Update[]
}
export interface PingReqMsg {
  type: 'ping-req'
  seq: number
  target: NodeId
  updates: Update[]
}
/** Lifeguard: an indirect prober's "I tried and got nothing", so the requester can tell its own trouble from the target's. */
export interface NackMsg {
  type: 'nack'
  seq: number
}
export interface GossipMsg {
  type: 'gossip'
  updates: Update[]
}
export interface MemberSnapshot {
  id: NodeId
  state: MemberState
  inc: number
  tags: Tags
}
/** Full state exchange over TCP: on join, periodically, and to reconnect with the dead. */
export interface PushPullMsg {
  type: 'push-pull'
  reply: boolean
  join: boolean
  states: MemberSnapshot[]
}

export type SwimMessage = PingMsg | AckMsg | PingReqMsg | NackMsg | GossipMsg | PushPullMsg

// Constant parts of the sizes below, computed once (they are on the hot path of every message).
const UPDATE_BASE = 3 + strSize('kind') + strSize('node') + strSize('inc')
const KIND_SIZE = {alive: strSize('alive'), suspect: strSize('suspect'), dead: strSize('dead')} as const
const FROM_KEY = strSize('from')
const TAGS_KEY = strSize('tags')
const AT_KEY = strSize('at')
const PING_BASE = 3 + strSize('type') + strSize('ping') + strSize('seq') + strSize('target') + strSize('updates') + 3
const PING_REQ_BASE = 3 + strSize('type') + strSize('ping-req') + strSize('seq') + strSize('target') + strSize('updates') + 3
const ACK_BASE = 3 + strSize('type') + strSize('ack') + strSize('seq') + strSize('updates') + 3
const GOSSIP_SIZE = 3 + strSize('type') + strSize('gossip') + strSize('updates') + 3

/** Bytes an update adds inside a message's `updates` array (its exact MessagePack size). */
export function updateSize(u: Update): number {
  let n = UPDATE_BASE + (KIND_SIZE[u.kind] ?? strSize(u.kind)) + strSize(u.node) + intSize(u.inc)
  if (u.from !== undefined) n += FROM_KEY + strSize(u.from)
  if (u.tags !== undefined) n += TAGS_KEY + encodedSize(u.tags)
  if (u.at !== undefined) n += AT_KEY + intSize(u.at)
  return n
}

/** Envelope bytes of a message with an empty `updates` array, and the array header's worst case. */
export function envelopeSize(msg: SwimMessage): number {
  switch (msg.type) {
    case 'ping':
      return PING_BASE + intSize(msg.seq) + strSize(msg.target)
    case 'ping-req':
      return PING_REQ_BASE + intSize(msg.seq) + strSize(msg.target)
    case 'ack':
      return ACK_BASE + intSize(msg.seq)
    case 'gossip':
      return GOSSIP_SIZE
    default:
      return encodedSize(msg)
  }
}

/** Estimated encoded size of any SWIM message (exact for MessagePack up to the array header). */
export function messageSize(msg: SwimMessage): number {
  return encodedSize(msg)
}
