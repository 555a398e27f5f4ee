import type {NodeId} from '../core/index.js'
import type {SwimContext} from './context.js'
import type {Rec} from './member-table.js'
import {envelopeSize, updateSize, type SwimMessage, type Update} from './messages.js'
import {dead} from './rules.js'
import {suspicionBounds, type SuspicionBounds} from './suspicion.js'

/**
 * How a suspicion is timed and followed up (memberlist state.go `suspectNode` and suspicion.go;
 * Lifeguard's Local Health Aware Suspicion and Buddy System), with dtk's `sharedClock` and
 * `recheckSuspects` extensions: when it began, how long it may last, and who pings the suspect.
 */

/**
 * Our accusation of `r` (a failed probe, a buddy-system ping): a suspect update carrying the
 * instant of the suspicion we already hold, or now.
 */
export function accusation(s: SwimContext, r: Rec): Update {
  const u: Update = {kind: 'suspect', node: r.id, inc: r.inc, from: s.id}
  if (s.config.sharedClock) u.at = r.suspicion && r.state === 'suspect' ? r.suspicion.start : Math.round(s.now)
  return u
}

/** `u` carrying `start` as its instant (a copy only when it differs; none without a shared clock). */
export function stamped(s: SwimContext, u: Update, start: number): Update {
  return s.config.sharedClock && u.at !== start ? {...u, at: start} : u
}

/**
 * When a suspicion we just heard of began. memberlist starts each holder's timer on hearing,
 * so the verdict reaches the last holder up to the accusation's gossip spread (0.3–0.6 s at
 * N = 50) after the first; timing every holder from the accuser's instant makes them all
 * decide together. That instant is on the shared clock (see probe-ring.ts), trusted only up to
 * one probe interval back (more than a suspicion's spread; a skewed or lying clock cannot
 * shorten the refutation window by more) and never in our future.
 */
export function suspicionStart(s: SwimContext, at: number | undefined): number {
  if (!s.config.sharedClock || typeof at !== 'number' || !Number.isFinite(at)) return s.now
  return Math.max(s.now - s.config.probeInterval, Math.min(s.now, at))
}

export function bounds(s: SwimContext): SuspicionBounds {
  const c = s.config
  const b = suspicionBounds(s.clusterSize(), c.probeInterval, c.suspicionMult, c.suspicionMaxTimeoutMult)
  // Plain SWIM: one fixed timeout, no confirmations needed.
  return c.lifeguard ? b : {min: b.min, max: b.min, k: 0}
}

export function clearSuspicion(s: SwimContext, r: Rec): void {
  if (r.suspicion) {
    r.suspicion = null
    s.b.cancel(`suspect:${r.id}`)
    if (s.config.recheckSuspects) s.b.cancel(`recheck:${r.id}`)
  }
}

/** The `suspect:<id>` timer: the suspicion ran its course unrefuted. */
export function suspicionExpired(s: SwimContext, id: NodeId): void {
  const r = s.rec(id)
  if (!r || r.state !== 'suspect') return
  dead(s, {kind: 'dead', node: id, inc: r.inc, from: s.id})
}

/**
 * Lifeguard Buddy System, made certain (`recheckSuspects`): every member holding a suspicion
 * pings the suspect itself, carrying the suspicion, once between ¼ and ½ of the minimum
 * suspicion timeout and then every half minimum until the suspicion ends. The paper's buddy
 * system (memberlist probeNode) only piggybacks the suspicion on a probe the round-robin happens
 * to send, and a given member probes a given suspect within the timeout only with probability
 * ≈ timeout / (N·T) (under ½ for the 48 s maximum at N = 100). A live suspect answers in the ack
 * with its refutation — a fresh one if this is news to it, else its current alive message (see
 * `correct` in rules.ts) — so a member that missed the refutation's gossip (which reaches
 * everyone only with high probability) learns it before its timer can fire. This ping is not a
 * probe: its silence proves nothing and counts for nothing (no confirmation, no health
 * penalty), so a slow member is not accused harder. It carries nothing else, and costs one
 * small ping (and ack) per suspicion and holder every half minimum timeout, nothing while no one
 * is suspected.
 */
export function recheck(s: SwimContext, id: NodeId): void {
  const r = s.rec(id)
  if (!r || r.state !== 'suspect' || !r.suspicion || s.leaving) return
  // Only the suspicion: queued updates are not spent on a member that may well be gone (or
  // across a partition), which would starve their spread among the living.
  const msg: SwimMessage = {type: 'ping', seq: ++s.seq, target: id, updates: [accusation(s, r)]}
  s.b.send(id, msg, 'datagram', envelopeSize(msg) + updateSize(msg.updates[0]!))
  const half = r.suspicion.bounds.min / 2
  s.b.timer(`recheck:${id}`, s.now + half * (0.75 + 0.5 * s.rng.next()))
}
