/**
 * A binary min-heap of scheduled items ordered by (at, seq). `seq` is assigned at push time from
 * a counter, so items due at the same instant come out in the order they were scheduled: the
 * tie-break that makes a simulation run reproducible.
 */
export interface Scheduled {
  at: number
  seq: number
}

export class EventHeap<T extends Scheduled> {
  private heap: T[] = []
  private counter = 0

  get size(): number {
    return this.heap.length
  }

  /** Every item, in heap order (not sorted): for inspection only, never to be modified. */
  items(): readonly T[] {
    return this.heap
  }

  peek(): T | undefined {
    return this.heap[0]
  }

  /** Stamps `item.seq` and inserts it. */
  push(item: T): void {
    item.seq = this.counter++
    const items = this.heap
    let i = items.length
    items.push(item)
    while (i > 0) {
      const p = (i - 1) >> 1
      const parent = items[p]!
      if (parent.at < item.at || (parent.at === item.at && parent.seq < item.seq)) break
      items[i] = parent
      i = p
    }
    items[i] = item
  }

  pop(): T | undefined {
    const items = this.heap
    const n = items.length
    if (n === 0) return undefined
    const top = items[0]!
    const last = items.pop()!
    if (n > 1) {
      const len = n - 1
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= len) break
        const r = l + 1
        let c = l
        let child = items[l]!
        if (r < len) {
          const rc = items[r]!
          if (rc.at < child.at || (rc.at === child.at && rc.seq < child.seq)) {
            c = r
            child = rc
          }
        }
        if (last.at < child.at || (last.at === child.at && last.seq < child.seq)) break
        items[i] = child
        i = c
      }
      items[i] = last
    }
    return top
  }
}
