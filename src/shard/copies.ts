import type {NodeId} from '../core/index.js'
import type {ResolvedShardConfig} from './config.js'
import type {ShardEvent} from './events.js'
import type {KeyTuple, ShardMessage, WriteBody} from './messages.js'
import type {Entry, Part} from './part.js'
import type {PendingWrite} from './pending.js'

/**
 * The authority's side of replication and moves: for each partition it is the authority of,
 * the other copies it keeps up to date, and for each receiving node the move (full copy) in
 * progress. Nothing here is persisted: after a restart the authority asks each copy again
 * where it stands (`sh.open`), which is the recomputation docs/shard.md describes.
 *
 * A copy goes `idle` → `opening` (asked) → then either `live` at once (it is complete and
 * current), `live` after the writes it missed (from the backlog), or `queued` → `filling` (a
 * full copy, in paced batches) → `live`. It is *in sync* once it has acknowledged, durably, a
 * complete copy at the sequence number it was caught up to; from then on every write is
 * forwarded to it in order and waited for. A broken stream sends it back to `idle`.
 *
 * Moves are paced two ways (bounded memory, bounded bandwidth): at most `window` batches of
 * `batchKeys` keys unacknowledged per receiver, one partition at a time per receiver, and at
 * most `moveRate` keys per second from this node over all receivers. A batch is read from the
 * partition's live map as it is sent (a JavaScript Map iterator sees later insertions and skips
 * deletions), so a move holds no copy of the data, and writes during it are forwarded after
 * the batches already sent, in stream order.
 */
export type CopyMode = 'idle' | 'opening' | 'queued' | 'filling' | 'live'

export interface Fill {
  iter: Iterator<[string, Entry]>
  /** Batches sent, and acknowledged (the copy's count). */
  sent: number
  acked: number
  /** Keys in each batch not yet acknowledged, oldest first. */
  sizes: number[]
  keysSent: number
  keysAcked: number
  /** Keys in the partition when the move began. */
  total: number
  done: boolean
  startedAt: number
}

export interface Copy {
  node: NodeId
  p: number
  /** This authority's session with the copy: every message carries it, every answer echoes it. */
  g: number
  mode: CopyMode
  ackedSeq: number
  complete: boolean
  /** The sequence number the copy is being caught up to. */
  syncTarget: number
  inSync: boolean
  retryAt: number
  openedAt: number
  fill: Fill | null
}

interface Link {
  node: NodeId
  active: Copy | null
  queue: Copy[]
}

/** What the copies need from their core. */
export interface CopyHost {
  readonly id: NodeId
  readonly cfg: ResolvedShardConfig
  readonly now: number
  part(p: number): Part
  send(to: NodeId, msg: ShardMessage): void
  event(e: ShardEvent): void
  timer(key: string, at: number): void
  newGen(): number
  isDown(node: NodeId): boolean
  /** Writes whose last awaited copy just acknowledged (or stopped being awaited). */
  completed(done: PendingWrite[]): void
  ackPending(p: number, from: NodeId, seq: number): PendingWrite[]
  forgetPending(node: NodeId, p?: number): PendingWrite[]
}

/** How long an unanswered `open` waits before it is sent again, ms. */
const OPEN_TIMEOUT = 10_000

export class Copies {
  private readonly tracks = new Map<number, Map<NodeId, Copy>>()
  private readonly links = new Map<NodeId, Link>()
  /** The earliest instant the next batch may leave (the pacing clock). */
  private nextSendAt = 0
  /** Keys of the moves of the current rebalance (since this node last had none), sent and acknowledged. */
  private totalKeys = 0
  private totalAcked = 0

  constructor(private readonly host: CopyHost) {}

  /** The copies of partition `p` (this node is its authority). */
  of(p: number): Map<NodeId, Copy> {
    let t = this.tracks.get(p)
    if (!t) this.tracks.set(p, (t = new Map()))
    return t
  }

  get(p: number, node: NodeId): Copy | undefined {
    return this.tracks.get(p)?.get(node)
  }

  /** Moves queued or running, and copies being asked or caught up: anything still to do. */
  get busy(): {moving: number; queued: number; opening: number} {
    let moving = 0
    let queued = 0
    let opening = 0
    for (const t of this.tracks.values())
      for (const c of t.values()) {
        if (c.mode === 'filling') moving++
        else if (c.mode === 'queued') queued++
        else if (c.mode === 'opening' || (c.mode === 'live' && !c.inSync)) opening++
      }
    return {moving, queued, opening}
  }

  /** Start keeping `node`'s copy of `p` up to date, or try again after a break. */
  ensure(p: number, node: NodeId, handing?: number): Copy {
    const t = this.of(p)
    let c = t.get(node)
    if (!c) {
      c = {node, p, g: 0, mode: 'idle', ackedSeq: 0, complete: false, syncTarget: 0, inSync: false, retryAt: 0, openedAt: 0, fill: null}
      t.set(node, c)
    }
    const h = this.host
    if ((c.mode === 'idle' && h.now >= c.retryAt && !h.isDown(node)) || (c.mode === 'opening' && h.now - c.openedAt > OPEN_TIMEOUT)) this.open(c, handing)
    return c
  }

  /** The node that was the authority until it handed `p` to this one: complete at `seq`, in sync. */
  adopt(p: number, node: NodeId, seq: number): void {
    const g = this.host.newGen()
    this.of(p).set(node, {node, p, g, mode: 'live', ackedSeq: seq, complete: true, syncTarget: seq, inSync: true, retryAt: 0, openedAt: this.host.now, fill: null})
  }

  /** A copy this node knows of but does not keep up to date (yet): it waits to be opened or dropped. */
  know(p: number, node: NodeId): void {
    const t = this.of(p)
    if (!t.has(node)) t.set(node, {node, p, g: 0, mode: 'idle', ackedSeq: 0, complete: false, syncTarget: 0, inSync: false, retryAt: 0, openedAt: 0, fill: null})
  }

  remove(p: number, node: NodeId): void {
    const c = this.tracks.get(p)?.get(node)
    if (!c) return
    this.stopFill(c)
    this.tracks.get(p)!.delete(node)
    this.host.completed(this.host.forgetPending(node, p))
  }

  /** This node is no longer the authority of `p`: forget its copies and moves. */
  release(p: number): void {
    const t = this.tracks.get(p)
    if (!t) return
    for (const c of t.values()) this.stopFill(c)
    this.tracks.delete(p)
  }

  /** Sends write `w` of `p` to every copy kept up to date; returns the nodes to wait for. */
  forward(p: number, w: WriteBody): Set<NodeId> {
    const wait = new Set<NodeId>()
    const t = this.tracks.get(p)
    if (!t) return wait
    const e = this.host.part(p).epoch
    for (const c of t.values()) {
      if (c.mode !== 'live' && c.mode !== 'filling') continue
      this.host.send(c.node, {type: 'sh.write', p, e, g: c.g, w})
      wait.add(c.node)
    }
    return wait
  }

  // ---- answers from copies ------------------------------------------------------------------

  onState(from: NodeId, m: {p: number; e: number; g: number; s: number; c: boolean}): void {
    const c = this.tracks.get(m.p)?.get(from)
    if (!c || c.g !== m.g) return
    if (c.mode !== 'opening') {
      // The copy found a gap in what it was sent (or was not ready for a handoff): ask again.
      this.host.completed(this.host.forgetPending(from, m.p))
      this.stopFill(c)
      this.open(c)
      return
    }
    const part = this.host.part(m.p)
    // Catch up from the backlog when that sends fewer writes than a full copy would send keys.
    const missed = m.c ? part.writesAfter(m.s) : null
    if (missed !== null && (missed.length === 0 || missed.length < part.data.size)) {
      c.mode = 'live'
      c.ackedSeq = m.s
      c.complete = true
      c.syncTarget = part.seq
      for (const w of missed) this.host.send(from, {type: 'sh.write', p: m.p, e: part.epoch, g: c.g, w})
      c.inSync = missed.length === 0
      if (missed.length > 0) this.host.event({type: 'catch-up', partition: m.p, to: from, writes: missed.length})
      return
    }
    c.mode = 'queued'
    let link = this.links.get(from)
    if (!link) this.links.set(from, (link = {node: from, active: null, queue: []}))
    link.queue.push(c)
    this.startNext(link)
  }

  onAck(from: NodeId, m: {p: number; g: number; s: number; c: boolean; n: number}): void {
    const c = this.tracks.get(m.p)?.get(from)
    if (!c || c.g !== m.g) return
    if (m.s > c.ackedSeq) c.ackedSeq = m.s
    c.complete = m.c
    const f = c.fill
    if (c.mode === 'filling' && f !== null) {
      let progressed = false
      while (f.acked < m.n && f.sizes.length > 0) {
        f.acked++
        const k = f.sizes.shift()!
        f.keysAcked += k
        this.totalAcked += k
        progressed = true
      }
      if (progressed) this.host.event({type: 'move.progress', partition: c.p, to: from, sent: f.keysAcked, keys: f.total, totalSent: this.totalAcked, totalKeys: this.totalKeys})
      if (f.done && m.c && m.s >= c.syncTarget) {
        c.mode = 'live'
        c.inSync = true
        c.fill = null
        this.host.event({type: 'move.done', partition: c.p, to: from, keys: f.keysSent, ms: Math.round(this.host.now - f.startedAt)})
        const link = this.links.get(from)
        if (link && link.active === c) {
          link.active = null
          this.startNext(link)
        }
        this.maybeEndRebalance()
      }
      this.pace()
    } else if (c.mode === 'live' && !c.inSync && m.c && m.s >= c.syncTarget) {
      c.inSync = true
    }
    this.host.completed(this.host.ackPending(m.p, from, m.s))
  }

  /** The stream to `peer` broke: each of its copies goes back to idle, and is not waited for. */
  broken(peer: NodeId): void {
    const retry = this.host.now + Math.max(1000, 2 * this.host.cfg.planInterval)
    // The link first, so that stopping its moves does not start the next one on the broken stream.
    this.links.delete(peer)
    for (const t of this.tracks.values()) {
      const c = t.get(peer)
      if (!c) continue
      c.fill = null
      c.mode = 'idle'
      c.inSync = false
      c.retryAt = retry
    }
    this.host.completed(this.host.forgetPending(peer))
    this.maybeEndRebalance()
  }

  // ---- moves ---------------------------------------------------------------------------------

  private open(c: Copy, handing?: number): void {
    this.stopFill(c)
    c.g = this.host.newGen()
    c.mode = 'opening'
    c.inSync = false
    c.openedAt = this.host.now
    const part = this.host.part(c.p)
    const msg: ShardMessage = {type: 'sh.open', p: c.p, e: part.epoch, g: c.g}
    if (handing !== undefined) msg.h = handing
    this.host.send(c.node, msg)
  }

  private stopFill(c: Copy): void {
    if (c.mode !== 'filling' && c.mode !== 'queued') return
    const link = this.links.get(c.node)
    if (link) {
      if (link.active === c) {
        link.active = null
        this.startNext(link)
      } else {
        const i = link.queue.indexOf(c)
        if (i >= 0) link.queue.splice(i, 1)
      }
    }
    c.fill = null
    c.mode = 'idle'
  }

  private startNext(link: Link): void {
    if (link.active !== null) return
    const h = this.host
    while (link.queue.length > 0) {
      const c = link.queue.shift()!
      if (c.mode !== 'queued' || this.tracks.get(c.p)?.get(c.node) !== c) continue
      const part = h.part(c.p)
      c.mode = 'filling'
      c.syncTarget = part.seq
      c.fill = {iter: part.data.entries(), sent: 0, acked: 0, sizes: [], keysSent: 0, keysAcked: 0, total: part.data.size, done: false, startedAt: h.now}
      link.active = c
      this.totalKeys += part.data.size
      h.send(c.node, {type: 'sh.reset', p: c.p, e: part.epoch, g: c.g, s: part.seq, ss: part.sessionTuples()})
      h.event({type: 'move.start', partition: c.p, to: c.node, keys: part.data.size})
      this.pace()
      return
    }
    if (link.queue.length === 0 && link.active === null) this.links.delete(link.node)
  }

  /** Sends every batch the windows and the pacing clock allow now; asks for a tick for the next. */
  pace(): void {
    const h = this.host
    const {window, batchKeys, moveRate} = h.cfg
    let progress = true
    while (progress) {
      progress = false
      for (const link of this.links.values()) {
        const c = link.active
        const f = c?.fill
        if (!c || !f || f.done || f.sent - f.acked >= window) continue
        if (h.now < this.nextSendAt) {
          h.timer('pace', this.nextSendAt)
          return
        }
        const part = h.part(c.p)
        const kv: KeyTuple[] = []
        while (kv.length < batchKeys) {
          const next = f.iter.next()
          if (next.done) break
          const [k, e] = next.value
          kv.push([k, e.v, e.ver])
        }
        if (kv.length > 0) {
          f.sent++
          f.sizes.push(kv.length)
          f.keysSent += kv.length
          h.send(c.node, {type: 'sh.batch', p: c.p, e: part.epoch, g: c.g, n: f.sent, kv})
          if (Number.isFinite(moveRate)) this.nextSendAt = Math.max(this.nextSendAt, h.now) + (kv.length * 1000) / moveRate
        }
        if (kv.length < batchKeys) {
          f.done = true
          c.syncTarget = part.seq
          h.send(c.node, {type: 'sh.filled', p: c.p, e: part.epoch, g: c.g, s: part.seq})
        }
        progress = true
      }
    }
  }

  private maybeEndRebalance(): void {
    for (const link of this.links.values()) if (link.active !== null || link.queue.length > 0) return
    this.totalKeys = 0
    this.totalAcked = 0
  }
}
