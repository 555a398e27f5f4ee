import type {NodeId} from '../core/index.js'
import type {Copies} from './copies.js'
import type {Layout} from './layout.js'
import type {Part} from './part.js'

/** What a shard node reports about itself (`ShardCore.status()`): for a host's status line, and for a scenario to know when rebalancing is over. */
export interface ShardStatus {
  /** Partitions this node serves, and partitions it holds a plain copy of. */
  authority: number
  copies: number
  keys: number
  handing: number
  moving: number
  queued: number
  opening: number
  pending: number
  parked: number
  leaving: boolean
  ring: string
  members: number
  /** Nothing left to do as far as this node can tell: every partition it serves is where the ring wants it, with its R copies in sync. */
  settled: boolean
}

export function shardStatus(
  id: NodeId,
  parts: readonly Part[],
  layout: Layout,
  copies: Copies,
  rest: {pending: number; parked: number; leaving: boolean; ring: string; settling: boolean},
): ShardStatus {
  let authority = 0
  let held = 0
  let handing = 0
  let keys = 0
  let misplacedAuthority = 0
  let extraCopies = 0
  let unsynced = 0
  for (const part of parts) {
    keys += part.data.size
    if (part.role === 'holder') held++
    if (part.role !== 'auth') continue
    authority++
    if (part.handing) handing++
    const owners = layout.ownersOf(part.p)
    if (owners[0] !== id) misplacedAuthority++
    for (const [node, c] of copies.of(part.p)) {
      if (!owners.includes(node)) extraCopies++
      else if (!c.inSync) unsynced++
    }
    for (const o of owners) if (o !== id && !copies.get(part.p, o)) unsynced++
  }
  const busy = copies.busy
  return {
    authority,
    copies: held,
    keys,
    handing,
    moving: busy.moving,
    queued: busy.queued,
    opening: busy.opening,
    pending: rest.pending,
    parked: rest.parked,
    leaving: rest.leaving,
    ring: rest.ring,
    members: layout.members.length,
    settled: !rest.settling && handing === 0 && misplacedAuthority === 0 && extraCopies === 0 && unsynced === 0 && busy.moving + busy.queued + busy.opening === 0,
  }
}
