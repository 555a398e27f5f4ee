import type {NodeId} from '../core/index.js'
import {createPlacement, murmur3String, type Algo, type Placement} from '../hashring/index.js'

/**
 * Where keys live: the 32-bit hash circle is cut into P equal arcs, the partitions (Dynamo
 * §6.2, strategy 3: "Q/S tokens per node, equal-sized partitions"; Riak's vnodes, Redis
 * Cluster's hash slots, Couchbase's vBuckets are the same idea), and each partition is placed on
 * the ring's members by a consistent-hashing placement (src/hashring), as the key `p<i>`.
 *
 * A key's owners are its partition's owners, so the keys that move when the ring changes are
 * exactly the keys of the partitions whose owners changed — about P·R/(N+1) partitions when
 * a node joins. Ownership is handed over a partition at a time: that is what lets exactly one
 * node accept writes for a key, absent keys included (see docs/shard.md).
 */

/** The partition of a key: the arc of the circle its MurmurHash3 (high 32 bits) falls in. */
export function partitionOf(key: string, partitions: number): number {
  return Math.floor((murmur3String(key) >>> 0) * partitions / 4294967296)
}

export interface LayoutSpec {
  partitions: number
  replicas: number
  algo: Algo
  vnodes: number
}

/** The owners of every partition for one member list, primary first (computed on demand, kept). */
export class Layout {
  readonly members: readonly NodeId[]
  private readonly placement: Placement | null
  private readonly owners: (NodeId[] | undefined)[]
  private readonly wider: (NodeId[] | undefined)[]

  constructor(
    readonly spec: LayoutSpec,
    members: readonly NodeId[],
  ) {
    this.members = [...members].sort()
    this.placement = this.members.length === 0 ? null : createPlacement({algo: spec.algo, nodes: [...this.members], vnodes: spec.vnodes})
    this.owners = new Array(spec.partitions)
    this.wider = new Array(spec.partitions)
  }

  /** The R owners of partition `p` (fewer when the ring has fewer members), primary first. */
  ownersOf(p: number): readonly NodeId[] {
    let o = this.owners[p]
    if (o === undefined) {
      const r = Math.min(this.spec.replicas, this.members.length)
      o = this.placement === null || r === 0 ? [] : this.placement.lookupN(`p${p}`, r)
      this.owners[p] = o
    }
    return o
  }

  /** The first R + 1 owners: where a partition most likely was before `ownersOf(p)[0]` joined. */
  widerOwnersOf(p: number): readonly NodeId[] {
    let o = this.wider[p]
    if (o === undefined) {
      const r = Math.min(this.spec.replicas + 1, this.members.length)
      o = this.placement === null || r === 0 ? [] : this.placement.lookupN(`p${p}`, r)
      this.wider[p] = o
    }
    return o
  }

  primaryOf(p: number): NodeId | undefined {
    return this.ownersOf(p)[0]
  }

  ownersOfKey(key: string): readonly NodeId[] {
    return this.ownersOf(partitionOf(key, this.spec.partitions))
  }
}
