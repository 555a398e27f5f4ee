import type {Composition, CoreFactory, Route, Routed} from '../core/index.js'
import type {DetectorCommand, MembershipEvent, Tags} from '../gossip/index.js'
import type {ShardConfig} from './config.js'
import {shardCoreFactory} from './core.js'
import type {ShardCommand, ShardEvent} from './events.js'

/**
 * A shard node as a composition (src/core): a membership core and the shard core side by side,
 * and the route between them. Both hosts run the same definition: the simulator's scenario
 * (src/sim/shard-scenario.ts) and, later, the real node runtime.
 *
 * - every membership event becomes a `{type: 'member', event}` command of the shard core;
 * - the shard core's `announce` (its ring entry changed) becomes `set-tags` on the membership
 *   core, with `baseTags` kept (set-tags replaces all tags: a real host passes its `addr` here);
 * - its `left` (everything moved away) becomes the membership core's `leave`.
 *
 * The shard core runs under the name `kv`, so that KV clients (whose core is also `kv`) reach it.
 */
export const SHARD_CORE = 'kv'
export const MEMBERSHIP_CORE = 'membership'

export interface ShardRouteOptions {
  /** Core names (default `membership` and `kv`). */
  membershipName?: string
  shardName?: string
  /** Tags the membership core must keep (set-tags replaces them all). */
  baseTags?: Tags
}

export function shardRoute(opts: ShardRouteOptions = {}): Route {
  const membership = opts.membershipName ?? MEMBERSHIP_CORE
  const shard = opts.shardName ?? SHARD_CORE
  const base = opts.baseTags ?? {}
  return (from, event): Routed[] | undefined => {
    if (from === membership) return [{core: shard, cmd: {type: 'member', event: event as MembershipEvent} satisfies ShardCommand}]
    if (from !== shard) return undefined
    const e = event as ShardEvent
    if (e.type === 'announce') return [{core: membership, cmd: {type: 'set-tags', tags: {...base, ...e.tags}} satisfies DetectorCommand}]
    if (e.type === 'left') return [{core: membership, cmd: {type: 'leave'} satisfies DetectorCommand}]
    return undefined
  }
}

export interface ShardNodeOptions extends ShardRouteOptions {
  shard: ShardConfig
  /** The membership core's factory (a detector from src/gossip, e.g. `createDetector('swim', …)`). */
  membershipCore: CoreFactory
}

/** `{cores: {membership, kv}, route}` for one shard node. */
export function shardComposition(opts: ShardNodeOptions): Composition {
  return {
    cores: {[opts.membershipName ?? MEMBERSHIP_CORE]: opts.membershipCore, [opts.shardName ?? SHARD_CORE]: shardCoreFactory(opts.shard)},
    route: shardRoute(opts),
  }
}
