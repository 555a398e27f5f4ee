/**
 * Infection-style dissemination buffer (SWIM §4.1; memberlist TransmitLimitedQueue). Every
 * membership update is piggybacked on outgoing messages a limited number of times —
 * RetransmitMult · ceil(log10(N + 1)) — which is enough for it to reach every member with high
 * probability in O(log N) periods. The least-transmitted updates go first (newest first among
 * equals), so fresh news overtakes news that has already spread. A newer update about the same
 * member replaces the queued one: only the latest state of a member is worth spreading.
 */

export interface QueuedBroadcast<T> {
  key: string
  payload: T
  /** Encoded size of `payload`. */
  bytes: number
  transmits: number
  /** Insertion order, for "newest first" among equally transmitted items. */
  id: number
}

/** No update encodes smaller than this; lets `take` stop scanning once the message is full. */
const MIN_ITEM_BYTES = 8
const MAX_MISSES = 4

export function retransmitLimit(retransmitMult: number, n: number): number {
  return retransmitMult * Math.ceil(Math.log10(n + 1))
}

export class BroadcastQueue<T> {
  /** levels[t]: items transmitted t times, oldest first. */
  private levels: QueuedBroadcast<T>[][] = []
  private readonly byKey = new Map<string, QueuedBroadcast<T>>()
  private counter = 0
  /** Items taken by the current `take`, re-filed after its scan (reused: no array per take). */
  private readonly moved: QueuedBroadcast<T>[] = []

  get length(): number {
    return this.byKey.size
  }

  /** Queues `payload` for `key`, replacing any queued update with the same key. */
  enqueue(key: string, payload: T, bytes: number): void {
    const old = this.byKey.get(key)
    if (old !== undefined) this.drop(old)
    const item: QueuedBroadcast<T> = {key, payload, bytes, transmits: 0, id: this.counter++}
    this.byKey.set(key, item)
    this.level(0).push(item)
  }

  has(key: string): boolean {
    return this.byKey.has(key)
  }

  /** Drops the update queued for `key`, if any. */
  remove(key: string): void {
    const item = this.byKey.get(key)
    if (item !== undefined) this.drop(item)
  }

  /**
   * Takes updates that fit in `budget` bytes (each costing its size plus `overhead`), least
   * transmitted first, and counts one transmission each; updates that reach `limit` leave the
   * queue. Appends the payloads to `into` and returns the bytes used. Items whose key is in
   * `skip` (already in the message by other means) are left queued, untouched.
   */
  take(budget: number, overhead: number, limit: number, into: T[], skip?: readonly string[]): number {
    let used = 0
    let misses = 0
    const moved = this.moved
    scan: for (let t = 0; t < this.levels.length; t++) {
      const lvl = this.levels[t]!
      for (let i = lvl.length - 1; i >= 0; i--) {
        const item = lvl[i]!
        if (skip !== undefined && skip.includes(item.key)) continue
        const cost = item.bytes + overhead
        if (used + cost > budget) {
          // Updates are of similar size: after a few that do not fit, the message is full.
          if (++misses >= MAX_MISSES || budget - used < overhead + MIN_ITEM_BYTES) break scan
          continue
        }
        used += cost
        into.push(item.payload)
        // Taking from the tail (the usual case) needs no splice and its garbage array.
        if (i === lvl.length - 1) lvl.pop()
        else lvl.splice(i, 1)
        item.transmits++
        if (item.transmits >= limit) this.byKey.delete(item.key)
        else moved.push(item)
      }
    }
    // Re-file after the scan so an item is never sent twice in one message.
    if (moved.length > 0) {
      for (let i = 0; i < moved.length; i++) this.level(moved[i]!.transmits).push(moved[i]!)
      while (moved.length > 0) moved.pop()
    }
    return used
  }

  /** Drops everything (after a leave, say). */
  clear(): void {
    this.levels = []
    this.byKey.clear()
  }

  private drop(item: QueuedBroadcast<T>): void {
    this.byKey.delete(item.key)
    const lvl = this.levels[item.transmits]
    if (lvl) {
      const i = lvl.indexOf(item)
      if (i >= 0) lvl.splice(i, 1)
    }
  }

  private level(t: number): QueuedBroadcast<T>[] {
    while (this.levels.length <= t) this.levels.push([])
    return this.levels[t]!
  }
}
