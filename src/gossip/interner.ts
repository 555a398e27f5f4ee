import type {NodeId} from '../core/index.js'

/**
 * Dense numbering of member ids, for the member table's lookups (member-table.ts): the lookup
 * of every piggybacked update is the hottest path of a simulation, and a small map plus typed
 * arrays indexed by number beats a hash table of records per core.
 *
 * Each core makes its own (real nodes: one core, one interner), which forgets an id when the
 * core forgets the member, so it holds the core's members and no more. A host running many cores
 * in one process may hand them one interner instead (`shared`): the simulator gives all the
 * cores of one run the same, because a thousand private maps of a thousand ids no longer fit any
 * cache (docs/simulator.md has the figures). Numbers are only positions in arrays — nothing
 * iterates in their order — so sharing cannot change a run; a shared interner never forgets (it
 * holds the ids of one run and goes with it).
 */
export class IdInterner {
  private readonly index = new Map<NodeId, number>()
  private readonly free: number[] = []
  private next = 0

  constructor(readonly shared = false) {}

  get size(): number {
    return this.index.size
  }

  find(id: NodeId): number | undefined {
    return this.index.get(id)
  }

  intern(id: NodeId): number {
    let i = this.index.get(id)
    if (i === undefined) {
      i = this.free.length > 0 ? this.free.pop()! : this.next++
      this.index.set(id, i)
    }
    return i
  }

  /** The core forgot `id`: a private interner frees its number for the next new id. */
  release(id: NodeId): void {
    if (this.shared) return
    const i = this.index.get(id)
    if (i === undefined) return
    this.index.delete(id)
    this.free.push(i)
  }
}
