import type {NodeId} from '../core/index.js'
import {Sessions, type KvValue} from '../kv/index.js'
import type {KeyTuple, SessionTuple, WriteBody} from './messages.js'

/**
 * One partition as one node holds it: its role, its copy of the data, and the counters that say
 * how far that copy goes. The rules of a copy live here, as small methods the core calls both
 * live and when replaying its log, so a restart rebuilds exactly what was durable.
 *
 * - `seq` counts the partition's writes: every write (put, delete, cas, matching or not) gets
 *   the next number from the partition's authority, and the number carries on across handoffs,
 *   so a copy "complete at seq s" holds exactly the effect of writes 1…s: two such copies with
 *   the same s are equal. A copy that never held the partition is complete at 0 (empty).
 * - A key's version is the seq of the write that set it: a move never lets an older version
 *   overwrite a newer one, so a batch applied twice, or after a newer write, changes nothing.
 * - `epoch` orders authorities: the first owner claims epoch 1 and each handoff adds one, so
 *   at most one node is the authority for an epoch, and a copy ignores messages from an
 *   authority older than one it has already heard from.
 */
export type Role = 'none' | 'holder' | 'auth'

export interface Entry {
  v: KvValue
  ver: number
}

export class Part {
  role: Role = 'none'
  /** Auth: its own epoch. Otherwise the newest authority epoch heard of. */
  epoch = 0
  /** The last write this copy holds (contiguous from 1 when `complete`). */
  seq = 0
  /** False while a full copy is arriving (between a reset and `filled`). */
  complete = true
  /** The copy's current fill (the authority's session that reset it) and the batches applied since. */
  gen = 0
  batches = 0
  /** The highest epoch this node accepted as authority (bootstrap or handoff). */
  lastTook = 0
  /** Auth only: handing over to `to`, who will hold epoch `epoch`. */
  handing: {to: NodeId; epoch: number} | null = null
  /** Where the authority is, as far as this node knows: who it handed to, or who fills its copy. */
  pointer: {node: NodeId; epoch: number} | null = null
  readonly data = new Map<string, Entry>()
  sessions: Sessions
  /** The latest writes, for catching up a copy that missed a few (not persisted as such: a replay of the log since the last snapshot rebuilds it). */
  private backlog: WriteBody[] = []

  constructor(
    readonly p: number,
    private readonly limits: {maxSessions: number; sessionTtl: number; backlog: number},
  ) {
    this.sessions = new Sessions(limits.maxSessions, limits.sessionTtl)
  }

  /** Nothing to remember: never held, no pointer. */
  get blank(): boolean {
    return this.role === 'none' && this.epoch === 0 && this.pointer === null && this.data.size === 0 && this.lastTook === 0
  }

  // ---- the effects of records (live and on replay) ---------------------------------------------

  applyWrite(e: number, w: WriteBody): void {
    if (e > this.epoch) this.epoch = e
    this.seq = w.s
    if (w.k !== undefined) {
      if (w.del) this.data.delete(w.k)
      else this.data.set(w.k, {v: w.v!, ver: w.s})
    }
    const [client, req, at, result] = w.c
    this.sessions.record(client, req, result, at)
    if (this.role === 'none') this.role = 'holder'
    if (this.limits.backlog > 0) {
      this.backlog.push(w)
      if (this.backlog.length > this.limits.backlog) this.backlog.shift()
    }
  }

  reset(e: number, g: number, s: number, ss: readonly SessionTuple[], from: NodeId): void {
    this.clear()
    this.loadSessions(ss)
    this.epoch = e
    this.gen = g
    this.batches = 0
    this.seq = s
    this.complete = false
    this.role = 'holder'
    this.pointer = {node: from, epoch: e}
  }

  /** A batch of a move: each key taken unless this copy already has the same or a newer version. */
  applyBatch(n: number, kv: readonly KeyTuple[]): number {
    let taken = 0
    for (const [k, v, ver] of kv) {
      const cur = this.data.get(k)
      if (cur !== undefined && cur.ver >= ver) continue
      this.data.set(k, {v, ver})
      taken++
    }
    this.batches = n
    return taken
  }

  filled(): void {
    this.complete = true
  }

  claim(e: number): void {
    this.role = 'auth'
    this.epoch = e
    if (e > this.lastTook) this.lastTook = e
    this.handing = null
    this.pointer = null
  }

  startHanding(to: NodeId, e: number): void {
    this.handing = {to, epoch: e}
  }

  handed(to: NodeId, e: number): void {
    this.role = 'holder'
    this.epoch = e
    this.handing = null
    this.pointer = {node: to, epoch: e}
  }

  /** The handoff was refused: authority again, at the epoch the refused handoff would have had. */
  cancelHanding(e: number): void {
    this.handing = null
    this.epoch = e
    if (e > this.lastTook) this.lastTook = e
  }

  drop(e: number, from: NodeId): number {
    const keys = this.data.size
    this.clear()
    this.role = 'none'
    this.seq = 0
    this.complete = true
    this.gen = 0
    this.batches = 0
    if (e > this.epoch) this.epoch = e
    this.pointer = {node: from, epoch: e}
    return keys
  }

  // ---- catching up ---------------------------------------------------------------------------

  /** The writes after `s`, if this node still has them all (empty when `s` is current), else null. */
  writesAfter(s: number): WriteBody[] | null {
    if (s === this.seq) return []
    if (s > this.seq) return null
    const b = this.backlog
    if (b.length === 0 || b[0]!.s > s + 1 || b[b.length - 1]!.s !== this.seq) return null
    return b.slice(s + 1 - b[0]!.s)
  }

  sessionTuples(): SessionTuple[] {
    return this.sessions.entries().map(([client, x]) => [client, x.req, x.at, x.result])
  }

  keyTuples(): KeyTuple[] {
    return [...this.data].map(([k, e]) => [k, e.v, e.ver])
  }

  loadSessions(ss: readonly SessionTuple[]): void {
    for (const [client, req, at, result] of ss) this.sessions.record(client, req, result, at)
  }

  private clear(): void {
    this.data.clear()
    this.sessions = new Sessions(this.limits.maxSessions, this.limits.sessionTtl)
    this.backlog = []
  }
}
