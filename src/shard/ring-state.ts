import type {NodeId} from '../core/index.js'
import {validNodeId} from '../hashring/index.js'

/**
 * Who is in the ring: one entry per node that ever joined, merged by taking the larger
 * (generation, status) — a state-based CRDT, so every node that has seen the same entries holds
 * the same ring whatever the order it saw them in (Cassandra's gossip STATUS values play this
 * part: NORMAL, LEAVING, LEFT; Riak gossips its ring the same way).
 *
 * - A node announces its own entry: `in` when it joins, `leaving` when the operator asks it to
 *   leave (its partitions move away), `out` once it holds nothing. Only the node itself raises
 *   its generation, to come back after being `out`.
 * - Another node may write `out` at the node's current generation, only for a member dead
 *   longer than `deadGrace` (off by default).
 *
 * The failure detector spreads each node's own entry in its tags (`shard=<gen>:<status>`);
 * nodes also exchange whole rings now and then (`sh.ring`), because a freshly started detector
 * never hears of members that died or left before it started. The ring is persisted, so a
 * restarted node does not forget members that are down.
 */
export type RingStatus = 'in' | 'leaving' | 'out'

export interface RingEntry {
  gen: number
  status: RingStatus
}

const RANK: Record<RingStatus, number> = {in: 0, leaving: 1, out: 2}

/** The tag a node's shard entry travels in, in the failure detector's metadata. */
export const SHARD_TAG = 'shard'

/** Entries as they travel and are persisted: `[node, gen, status]`. */
export type RingTuple = [NodeId, number, RingStatus]

/** Most members a ring may hold (one message carries them all). */
export const MAX_RING_ENTRIES = 4096

export function newer(a: RingEntry, b: RingEntry | undefined): boolean {
  if (b === undefined) return true
  return a.gen > b.gen || (a.gen === b.gen && RANK[a.status] > RANK[b.status])
}

export function formatTag(e: RingEntry): string {
  return `${e.gen}:${e.status}`
}

export function parseTag(s: string | undefined): RingEntry | null {
  if (s === undefined) return null
  const m = /^(\d{1,9}):(in|leaving|out)$/.exec(s)
  return m ? {gen: Number(m[1]), status: m[2] as RingStatus} : null
}

export function validTuple(t: unknown): t is RingTuple {
  return (
    Array.isArray(t) &&
    t.length === 3 &&
    typeof t[0] === 'string' &&
    validNodeId(t[0]) &&
    Number.isSafeInteger(t[1]) &&
    (t[1] as number) >= 0 &&
    (t[2] === 'in' || t[2] === 'leaving' || t[2] === 'out')
  )
}

export class RingState {
  private readonly entries = new Map<NodeId, RingEntry>()
  private cached: NodeId[] | null = null

  /** Takes `e` for `node` if it is newer; says whether anything changed. */
  merge(node: NodeId, e: RingEntry): boolean {
    if (!newer(e, this.entries.get(node))) return false
    if (!this.entries.has(node) && this.entries.size >= MAX_RING_ENTRIES) return false
    this.entries.set(node, {gen: e.gen, status: e.status})
    this.cached = null
    return true
  }

  mergeAll(tuples: readonly RingTuple[]): boolean {
    let changed = false
    for (const [node, gen, status] of tuples) if (this.merge(node, {gen, status})) changed = true
    return changed
  }

  get(node: NodeId): RingEntry | undefined {
    return this.entries.get(node)
  }

  /** The members partitions are placed on: status `in`, sorted. */
  members(): NodeId[] {
    if (this.cached === null) this.cached = [...this.entries].filter(([, e]) => e.status === 'in').map(([id]) => id).sort()
    return this.cached
  }

  tuples(): RingTuple[] {
    return [...this.entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([id, e]) => [id, e.gen, e.status])
  }

  /** A short fingerprint of the member list, for events and logs (FNV-1a, 32 bits). */
  version(): string {
    let h = 0x811c9dc5
    for (const id of this.members()) {
      for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193)
      h = Math.imul(h ^ 0x2c, 0x01000193)
    }
    return (h >>> 0).toString(16).padStart(8, '0')
  }
}
