/**
 * dtk's consistent hashing, a pure core: no I/O, no clock, no randomness. A `RingConfig` (plain
 * data) becomes a `Placement` with `createPlacement`; the same config places every key the same
 * way in every process. See docs/hashring.md for the algorithms and what each costs.
 */
import {BoundedPlacement} from './bounded.js'
import {normalizeConfig, type RingConfig} from './config.js'
import {JumpPlacement} from './jump.js'
import {KetamaPlacement} from './ketama.js'
import {MaglevPlacement} from './maglev.js'
import type {Placement} from './placement.js'
import {RendezvousPlacement} from './rendezvous.js'
import {RingPlacement} from './ring.js'

export function createPlacement(config: RingConfig, opts: {maxKeys?: number} = {}): Placement {
  const c = normalizeConfig(config)
  switch (c.algo) {
    case 'ring':
      return new RingPlacement(c)
    case 'ketama':
      return new KetamaPlacement(c)
    case 'jump':
      return new JumpPlacement(c)
    case 'rendezvous':
      return new RendezvousPlacement(c)
    case 'maglev':
      return new MaglevPlacement(c)
    case 'bounded':
      return new BoundedPlacement(c, opts.maxKeys)
  }
}

export * from './config.js'
export {Placement} from './placement.js'
export {RingPlacement, ringContinuum} from './ring.js'
export {KetamaPlacement, ketamaDigests} from './ketama.js'
export {JumpPlacement, jumpHash} from './jump.js'
export {RendezvousPlacement} from './rendezvous.js'
export {MaglevPlacement, maglevTable} from './maglev.js'
export {BoundedPlacement, boundedCapacity, DEFAULT_MAX_KEYS} from './bounded.js'
export {Continuum} from './continuum.js'
export {murmur3String, murmur3Bytes, h64} from './murmur3.js'
export {md5String, md5Bytes} from './md5.js'
export {syntheticKey, syntheticKeys, splitLines, keyAt, type KeySet} from './keys.js'
export {countLoads, loadStats, summarizeLoads, assignAll, loadsOf, movedBetween, type LoadStats, type NodeLoad} from './stats.js'
export {planChange, idealCopies, movedRanges, type Plan, type Transfer, type MovedKey, type HashRange, type PlanOptions} from './plan.js'
export {LookupLines, type LookupLinesOptions} from './lines.js'
