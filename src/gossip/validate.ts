import type {NodeId} from '../core/index.js'
import type {AllToAllMessage} from './all-to-all.js'
import type {MemberSnapshot, SwimMessage, Update} from './messages.js'
import type {DetectorKind, MemberState, Tags} from './types.js'

/**
 * Validation of everything a gossip core is handed from the network, as pure functions: a
 * host calls one on every datagram and push-pull body *before* the core sees it, drops what
 * fails and counts it by `reason`. A core then never meets a value outside its types: the cores
 * trust their input (they throw, or worse, keep a member whose id is `{}` when they do not).
 *
 * Each validator has the shape of a protocol's validator hook, `(x: unknown) => {ok: true, msg}
 * | {ok: false, reason}`, and returns a fresh message holding only the fields the core reads
 * (extra fields, and the objects behind them, are not kept alive by the core).
 *
 * Incarnations: memberlist's are uint32 and wrap; dtk's are JavaScript numbers, exact up to
 * 2^53. An incarnation is valid up to MAX_INCARNATION = 2^52 in an alive message, and only below
 * it in a suspect or dead one (a leave included: a forged one must be refutable too), so that
 * the refutation, one higher, is itself valid everywhere: a node can always refute an accusation
 * its peers accept. Without a key an attacker can still push a node
 * to the ceiling (a forged accusation at 2^52 − 1); that node can then no longer be accused
 * through gossip, and each member detects it by its own probes. With a key nobody can.
 */

export const WIRE_LIMITS = {
  /** Characters in a node id (dtk's own ids: 1–64 of [A-Za-z0-9_.-]). */
  idLength: 128,
  /** Piggybacked updates in one message (a 1400-byte datagram holds fewer than 100). */
  updates: 256,
  /** Entries in a push-pull state or an all-to-all member list. */
  states: 16_384,
  /** Entries in one member's tags, and the length of a key and of a value. */
  tags: 32,
  tagKey: 64,
  tagValue: 512,
} as const

/** The largest incarnation a message may carry (alive); accusations must be below it. */
export const MAX_INCARNATION = 2 ** 52

/** Why an input was dropped: stable names, used as metric labels. */
export type RejectReason =
  | 'malformed'
  | 'unknown-type'
  | 'bad-id'
  | 'bad-incarnation'
  | 'bad-seq'
  | 'missing-updates'
  | 'too-many-entries'
  | 'bad-update'
  | 'bad-tags'
  | 'bad-field'

export type Validated<M> = {ok: true; msg: M} | {ok: false; reason: RejectReason}
export type Validator<M> = (x: unknown) => Validated<M>

/** Thrown inside a validator and caught at its top: the first problem found names the reason. */
class Reject {
  constructor(readonly reason: RejectReason) {}
}

function reject(reason: RejectReason): never {
  throw new Reject(reason)
}

function run<M>(f: () => M): Validated<M> {
  try {
    return {ok: true, msg: f()}
  } catch (e) {
    if (e instanceof Reject) return {ok: false, reason: e.reason}
    throw e
  }
}

/** A plain object (not an array, buffer, date…): what msgpack maps decode to. */
function record(x: unknown, reason: RejectReason): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) reject(reason)
  const proto = Object.getPrototypeOf(x)
  if (proto !== Object.prototype && proto !== null) reject(reason)
  return x as Record<string, unknown>
}

export function isNodeId(x: unknown): x is NodeId {
  return typeof x === 'string' && x.length > 0 && x.length <= WIRE_LIMITS.idLength
}

function id(x: unknown): NodeId {
  if (!isNodeId(x)) reject('bad-id')
  return x
}

/** A safe, non-negative integer up to `max`. */
function incarnation(x: unknown, max: number): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0 || x > max) reject('bad-incarnation')
  return x
}

function seq(x: unknown): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0) reject('bad-seq')
  return x
}

function bool(x: unknown): boolean {
  if (typeof x !== 'boolean') reject('bad-field')
  return x
}

function array(x: unknown, max: number, missing: RejectReason): unknown[] {
  if (!Array.isArray(x)) reject(missing)
  if (x.length > max) reject('too-many-entries')
  return x
}

/** Tags: a string-to-string map of at most WIRE_LIMITS.tags entries with bounded keys and values. */
export function validateTags(x: unknown): Validated<Tags> {
  return run(() => tags(x))
}

function tags(x: unknown): Tags {
  const o = record(x, 'bad-tags')
  const keys = Object.keys(o)
  if (keys.length > WIRE_LIMITS.tags) reject('bad-tags')
  const out: Tags = {}
  for (const k of keys) {
    const v = o[k]
    if (k.length === 0 || k.length > WIRE_LIMITS.tagKey || k === '__proto__') reject('bad-tags')
    if (typeof v !== 'string' || v.length > WIRE_LIMITS.tagValue) reject('bad-tags')
    out[k] = v
  }
  return out
}

const KINDS = new Set(['alive', 'suspect', 'dead'])

function update(x: unknown): Update {
  const o = record(x, 'bad-update')
  const kind = o.kind
  if (typeof kind !== 'string' || !KINDS.has(kind)) reject('bad-update')
  const node = id(o.node)
  const u: Update = {kind: kind as Update['kind'], node, inc: 0}
  if (o.from !== undefined) u.from = id(o.from)
  // An accusation must leave room for its refutation.
  u.inc = incarnation(o.inc, kind === 'alive' ? MAX_INCARNATION : MAX_INCARNATION - 1)
  if (o.tags !== undefined) u.tags = tags(o.tags)
  if (o.at !== undefined) {
    if (typeof o.at !== 'number' || !Number.isFinite(o.at) || o.at < 0) reject('bad-field')
    u.at = o.at
  }
  return u
}

function updates(x: unknown): Update[] {
  const a = array(x, WIRE_LIMITS.updates, 'missing-updates')
  const out: Update[] = new Array(a.length)
  for (let i = 0; i < a.length; i++) out[i] = update(a[i])
  return out
}

const STATES = new Set<string>(['alive', 'suspect', 'dead', 'left'])

function snapshot(x: unknown): MemberSnapshot {
  const o = record(x, 'bad-update')
  const state = o.state
  if (typeof state !== 'string' || !STATES.has(state)) reject('bad-update')
  return {id: id(o.id), state: state as MemberState, inc: incarnation(o.inc, state === 'alive' ? MAX_INCARNATION : MAX_INCARNATION - 1), tags: tags(o.tags)}
}

/** A SWIM message (datagram or push-pull body), checked against messages.ts and the limits above. */
export function validateSwimMessage(x: unknown): Validated<SwimMessage> {
  return run((): SwimMessage => {
    const o = record(x, 'malformed')
    switch (o.type) {
      case 'ping':
        return {type: 'ping', seq: seq(o.seq), target: id(o.target), updates: updates(o.updates)}
      case 'ping-req':
        return {type: 'ping-req', seq: seq(o.seq), target: id(o.target), updates: updates(o.updates)}
      case 'ack':
        return {type: 'ack', seq: seq(o.seq), updates: updates(o.updates)}
      case 'nack':
        return {type: 'nack', seq: seq(o.seq)}
      case 'gossip':
        return {type: 'gossip', updates: updates(o.updates)}
      case 'push-pull': {
        const a = array(o.states, WIRE_LIMITS.states, 'malformed')
        const states: MemberSnapshot[] = new Array(a.length)
        for (let i = 0; i < a.length; i++) states[i] = snapshot(a[i])
        return {type: 'push-pull', reply: bool(o.reply), join: bool(o.join), states}
      }
      default:
        return reject('unknown-type')
    }
  })
}

/** A heartbeat / phi message (all-to-all.ts). */
export function validateAllToAllMessage(x: unknown): Validated<AllToAllMessage> {
  return run((): AllToAllMessage => {
    const o = record(x, 'malformed')
    switch (o.type) {
      case 'hb': {
        const m: AllToAllMessage = {type: 'hb', inc: incarnation(o.inc, MAX_INCARNATION)}
        if (o.tags !== undefined) m.tags = tags(o.tags)
        return m
      }
      case 'leave':
        return {type: 'leave', inc: incarnation(o.inc, MAX_INCARNATION)}
      case 'hello': {
        const a = array(o.members, WIRE_LIMITS.states, 'malformed')
        const members: {id: NodeId; inc: number; tags: Tags}[] = new Array(a.length)
        for (let i = 0; i < a.length; i++) {
          const e = record(a[i], 'bad-update')
          members[i] = {id: id(e.id), inc: incarnation(e.inc, MAX_INCARNATION), tags: tags(e.tags)}
        }
        return {type: 'hello', reply: bool(o.reply), inc: incarnation(o.inc, MAX_INCARNATION), tags: tags(o.tags), members}
      }
      default:
        return reject('unknown-type')
    }
  })
}

/** The validator of `kind`'s messages: the hook a host calls before the core. */
export function messageValidator(kind: DetectorKind): Validator<SwimMessage | AllToAllMessage> {
  return kind === 'swim' ? validateSwimMessage : validateAllToAllMessage
}
