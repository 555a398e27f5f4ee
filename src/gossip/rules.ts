import type {NodeId} from '../core/index.js'
import type {SwimContext} from './context.js'
import type {Rec} from './member-table.js'
import type {MemberSnapshot, Update} from './messages.js'
import {updateSize} from './messages.js'
import {Suspicion} from './suspicion.js'
import {bounds, clearSuspicion, stamped, suspicionStart} from './suspicion-rules.js'
import {MAX_INCARNATION} from './validate.js'
import type {Tags} from './types.js'

/**
 * SWIM's membership rules (§4.2; memberlist state.go `aliveNode`, `suspectNode`, `deadNode`,
 * `refute`, `mergeState`): a member's states are ordered by its incarnation number, which only
 * the member itself raises; an accusation of ourselves is refuted, never believed; suspicion
 * ends in death after the (Lifeguard) suspicion timeout unless refuted. The suspicion's own
 * timing and re-checks are in suspicion-rules.ts.
 */

export const EMPTY_TAGS: Tags = Object.freeze({}) as Tags

/** Bytes of corrections of stale accusations answered per message received (an alive update is ~30 bytes plus tags). */
const MAX_CORRECTION_BYTES = 512

export function sameTags(a: Tags, b: Tags): boolean {
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  for (const k of ka) if (a[k] !== b[k]) return false
  return true
}

/** Applies the piggybacked updates of one message, in order. */
export function merge(s: SwimContext, updates: Update[]): void {
  s.corrections.length = 0
  for (let i = 0; i < updates.length; i++) {
    const u = updates[i]!
    if (u.kind === 'alive') alive(s, u)
    else if (u.kind === 'suspect') suspect(s, u)
    else dead(s, u)
  }
}

/** Push-pull merge: a remote "dead" only makes us suspect (memberlist mergeState), so the member gets its chance to refute. */
export function mergeState(s: SwimContext, states: MemberSnapshot[], from: NodeId): void {
  for (let i = 0; i < states.length; i++) {
    const e = states[i]!
    if (e.state === 'alive') {
      // alive()'s common case, without building an update: known, nothing newer.
      if (e.id !== s.id && e.inc <= s.table.incOf(e.id)) continue
      alive(s, {kind: 'alive', node: e.id, inc: e.inc, tags: e.tags})
    } else if (e.state === 'left') dead(s, {kind: 'dead', node: e.id, inc: e.inc, from: e.id})
    else suspect(s, {kind: 'suspect', node: e.id, inc: e.inc, from})
  }
  // A push-pull is already a two-way exchange of full state: nothing to correct separately.
  s.corrections.length = 0
}

export function alive(s: SwimContext, u: Update): void {
  if (u.node === s.id) {
    // Someone spreads a newer "us" than we are (we restarted and forgot): out-number it. The
    // same incarnation with other tags is refuted too (memberlist aliveNode): a node restarted
    // with new tags — a new address — would otherwise keep its old ones at its peers.
    if (s.leaving) return
    if (u.inc > s.inc || (u.inc === s.inc && u.tags !== undefined && !sameTags(u.tags, s.tags))) refute(s, u.inc)
    return
  }
  // The common case by far (every copy of an update after the first): known, nothing newer.
  if (u.inc <= s.table.incOf(u.node)) return
  const r = s.table.get(u.node)
  if (!r) {
    addMember(s, u.node, u.inc, u.tags ?? EMPTY_TAGS)
    s.gossip.broadcast(u)
    return
  }
  // SWIM §4.2: only a higher incarnation overrides what we know.
  if (u.inc <= r.inc) return
  const prev = r.state
  s.table.setInc(r, u.inc)
  s.changed()
  const tagsChanged = u.tags !== undefined && !sameTags(u.tags, r.tags)
  if (u.tags !== undefined) r.tags = u.tags
  if (prev !== 'alive') {
    clearSuspicion(s, r)
    setState(s, r, 'alive')
    s.b.event({type: 'alive', member: r.id, incarnation: r.inc, tags: r.tags})
  } else if (tagsChanged) {
    r.lastChange = s.now
    s.b.event({type: 'update', member: r.id, incarnation: r.inc, tags: r.tags})
  }
  // News that clears an accusation travels on the leading edge (dissemination.ts).
  s.gossip.broadcast(u, prev !== 'alive')
}

export function suspect(s: SwimContext, u: Update): void {
  const from = u.from ?? u.node
  if (u.node === s.id) return answerAccusation(s, u)
  const r = s.table.get(u.node)
  if (r && u.inc < r.inc && r.state === 'alive') correct(s, r.id, r.inc, r.tags)
  if (!r || u.inc < r.inc || r.state === 'dead' || r.state === 'left') return
  if (r.state === 'suspect' && (u.inc === r.inc || !s.config.restartSuspicion)) {
    // Lifeguard (Local Health Aware Suspicion): an independent confirmation shortens the
    // timeout; re-gossip it so others count it too. (memberlist counts a suspicion at a higher
    // incarnation as a confirmation too; with restartSuspicion, dtk starts afresh: below.)
    if (r.suspicion && r.suspicion.confirm(from)) {
      s.b.timer(`suspect:${r.id}`, r.suspicion.deadline())
      // Passed on with the instant of the suspicion as we time it (whatever the sender wrote).
      s.gossip.broadcast(stamped(s, u, r.suspicion.start), true)
    }
    return
  }
  // A suspicion at a higher incarnation than the one we hold is a new suspicion (the member
  // refuted the old one, and we may never see that refutation since it carries this same
  // incarnation): start afresh rather than let the old timer kill the member.
  s.table.setInc(r, u.inc)
  s.changed()
  if (r.state !== 'suspect') setState(s, r, 'suspect')
  const start = suspicionStart(s, u.at)
  r.suspicion = new Suspicion(from, start, bounds(s))
  // Passed on with the instant we time it from (a push-pull's "dead" comes without one).
  u = stamped(s, u, start)
  s.b.timer(`suspect:${r.id}`, r.suspicion.deadline())
  if (s.config.recheckSuspects) s.b.timer(`recheck:${r.id}`, s.now + r.suspicion.bounds.min * (0.25 + 0.25 * s.rng.next()))
  s.b.event({type: 'suspect', member: r.id, incarnation: r.inc, by: from})
  // Every holder's timer runs from the moment it hears (and counts confirmations from then):
  // an accusation and its confirmations travel on the leading edge too (dissemination.ts).
  s.gossip.broadcast(u, true)
}

export function dead(s: SwimContext, u: Update): void {
  const from = u.from ?? u.node
  if (u.node === s.id) return answerAccusation(s, u)
  const r = s.table.get(u.node)
  const left = from === u.node
  if (r && u.inc < r.inc && r.state === 'alive' && !left) correct(s, r.id, r.inc, r.tags)
  // A member's own leave outranks our verdict on it at the same incarnation (Serf moves a failed
  // member to left on its leave intent): a member we declared dead may have been alive all
  // along, across a partition, and say goodbye before its refutation reached us.
  const deadThenLeft = left && r?.state === 'dead'
  if (!r || u.inc < r.inc || (r.state === 'dead' && !deadThenLeft) || r.state === 'left') return
  clearSuspicion(s, r)
  s.table.setInc(r, u.inc)
  s.changed()
  setState(s, r, left ? 'left' : 'dead')
  s.b.event(left ? {type: 'leave', member: r.id, incarnation: r.inc} : {type: 'dead', member: r.id, incarnation: r.inc, by: from})
  // A verdict is final news: the members still waiting on their own timers learn it at once.
  s.gossip.broadcast(u, true)
}

/** Forgets members the reaper removed from the table: nothing about them is gossiped any more. */
export function forget(s: SwimContext, gone: Rec[]): void {
  for (const r of gone) {
    s.gossip.forget(r.id)
    s.b.event({type: 'forget', member: r.id, incarnation: r.inc})
  }
}

export function addMember(s: SwimContext, id: NodeId, inc: number, tags: Tags): void {
  const rec = s.table.add(id, inc, tags, s.now)
  s.memberChanged(rec, undefined)
  s.b.event({type: 'join', member: id, incarnation: inc, tags})
}

export function setState(s: SwimContext, r: Rec, state: Rec['state']): void {
  const prev = r.state
  s.table.setState(r, state, s.now)
  s.memberChanged(r, prev)
}

/**
 * SWIM §4.2: an accusation of this node (suspect or dead) is answered, never believed: refute it
 * with a higher incarnation, or, if it is older than our incarnation, tell the sender what is
 * current. Lifeguard (Local Health Aware Probe): being accused hints that we are the slow one,
 * so `refute` raises our health score too.
 */
function answerAccusation(s: SwimContext, u: Update): void {
  if (s.leaving) return
  if (u.inc >= s.inc) refute(s, u.inc)
  else correct(s, s.id, s.inc, s.tags)
}

/**
 * A new incarnation above the accused one. Incarnations stop at MAX_INCARNATION (2^52), and
 * validate.ts accepts accusations only below it, so the refutation of any accusation a peer
 * accepts is one its peers accept too.
 */
export function refute(s: SwimContext, accused: number): void {
  s.inc = Math.min(MAX_INCARNATION, Math.max(s.inc, accused) + 1)
  s.changed()
  s.selfChange = s.now
  if (s.config.lifeguard) s.awareness.applyDelta(1)
  s.gossip.broadcast({kind: 'alive', node: s.id, inc: s.inc, tags: s.tags}, true)
}

/**
 * Alive updates answering stale accusations in the message being merged, for its sender
 * (`correctStale`, a dtk extension).
 *
 * SWIM §4.2 orders a member's states by incarnation: a suspect or dead message at an older
 * incarnation than an alive one we hold has been refuted, and its sender, still spreading it,
 * has evidently not heard the refutation. Infection-style gossip with a bounded retransmit
 * count (RetransmitMult · ceil(log10(N + 1)), memberlist's TransmitLimitedQueue) leaves such
 * a member now and then — at 5–10 % loss and N ≈ 100, a refutation sent ~8 times per node
 * misses some node every few minutes — and that node then holds an unconfirmed suspicion for
 * Lifeguard's maximum timeout (6 × the minimum, ≈ 48 s) and declares a live member dead. The
 * suspect itself could not help: it ignores accusations below its own incarnation (memberlist
 * suspectNode/deadNode do too), even when the accuser tells it so directly in a Buddy System
 * probe. memberlist's only remedy is the push-pull anti-entropy (every 90 s at N = 100), too
 * rare for a 48 s window. dtk answers the sender at once with the newer alive message —
 * piggybacked on the ack for a ping, else in one small gossip datagram — so every member still
 * spreading a refuted accusation is corrected by the first member that knows better, the
 * suspect included (targeted anti-entropy, nothing sent while views agree).
 */
function correct(s: SwimContext, node: NodeId, inc: number, tags: Tags): void {
  if (!s.config.correctStale) return
  const c = s.corrections
  let bytes = 0
  for (let i = 0; i < c.length; i++) {
    if (c[i]!.node === node) return
    bytes += updateSize(c[i]!)
  }
  const u: Update = {kind: 'alive', node, inc, tags}
  if (bytes + updateSize(u) <= MAX_CORRECTION_BYTES) c.push(u)
}

/** Sends the corrections the last merge collected to `to`, in one gossip datagram. */
export function sendCorrections(s: SwimContext, to: NodeId): void {
  if (s.corrections.length === 0) return
  const updates = s.corrections.slice()
  s.corrections.length = 0
  s.gossip.send(to, {type: 'gossip', updates})
}
