import type {NodeId} from '../core/index.js'
import {isLive, type MemberState} from './types.js'

/**
 * The probe schedule of SWIM §4.3, aligned across members.
 *
 * In SWIM (and memberlist) each member walks its own shuffled list of the others, one target per
 * protocol period T. With N independent walks, the time until *somebody* first probes a member
 * that has just crashed is the minimum of N − 1 independent positions: about T on average, but
 * with a long tail (at N = 50, 15 % of crashes wait more than 2T and some 4–5T), and every second
 * of it adds straight to the detection time. dtk keeps the round-robin and takes the luck out:
 *
 * - every member places every member (itself included) on one ring, ordered by a hash of the id,
 *   which all compute alike;
 * - at period j, the member of rank r among the live ones probes rank r + j (skipping itself).
 *   Each member's walk is still round-robin over all the others, so SWIM's bound holds, and at
 *   every period the targets form a permutation: each member is probed exactly once per period,
 *   where independent walks probe it a Poisson(1) number of times (often zero);
 * - each member ticks at the phase of its own hash within the period. The probers of one target
 *   are consecutive ranks, so their phases differ by about T/N: they follow one another almost
 *   exactly T apart. A crashed member is first probed within T of the crash (within 2T once per
 *   N periods, where the ranks wrap), and the probes that confirm the suspicion come at T
 *   intervals after it.
 *
 * Agreeing on j needs a clock the members share: one machine, or hosts kept within a few ms by
 * NTP (skew only shifts phases). Where views of the membership differ, for a few periods some
 * targets are probed twice and some not at all, which is what independent walks do all the time.
 */

export interface RingMember {
  readonly id: NodeId
  readonly state: MemberState
  /** `ringKey(id)`, computed once. */
  readonly ringKey: number
}

/** Position of a member on the ring: a 32-bit hash of its id (FNV-1a, then murmur3's finalizer to spread nearby ids). */
export function ringKey(id: NodeId): number {
  let h = 0x811c9dc5
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

function before(a: RingMember, b: RingMember): boolean {
  return a.ringKey < b.ringKey || (a.ringKey === b.ringKey && a.id < b.id)
}

/** `before` as a sort comparator. */
function ringOrder(a: RingMember, b: RingMember): number {
  return a.ringKey - b.ringKey || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}


export class ProbeRing<R extends RingMember> {
  /** The live members and self, in ring order. */
  private live: R[]
  /**
   * Live members added since the last target, merged in at the next one: a join storm brings a
   * node hundreds of members between two probes, and one sort-and-merge per probe costs far less
   * than an insertion each.
   */
  private pending: R[] = []
  private selfRank = 0
  /** Where this member ticks within each period, in [0, 1). */
  readonly phase: number

  constructor(private readonly self: R) {
    this.live = [self]
    this.phase = self.ringKey / 2 ** 32
  }

  /** A member learned of; it takes its place on the ring if live. */
  add(r: R): void {
    if (isLive(r.state)) this.pending.push(r)
  }

  /** `r` became live or stopped being live (its state is already the new one). */
  changed(r: R): void {
    if (this.pending.length > 0) this.flush()
    const i = this.find(r)
    const present = i < this.live.length && this.live[i] === r
    if (isLive(r.state) && !present) this.insert(r)
    else if (!isLive(r.state) && present) {
      this.live.splice(i, 1)
      if (i < this.selfRank) this.selfRank--
    }
  }

  /** The number of the period whose tick is nearest `now` (a timer may fire a little late). */
  periodAt(now: number, period: number): number {
    return Math.round(now / period - this.phase)
  }

  /** When this member's tick of period `j` is due. */
  tickAt(j: number, period: number): number {
    return (j + this.phase) * period
  }

  /** The first tick at or after `now`. */
  nextTickAt(now: number, period: number): number {
    return this.tickAt(Math.ceil(now / period - this.phase), period)
  }

  /** The target of period `j`: `j` ranks on from this member among the live ones (never itself). */
  target(j: number): R | undefined {
    if (this.pending.length > 0) this.flush()
    const n = this.live.length
    if (n < 2) return undefined
    let off = j % n
    if (off < 0) off += n
    if (off === 0) off = 1
    return this.live[(this.selfRank + off) % n]
  }

  /** Index of the first live entry not before `r`. */
  private find(r: R): number {
    let lo = 0
    let hi = this.live.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (before(this.live[mid]!, r)) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  private flush(): void {
    const add = this.pending.sort(ringOrder)
    this.pending = []
    const old = this.live
    const merged: R[] = new Array(old.length + add.length)
    let i = 0
    let j = 0
    for (let k = 0; k < merged.length; k++) {
      const r = j >= add.length || (i < old.length && before(old[i]!, add[j]!)) ? old[i++]! : add[j++]!
      if (r === this.self) this.selfRank = k
      merged[k] = r
    }
    this.live = merged
  }

  private insert(r: R): void {
    const i = this.find(r)
    this.live.splice(i, 0, r)
    if (i <= this.selfRank) this.selfRank++
  }
}
