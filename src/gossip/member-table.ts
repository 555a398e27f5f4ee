import type {NodeId, Random} from '../core/index.js'
import type {SwimConfig} from './config.js'
import type {MemberSnapshot} from './messages.js'
import {ProbeRing, ringKey} from './probe-ring.js'
import type {Suspicion} from './suspicion.js'
import {isLive, type MemberRecord, type MemberState, type Tags} from './types.js'
import {IdInterner} from './interner.js'

/**
 * SWIM's member table, one per core (memberlist state.go: `nodeMap` and `nodes`; util.go
 * `kRandomNodes`), with Serf's reaper (serf.go `handleReap`): a dead member is forgotten
 * `reconnectTimeout` after it was declared dead, a member that left `tombstoneTimeout` after it
 * left, so the table holds the live members plus those inside the timeouts, however long the
 * node runs and however many members come and go.
 *
 * Records live in a dense list beside their ids and their state as a small integer (`codes`), so
 * random choices judge a draw without touching a record. An id is found through the interner
 * (interner.ts): its number indexes the records and a typed array of their incarnations, so the
 * hottest path of a simulation — a copy of an update already known, checked against the
 * incarnation held — reads one number and no record. The probe orders (the aligned ring, or
 * memberlist's shuffled walk) hold records too and follow every change of state here.
 */

export interface Rec extends MemberRecord {
  suspicion: Suspicion | null
  /** This record as a push-pull snapshot entry, shared by every snapshot until it changes (push-pull.ts). */
  snap: MemberSnapshot | null
  /** The encoded size of `snap`. */
  snapBytes: number
  /** Index in `ids` / `recs` / `codes`. */
  pos: number
  /** Place on the probe ring (`ringKey(id)`). */
  ringKey: number
}

/** State codes (`MemberTable.codes`). */
export const ALIVE = 1
export const SUSPECT = 2
export const DEAD = 3
export const LEFT = 4
function code(s: MemberState): number {
  return s === 'alive' ? ALIVE : s === 'suspect' ? SUSPECT : s === 'dead' ? DEAD : LEFT
}

/** What `randomMembers` picks: alive members; dead ones (reconnect); gossip targets (live, or dead within GossipToTheDeadTime). */
export type Pick = 0 | 1 | 2
export const PICK_ALIVE = 0
export const PICK_DEAD = 1
export const PICK_GOSSIP = 2

export class MemberTable {
  /** byIndex[n]: the record of the id numbered n by the interner; incs[n] its incarnation (−1: none here). */
  private readonly byIndex: (Rec | undefined)[] = []
  private incs = new Float64Array(0)
  /** ids[i] is recs[i]'s id; codes[i] its state (see `code`). Order: first learned, with holes filled by the last (reaping). */
  readonly ids: NodeId[] = []
  readonly recs: Rec[] = []
  codes = new Uint8Array(64)
  /** Alive + suspect members other than self. */
  live = 0
  /** Members in state dead (reconnect candidates), and in state left. */
  dead = 0
  left = 0
  /** Bumped on every change a snapshot would show (push-pull.ts caches on it). */
  version = 0
  /** The aligned probe schedule (with `sharedClock`; see probe-ring.ts). */
  readonly ring: ProbeRing<Rec>
  /** memberlist's shuffled walk of our own (without `sharedClock`). */
  private probeOrder: Rec[] = []
  private probeIdx = 0

  constructor(
    self: NodeId,
    private readonly config: SwimConfig,
    private readonly rng: Random,
    /** This core's own, unless its host hands it one to share (interner.ts). */
    private readonly interner: IdInterner = new IdInterner(),
  ) {
    this.ring = new ProbeRing<Rec>({id: self, state: 'alive', inc: 0, tags: {}, lastChange: 0, suspicion: null, snap: null, snapBytes: 0, pos: -1, ringKey: ringKey(self)})
  }

  get size(): number {
    return this.recs.length
  }

  get(id: NodeId): Rec | undefined {
    const n = this.interner.find(id)
    return n === undefined ? undefined : this.byIndex[n]
  }

  /** The incarnation held for `id`, or −1 if unknown: the fast path, without touching the record. */
  incOf(id: NodeId): number {
    const n = this.interner.find(id)
    return n === undefined || n >= this.incs.length ? -1 : this.incs[n]!
  }

  /** Sets `r`'s incarnation (every change goes through here, so `incs` mirrors it). */
  setInc(r: Rec, inc: number): void {
    r.inc = inc
    this.incs[this.interner.find(r.id)!] = inc
  }

  /** Makes room for `n` members (a start with a known membership). */
  reserve(n: number): void {
    this.grow(n)
  }

  private grow(n: number): void {
    if (n < this.incs.length) return
    const grown = new Float64Array(Math.max(64, 2 * n + 2)).fill(-1)
    grown.set(this.incs)
    this.incs = grown
  }

  /** A member first learned of, alive at `inc`. */
  add(id: NodeId, inc: number, tags: Tags, now: number): Rec {
    this.version++
    const rec: Rec = {id, state: 'alive', inc, tags, lastChange: now, suspicion: null, snap: null, snapBytes: 0, pos: this.ids.length, ringKey: ringKey(id)}
    const pos = rec.pos
    if (pos >= this.codes.length) {
      const grown = new Uint8Array(2 * this.codes.length)
      grown.set(this.codes)
      this.codes = grown
    }
    this.codes[pos] = ALIVE
    this.ids.push(id)
    this.recs.push(rec)
    const n = this.interner.intern(id)
    this.grow(n)
    this.byIndex[n] = rec
    this.incs[n] = inc
    this.live++
    if (this.config.sharedClock) this.ring.add(rec)
    else {
      // memberlist: a new member goes to a random place in the probe order, so it is probed this round.
      const n = this.probeOrder.length
      this.probeOrder.push(rec)
      if (n > 0) {
        const j = this.rng.int(n + 1)
        this.probeOrder[n] = this.probeOrder[j]!
        this.probeOrder[j] = rec
      }
    }
    return rec
  }

  setState(r: Rec, s: MemberState, now: number): void {
    const flipped = isLive(s) !== isLive(r.state)
    this.live += (isLive(s) ? 1 : 0) - (isLive(r.state) ? 1 : 0)
    this.dead += (s === 'dead' ? 1 : 0) - (r.state === 'dead' ? 1 : 0)
    this.left += (s === 'left' ? 1 : 0) - (r.state === 'left' ? 1 : 0)
    r.state = s
    if (flipped && this.config.sharedClock) this.ring.changed(r)
    this.codes[r.pos] = code(s)
    r.lastChange = now
    this.version++
  }

  /**
   * Forgets the dead members declared dead more than reconnectTimeout ago and the members that
   * left more than tombstoneTimeout ago (Serf's reaper); returns their ids. Only a member that is
   * neither alive nor suspect is forgotten, so the probe ring never holds one.
   */
  reap(now: number): Rec[] {
    const gone: Rec[] = []
    if (this.dead + this.left === 0) return gone
    const c = this.config
    for (let i = this.recs.length - 1; i >= 0; i--) {
      const r = this.recs[i]!
      const limit = r.state === 'dead' ? c.reconnectTimeout : r.state === 'left' ? c.tombstoneTimeout : Infinity
      if (now - r.lastChange >= limit) {
        gone.push(r)
        this.remove(r)
      }
    }
    if (gone.length > 0 && !c.sharedClock) this.probeOrder = this.probeOrder.filter((r) => this.get(r.id) === r)
    return gone
  }

  private remove(r: Rec): void {
    if (r.state === 'dead') this.dead--
    else if (r.state === 'left') this.left--
    const n = this.interner.find(r.id)!
    this.byIndex[n] = undefined
    this.incs[n] = -1
    this.interner.release(r.id)
    // Swap the last entry into the hole.
    const last = this.recs.length - 1
    const moved = this.recs[last]!
    this.recs[r.pos] = moved
    this.ids[r.pos] = moved.id
    this.codes[r.pos] = this.codes[last]!
    moved.pos = r.pos
    this.recs.pop()
    this.ids.pop()
    this.codes[last] = 0
    this.version++
  }

  /** SWIM §4.3: the next member to probe; round-robin, aligned across members unless configured off. */
  nextTarget(j: number): Rec | undefined {
    if (this.config.sharedClock) return this.ring.target(j)
    for (let attempts = 0; attempts <= this.probeOrder.length + 1; attempts++) {
      if (this.probeIdx >= this.probeOrder.length) {
        const order: Rec[] = []
        for (let i = 0; i < this.recs.length; i++) if (this.codes[i] === ALIVE || this.codes[i] === SUSPECT) order.push(this.recs[i]!)
        this.probeOrder = this.rng.shuffle(order)
        this.probeIdx = 0
        if (this.probeOrder.length === 0) return undefined
      }
      const r = this.probeOrder[this.probeIdx++]!
      if (r.state === 'alive' || r.state === 'suspect') return r
    }
    return undefined
  }

  randomMember(pick: Pick, now: number): NodeId | undefined {
    return this.randomMembers(1, pick, now)[0]
  }

  /**
   * memberlist kRandomNodes: up to k distinct members passing `pick` (and other than `except`),
   * by at most 3n random draws. Every draw is made whatever it hits, so the random stream is the
   * same however cheaply a draw is judged: by the state codes, without touching the records.
   */
  randomMembers(k: number, pick: Pick, now: number, except?: NodeId): NodeId[] {
    const out: NodeId[] = []
    const n = this.ids.length
    if (n === 0 || k <= 0) return out
    const codes = this.codes
    for (let i = 0; i < 3 * n && out.length < k; i++) {
      const j = this.rng.int(n)
      const c = codes[j]!
      let ok: boolean
      if (pick === PICK_ALIVE) ok = c === ALIVE
      else if (pick === PICK_DEAD) ok = c === DEAD
      else ok = c === ALIVE || c === SUSPECT || (c === DEAD && now - this.recs[j]!.lastChange < this.config.gossipToTheDeadTime)
      if (!ok) continue
      const id = this.ids[j]!
      if (id === except || out.includes(id)) continue
      out.push(id)
    }
    return out
  }

  /** Whether a gossip round has anyone to send to (a live member, or one dead within GossipToTheDeadTime). */
  hasGossipTarget(now: number): boolean {
    if (this.live > 0) return true
    if (this.dead === 0) return false
    for (let i = 0; i < this.recs.length; i++) if (this.codes[i] === DEAD && now - this.recs[i]!.lastChange < this.config.gossipToTheDeadTime) return true
    return false
  }
}
