import type {NodeId} from '../core/index.js'
import {AllToAllCore, type Judge} from './all-to-all.js'
import type {SwimProfile} from './config.js'
import type {DetectorBaseOptions} from './types.js'

/** The simplest detector: a peer silent for longer than a fixed `timeout` is dead. */
export interface HeartbeatConfig {
  interval: number
  timeout: number
  syncInterval: number
}

export const heartbeatProfiles: Record<SwimProfile, HeartbeatConfig> = {
  lan: {interval: 1000, timeout: 5000, syncInterval: 30_000},
  local: {interval: 1000, timeout: 5000, syncInterval: 15_000},
  fast: {interval: 200, timeout: 1000, syncInterval: 6_000},
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
  const c = {...heartbeatProfiles[opts.profile ?? 'lan'], ...definedOnly(opts.config)}
  return new AllToAllCore('heartbeat', {id: opts.id, random: opts.random, seeds: opts.seeds, tags: opts.tags, members: opts.members, interval: c.interval, syncInterval: c.syncInterval}, new TimeoutJudge(c.timeout))
}

export function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  const r: Partial<T> = {}
  if (o) for (const [k, v] of Object.entries(o)) if (v !== undefined) (r as Record<string, unknown>)[k] = v
  return r
}
