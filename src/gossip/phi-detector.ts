import type {NodeId} from '../core/index.js'
import {AllToAllCore, type Judge} from './all-to-all.js'
import type {SwimProfile} from './config.js'
import {allToAllOptions, definedOnly, heartbeatProfiles} from './heartbeat.js'
import {checkPhiConfig} from './params.js'
import {ArrivalWindow, phiDefaults, type PhiOptions} from './phi.js'
import type {DetectorBaseOptions} from './types.js'

/** All-to-all heartbeats judged by phi accrual instead of a fixed timeout. */
export interface PhiConfig extends PhiOptions {
  interval: number
  syncInterval: number
  reconnectTimeout: number
  tombstoneTimeout: number
}

/** The profile's values (Akka's, scaled to the interval) with `overrides` applied, checked. */
export function phiConfig(profile: SwimProfile = 'lan', overrides: Partial<PhiConfig> = {}): PhiConfig {
  const hb = heartbeatProfiles[profile]
  if (!hb) throw new Error(`unknown gossip profile '${profile}'`)
  const o = definedOnly(overrides)
  const interval = o.interval ?? hb.interval
  const c = {interval, syncInterval: hb.syncInterval, reconnectTimeout: hb.reconnectTimeout, tombstoneTimeout: hb.tombstoneTimeout, ...phiDefaults(interval), ...o}
  checkPhiConfig(c)
  return c
}

export interface PhiDetectorOptions extends DetectorBaseOptions {
  config?: Partial<PhiConfig>
}

export class PhiJudge implements Judge {
  private readonly windows = new Map<NodeId, ArrivalWindow>()
  constructor(private readonly opts: PhiOptions) {}
  heard(id: NodeId, now: number, sample: boolean): void {
    let w = this.windows.get(id)
    if (!w) this.windows.set(id, (w = new ArrivalWindow(this.opts)))
    if (sample) w.heartbeat(now)
    else w.last = now
  }
  isDead(id: NodeId, now: number): boolean {
    const w = this.windows.get(id)
    return w !== undefined && w.phi(now) > this.opts.threshold
  }
  phi(id: NodeId, now: number): number {
    return this.windows.get(id)?.phi(now) ?? 0
  }
  forget(id: NodeId): void {
    this.windows.delete(id)
  }
}

export function createPhi(opts: PhiDetectorOptions): AllToAllCore {
  const c = phiConfig(opts.profile ?? 'lan', opts.config)
  return new AllToAllCore('phi', {...allToAllOptions(opts), ...c}, new PhiJudge(c))
}
