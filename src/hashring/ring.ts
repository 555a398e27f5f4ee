import {normalizeConfig, weightOf, type NormalConfig, type RingConfig} from './config.js'
import {Continuum} from './continuum.js'
import {murmur3String} from './murmur3.js'
import {ContinuumPlacement} from './on-continuum.js'
import type {Placement} from './placement.js'

/**
 * Consistent hashing with virtual nodes (Karger et al., STOC 1997; Dynamo's ring): every node
 * puts round(vnodes · weight) points on the 32-bit circle, point i at the high 32 bits of
 * MurmurHash3("<id>-<i>"), and a key belongs to the owner of the first point at or after its own
 * hash's high 32 bits. A node joining takes over only the arcs just before its points; a node
 * leaving hands each of its arcs to the next point's owner: only its own keys move, spread over
 * the others (more evenly the more points it has).
 *
 * Colliding points are ordered by node id, so the ring depends on the node set, not the order
 * the nodes were listed in.
 */
export class RingPlacement extends ContinuumPlacement {
  readonly algo = 'ring' as const
  readonly continuum: Continuum

  constructor(config: NormalConfig) {
    super(config)
    this.continuum = ringContinuum(config)
  }

  protected rebuild(config: RingConfig): Placement {
    return new RingPlacement(normalizeConfig(config))
  }
}

/** Points per node for the ring: round(vnodes · weight), at least one. */
export function ringPointCount(config: NormalConfig, id: string): number {
  return Math.max(1, Math.round(config.vnodes * weightOf(config, id)))
}

/** The ring's continuum; bounded loads walks the same one. */
export function ringContinuum(config: NormalConfig): Continuum {
  const points: number[] = []
  const owners: number[] = []
  // Insertion order = node id order, so colliding points tie-break the same whatever the list order.
  const order = config.nodes.map((id, i) => ({id, i})).filter((x): x is {id: string; i: number} => x.id !== null)
  order.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  for (const {id, i} of order) {
    const count = ringPointCount(config, id)
    for (let v = 0; v < count; v++) {
      points.push(murmur3String(`${id}-${v}`))
      owners.push(i)
    }
  }
  return new Continuum(points, owners, config.nodes.length)
}
