import type {NodeId} from '../core/index.js'
import {AllToAllCore, type Judge} from './all-to-all.js'
import type {SwimProfile} from './config.js'
import {checkHeartbeatConfig} from './params.js'
import type {DetectorBaseOptions} from './types.js'

/** The simplest detector: a peer silent for longer than a fixed `timeout` is dead. */
export interface HeartbeatConfig {
  interval: number
  timeout: number
  syncInterval: number
  /** A dead member is forgotten this long after it was declared dead (as SWIM's; Serf's reconnect_timeout). */
  reconnectTimeout: number
  /** A member that left is forgotten this long after it left (Serf's tombstone_timeout). */
  tombstoneTimeout: number
}

const DAY = 86_400_000

export const heartbeatProfiles: Record<SwimProfile, HeartbeatConfig> = {
  lan: {interval: 1000, timeout: 5000, syncInterval: 30_000, reconnectTimeout: DAY, tombstoneTimeout: DAY},
  local: {interval: 1000, timeout: 5000, syncInterval: 15_000, reconnectTimeout: DAY, tombstoneTimeout: DAY},
  fast: {interval: 200, timeout: 1000, syncInterval: 6_000, reconnectTimeout: DAY / 5, tombstoneTimeout: DAY / 5},
  memberlist: {interval: 1000, timeout: 5000, syncInterval: 30_000, reconnectTimeout: DAY, tombstoneTimeout: DAY},
}

/** The profile's values with `overrides` applied, checked (a bad value is a UsageError naming its range). */
export function heartbeatConfig(profile: SwimProfile = 'lan', overrides: Partial<HeartbeatConfig> = {}): HeartbeatConfig {
  const base = heartbeatProfiles[profile]
  if (!base) throw new Error(`unknown gossip profile '${profile}'`)
  const c = {...base, ...definedOnly(overrides)}
  checkHeartbeatConfig(c)
  return c
}

export interface HeartbeatOptions extends DetectorBaseOptions {
  config?: Partial<HeartbeatConfig>
}

export class TimeoutJudge implements Judge {
  private readonly last = new Map<NodeId, number>()
  constructor(private readonly timeout: number) {}
  heard(id: NodeId, now: number): void {
    this.last.set(id, now)
  }
  isDead(id: NodeId, now: number): boolean {
    const t = this.last.get(id)
    return t !== undefined && now - t > this.timeout
  }
  forget(id: NodeId): void {
    this.last.delete(id)
  }
}

export function createHeartbeat(opts: HeartbeatOptions): AllToAllCore {
  const c = heartbeatConfig(opts.profile ?? 'lan', opts.config)
  return new AllToAllCore('heartbeat', {...allToAllOptions(opts), ...c}, new TimeoutJudge(c.timeout))
}

/** What the all-to-all core takes from a detector's options. */
export function allToAllOptions(o: DetectorBaseOptions): {id: string; random: DetectorBaseOptions['random']; seeds?: string[]; tags?: Record<string, string>; members?: string[]} {
  return {id: o.id, random: o.random, seeds: o.seeds, tags: o.tags, members: o.members}
}

export function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  const r: Partial<T> = {}
  if (o) for (const [k, v] of Object.entries(o)) if (v !== undefined) (r as Record<string, unknown>)[k] = v
  return r
}
