import type {NodeId} from '../core/index.js'
import type {KvResult} from '../kv/index.js'

/**
 * Client writes the authority applied and made durable, waiting for the copies it forwarded
 * them to to acknowledge theirs before the client hears `ok` (primary-backup: a write is
 * acknowledged once every copy the authority is keeping up to date holds it durably). A copy
 * whose stream breaks stops being waited for (it will be caught up again before it counts).
 * Bounded: `full` tells the core to leave new writes unanswered (the client retries).
 */
export interface PendingWrite {
  p: number
  seq: number
  client: string
  req: number
  /** Who to answer (the node the latest copy of the request came from). */
  to: NodeId
  result: KvResult
  waitFor: Set<NodeId>
}

export class PendingWrites {
  /** Per partition, in seq order. */
  private readonly byPart = new Map<number, PendingWrite[]>()
  private readonly byReq = new Map<string, PendingWrite>()

  constructor(readonly max: number) {}

  get size(): number {
    return this.byReq.size
  }

  get full(): boolean {
    return this.byReq.size >= this.max
  }

  add(w: PendingWrite): void {
    let q = this.byPart.get(w.p)
    if (!q) this.byPart.set(w.p, (q = []))
    q.push(w)
    this.byReq.set(reqKey(w.client, w.req), w)
  }

  /** A retry of a write still waiting: answer it at its new address when it completes. */
  retarget(client: string, req: number, to: NodeId): boolean {
    const w = this.byReq.get(reqKey(client, req))
    if (!w) return false
    w.to = to
    return true
  }

  /** `from` holds partition `p` durably up to `seq`: the writes it completes, removed. */
  ack(p: number, from: NodeId, seq: number): PendingWrite[] {
    const q = this.byPart.get(p)
    if (!q) return []
    const done: PendingWrite[] = []
    for (const w of q) {
      if (w.seq > seq) break
      w.waitFor.delete(from)
    }
    this.collect(p, q, done)
    return done
  }

  /** `node` is no longer waited for anywhere (its stream broke, or it stopped being a copy of `p`). */
  forget(node: NodeId, p?: number): PendingWrite[] {
    const done: PendingWrite[] = []
    for (const [part, q] of p === undefined ? this.byPart : ([[p, this.byPart.get(p) ?? []]] as [number, PendingWrite[]][])) {
      let any = false
      for (const w of q) if (w.waitFor.delete(node)) any = true
      if (any) this.collect(part, q, done)
    }
    return done
  }

  /** Every write of `p` still waiting (its authority handed it over: the new one holds them durably). */
  flush(p: number): PendingWrite[] {
    const q = this.byPart.get(p) ?? []
    this.byPart.delete(p)
    for (const w of q) this.byReq.delete(reqKey(w.client, w.req))
    return q
  }

  private collect(p: number, q: PendingWrite[], done: PendingWrite[]): void {
    let kept = 0
    for (const w of q) {
      if (w.waitFor.size === 0) {
        done.push(w)
        this.byReq.delete(reqKey(w.client, w.req))
      } else q[kept++] = w
    }
    q.length = kept
    if (kept === 0) this.byPart.delete(p)
  }
}

function reqKey(client: string, req: number): string {
  return `${client}\u0000${req}`
}
