import type {NodeId} from '../core/index.js'
import {pushPullScale} from './config.js'
import type {SwimContext} from './context.js'
import {PICK_ALIVE, PICK_DEAD, type Rec} from './member-table.js'
import {encodedSize, intSize, strSize} from './size.js'
import type {MemberSnapshot} from './messages.js'

/**
 * Anti-entropy by full state exchange over a stream (memberlist state.go `pushPull`, net.go
 * `sendAndReceiveState`/`mergeState`): on join with every seed, every PushPullInterval (scaled
 * above 32 members) with one random alive member, and — Serf's reconnect (serf.go
 * `handleReconnect`) — every ReconnectInterval with one random dead member, which is what merges
 * two views after a partition heals. The reconnect loop also runs Serf's reaper (member-table.ts).
 *
 * A snapshot is self first, then every member. Each record keeps its entry (an immutable
 * object, replaced when the record changes) and that entry's size, so a snapshot of 1000 members
 * after one change allocates one entry and an array, not 1000 entries; the whole snapshot is
 * shared by every push-pull until the view changes (messages are never mutated once sent).
 */
export class PushPull {
  private cached: {version: number; states: MemberSnapshot[]; bytes: number} | null = null

  constructor(private readonly s: SwimContext) {}

  /** Arms both loops at start. */
  start(): void {
    const s = this.s
    s.b.timer('push-pull', s.now + pushPullScale(s.config.pushPullInterval, s.clusterSize()))
    s.b.timer('reconnect', s.now + s.config.reconnectInterval)
    // Join: a full state exchange with every seed (memberlist Join → pushPullNode(join=true)).
    for (const seed of s.seeds) this.send(seed, true, false)
  }

  /** The `push-pull` timer: sync with one random alive member (or, alone, a seed). */
  tick(): void {
    const s = this.s
    if (s.leaving) return
    const peer = s.table.randomMember(PICK_ALIVE, s.now)
    // Alone (a failed join, or everyone else gone)? Try the seeds again.
    const to = peer ?? (s.table.live === 0 && s.seeds.length > 0 ? s.seeds[s.rng.int(s.seeds.length)]! : undefined)
    if (to !== undefined) this.send(to, false, false)
    const every = pushPullScale(s.config.pushPullInterval, s.clusterSize())
    // Nobody to sync with, and no seed to try: wait for a member (SwimContext.memberChanged).
    if (s.table.live === 0 && s.seeds.length === 0) s.pushPullTicker.park(s.now, every)
    else s.b.timer('push-pull', s.now + every)
  }

  /**
   * The `reconnect` timer. Serf's reconnect: talk to one member we consider dead; after a
   * partition heals this is what merges the two views (each side learns it was declared dead and
   * refutes). Then Serf's reaper forgets members past their reconnect or tombstone timeout.
   */
  reconnect(): Rec[] {
    const s = this.s
    if (s.leaving) return []
    const peer = s.table.dead > 0 ? s.table.randomMember(PICK_DEAD, s.now) : undefined
    if (peer !== undefined) this.send(peer, false, false)
    const gone = s.table.reap(s.now)
    // Nothing dead or left to reconnect to or forget: wait until something is.
    if (s.table.dead + s.table.left === 0) s.reconnectTicker.park(s.now, s.config.reconnectInterval)
    else s.b.timer('reconnect', s.now + s.config.reconnectInterval)
    return gone
  }

  send(to: NodeId, join: boolean, reply: boolean): void {
    const s = this.s
    let c = this.cached
    if (c === null || c.version !== s.table.version) {
      const {states, bytes} = this.snapshot()
      this.cached = c = {version: s.table.version, states, bytes}
    }
    s.b.send(to, {type: 'push-pull', reply, join, states: c.states}, 'stream', c.bytes)
  }

  private snapshot(): {states: MemberSnapshot[]; bytes: number} {
    const s = this.s
    const recs = s.table.recs
    const states: MemberSnapshot[] = new Array(recs.length + 1)
    const self: MemberSnapshot = {id: s.id, state: s.leaving ? 'left' : 'alive', inc: s.inc, tags: s.tags}
    states[0] = self
    let bytes = PUSH_PULL_ENVELOPE + (states.length < 16 ? 1 : states.length < 65536 ? 3 : 5) + snapshotSize(self)
    for (let i = 0; i < recs.length; i++) {
      const r = recs[i]!
      let e = r.snap
      if (e === null || e.state !== r.state || e.inc !== r.inc || e.tags !== r.tags) {
        r.snap = e = {id: r.id, state: r.state, inc: r.inc, tags: r.tags}
        r.snapBytes = snapshotSize(e)
      }
      states[i + 1] = e
      bytes += r.snapBytes
    }
    return {states, bytes}
  }
}

const PUSH_PULL_ENVELOPE = encodedSize({type: 'push-pull', reply: false, join: false, states: null}) - 1

/** MessagePack size of one snapshot entry (exact; cheaper than the generic encodedSize). */
export function snapshotSize(e: MemberSnapshot): number {
  let tags = 3
  for (const k in e.tags) tags += strSize(k) + strSize(e.tags[k]!)
  // map16 header, then 'id', 'state', 'inc', 'tags' keys (3, 6, 4, 5 bytes as fixstr).
  return 3 + 3 + strSize(e.id) + 6 + strSize(e.state) + 4 + intSize(e.inc) + 5 + tags
}
