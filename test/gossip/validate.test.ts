import fc from 'fast-check'
import {Packr} from 'msgpackr'
import {describe, expect, it} from 'vitest'
import {
  createDetector,
  MAX_INCARNATION,
  validateAllToAllMessage,
  validateSwimMessage,
  validateTags,
  WIRE_LIMITS,
  type AllToAllMessage,
  type DetectorKind,
  type GossipMessage,
  type SwimMessage,
  type Update,
} from '../../src/gossip/index.js'
import {Rng} from '../../src/sim/index.js'

/**
 * Issue 13 §2: every datagram and push-pull body is validated before a core sees it. Property
 * tests feed arbitrary values to every validator (never a throw, always a verdict), well-formed
 * messages through them (accepted, unchanged), and whatever passes to the cores (which then
 * never throw and keep only string ids and safe incarnations).
 */

const REASONS = new Set(['malformed', 'unknown-type', 'bad-id', 'bad-incarnation', 'bad-seq', 'missing-updates', 'too-many-entries', 'bad-update', 'bad-tags', 'bad-field'])
const packr = new Packr({useRecords: false})

// ---- arbitraries of well-formed messages -----------------------------------------------------

const nodeIds = ['n1', 'n2', 'n3', 'n4', 'n5']
const id = fc.constantFrom(...nodeIds)
const inc = fc.oneof(fc.integer({min: 0, max: 5}), fc.constantFrom(MAX_INCARNATION - 2, MAX_INCARNATION - 1))
const tags = fc.dictionary(fc.string({minLength: 1, maxLength: 8}).filter((k) => k !== '__proto__'), fc.string({maxLength: 12}), {maxKeys: 4})
const update: fc.Arbitrary<Update> = fc.oneof(
  fc.record({kind: fc.constant('alive' as const), node: id, inc: fc.oneof(inc, fc.constant(MAX_INCARNATION)), tags}),
  fc.record({kind: fc.constantFrom('suspect' as const, 'dead' as const), node: id, inc, from: id}, {requiredKeys: ['kind', 'node', 'inc']}),
  fc.record({kind: fc.constant('suspect' as const), node: id, inc, from: id, at: fc.integer({min: 0, max: 100_000})}),
)
const updates = fc.array(update, {maxLength: 6})
const seq = fc.integer({min: 0, max: 1_000_000})
const snapshot = fc.oneof(
  fc.record({id, state: fc.constant('alive' as const), inc: fc.oneof(inc, fc.constant(MAX_INCARNATION)), tags}),
  fc.record({id, state: fc.constantFrom('suspect' as const, 'dead' as const, 'left' as const), inc, tags}),
)
const swimMessage: fc.Arbitrary<SwimMessage> = fc.oneof(
  fc.record({type: fc.constant('ping' as const), seq, target: id, updates}),
  fc.record({type: fc.constant('ping-req' as const), seq, target: id, updates}),
  fc.record({type: fc.constant('ack' as const), seq, updates}),
  fc.record({type: fc.constant('nack' as const), seq}),
  fc.record({type: fc.constant('gossip' as const), updates}),
  fc.record({type: fc.constant('push-pull' as const), reply: fc.boolean(), join: fc.boolean(), states: fc.array(snapshot, {maxLength: 6})}),
)
const allToAllMessage: fc.Arbitrary<AllToAllMessage> = fc.oneof(
  fc.record({type: fc.constant('hb' as const), inc, tags}, {requiredKeys: ['type', 'inc']}),
  fc.record({type: fc.constant('leave' as const), inc}),
  fc.record({type: fc.constant('hello' as const), reply: fc.boolean(), inc, tags, members: fc.array(fc.record({id, inc, tags}), {maxLength: 6})}),
)

/** Anything a decoder could hand over, and well-formed messages with one part broken. */
const hostile = fc.oneof(
  fc.anything(),
  swimMessage.chain((m) => fc.tuple(fc.constant(m), fc.constantFrom('type', 'seq', 'target', 'updates', 'states', 'reply'), fc.anything()).map(([m, k, v]) => ({...m, [k]: v}))),
  updates.chain((us) => fc.tuple(fc.constant(us), fc.constantFrom('kind', 'node', 'inc', 'from', 'tags', 'at'), fc.anything()).map(([us, k, v]) => ({type: 'gossip', updates: [...us, {kind: 'suspect', node: 'n1', inc: 1, [k]: v}]}))),
)

describe('validators never throw, and give a verdict with a known reason', () => {
  it('on arbitrary values and on well-formed messages with one part broken', () => {
    fc.assert(
      fc.property(hostile, (x) => {
        for (const v of [validateSwimMessage(x), validateAllToAllMessage(x), validateTags(x)]) {
          if (!v.ok) expect(REASONS.has(v.reason)).toBe(true)
        }
      }),
      {numRuns: 2000},
    )
  })

  it('accept every well-formed message, even after a msgpack round trip, and return it unchanged', () => {
    fc.assert(
      fc.property(swimMessage, (m) => {
        const v = validateSwimMessage(packr.unpack(packr.pack(m)))
        expect(v).toEqual({ok: true, msg: m})
      }),
    )
    fc.assert(
      fc.property(allToAllMessage, (m) => {
        expect(validateAllToAllMessage(packr.unpack(packr.pack(m)))).toEqual({ok: true, msg: m})
      }),
    )
  })

  it('keep only the fields a core reads', () => {
    const v = validateSwimMessage({type: 'ack', seq: 1, updates: [], junk: 'x'.repeat(1000)})
    expect(v).toEqual({ok: true, msg: {type: 'ack', seq: 1, updates: []}})
  })
})

describe('the hostile datagrams of issue 13 are rejected, each for its reason', () => {
  it('a gossip without updates; an object id at incarnation −1; an accusation at 1e300', () => {
    expect(validateSwimMessage({type: 'gossip'})).toEqual({ok: false, reason: 'missing-updates'})
    expect(validateSwimMessage({type: 'gossip', updates: [{kind: 'alive', node: {}, inc: -1}]})).toEqual({ok: false, reason: 'bad-id'})
    expect(validateSwimMessage({type: 'gossip', updates: [{kind: 'suspect', node: 'n1', inc: 1e300, from: 'x'}]})).toEqual({ok: false, reason: 'bad-incarnation'})
    // Each fault of the second datagram alone is enough.
    expect(validateSwimMessage({type: 'gossip', updates: [{kind: 'alive', node: {}, inc: 1}]})).toEqual({ok: false, reason: 'bad-id'})
    expect(validateSwimMessage({type: 'gossip', updates: [{kind: 'alive', node: 'n2', inc: -1}]})).toEqual({ok: false, reason: 'bad-incarnation'})
  })

  it('ids, incarnations, sequence numbers, arrays and tags out of bounds', () => {
    const g = (u: unknown) => validateSwimMessage({type: 'gossip', updates: [u]})
    expect(g({kind: 'alive', node: 'x'.repeat(WIRE_LIMITS.idLength + 1), inc: 0})).toEqual({ok: false, reason: 'bad-id'})
    expect(g({kind: 'alive', node: '', inc: 0})).toEqual({ok: false, reason: 'bad-id'})
    expect(g({kind: 'alive', node: 'n1', inc: 1.5})).toEqual({ok: false, reason: 'bad-incarnation'})
    expect(g({kind: 'suspect', node: 'n1', inc: -1, from: 'n2'})).toEqual({ok: false, reason: 'bad-incarnation'})
    expect(g({kind: 'alive', node: 'n1', inc: '1'})).toEqual({ok: false, reason: 'bad-incarnation'})
    expect(g({kind: 'suspect', node: 'n1', inc: 0, at: -5})).toEqual({ok: false, reason: 'bad-field'})
    expect(validateSwimMessage({type: 'push-pull', reply: false, join: false, states: [{id: 'n2', state: 'alive', inc: -1, tags: {}}]})).toEqual({ok: false, reason: 'bad-incarnation'})
    expect(validateAllToAllMessage({type: 'hb', inc: -1})).toEqual({ok: false, reason: 'bad-incarnation'})
    expect(g({kind: 'alive', node: 'n1', inc: MAX_INCARNATION + 1})).toEqual({ok: false, reason: 'bad-incarnation'})
    expect(g({kind: 'alive', node: 'n1', inc: 0, tags: {k: 5}})).toEqual({ok: false, reason: 'bad-tags'})
    expect(g({kind: 'alive', node: 'n1', inc: 0, tags: ['a']})).toEqual({ok: false, reason: 'bad-tags'})
    expect(g({kind: 'alive', node: 'n1', inc: 0, tags: Object.fromEntries(Array.from({length: WIRE_LIMITS.tags + 1}, (_, i) => [`k${i}`, 'v']))})).toEqual({ok: false, reason: 'bad-tags'})
    expect(g({kind: 'alive', node: 'n1', inc: 0, tags: {k: 'v'.repeat(WIRE_LIMITS.tagValue + 1)}})).toEqual({ok: false, reason: 'bad-tags'})
    expect(g({kind: 'revive', node: 'n1', inc: 0})).toEqual({ok: false, reason: 'bad-update'})
    expect(g({kind: 'suspect', node: 'n1', inc: 0, at: 'yesterday'})).toEqual({ok: false, reason: 'bad-field'})
    expect(validateSwimMessage({type: 'ping', seq: -1, target: 'n1', updates: []})).toEqual({ok: false, reason: 'bad-seq'})
    expect(validateSwimMessage({type: 'gossip', updates: Array.from({length: WIRE_LIMITS.updates + 1}, () => ({kind: 'alive', node: 'n1', inc: 0}))})).toEqual({ok: false, reason: 'too-many-entries'})
    expect(validateSwimMessage({type: 'push-pull', reply: 'yes', join: false, states: []})).toEqual({ok: false, reason: 'bad-field'})
    expect(validateSwimMessage({type: 'hello'})).toEqual({ok: false, reason: 'unknown-type'})
    expect(validateSwimMessage(Buffer.from('x'))).toEqual({ok: false, reason: 'malformed'})
    expect(validateAllToAllMessage({type: 'hello', reply: false, inc: 0, tags: {}, members: [{id: 7, inc: 0, tags: {}}]})).toEqual({ok: false, reason: 'bad-id'})
  })

  it('an accusation must leave room for its refutation: below 2^52 it passes, at 2^52 it does not; an alive message may carry 2^52', () => {
    const acc = (n: number) => validateSwimMessage({type: 'gossip', updates: [{kind: 'suspect', node: 'n1', inc: n, from: 'n2'}]}).ok
    expect(acc(MAX_INCARNATION - 1)).toBe(true)
    expect(acc(MAX_INCARNATION)).toBe(false)
    expect(validateSwimMessage({type: 'gossip', updates: [{kind: 'alive', node: 'n1', inc: MAX_INCARNATION}]}).ok).toBe(true)
    // Nor may a leave (a forged one must be refutable too).
    expect(validateSwimMessage({type: 'gossip', updates: [{kind: 'dead', node: 'n1', inc: MAX_INCARNATION, from: 'n1'}]}).ok).toBe(false)
    expect(validateSwimMessage({type: 'push-pull', reply: false, join: false, states: [{id: 'n1', state: 'dead', inc: MAX_INCARNATION, tags: {}}]}).ok).toBe(false)
  })
})

describe('cores fed through the validators', () => {
  const check = (kind: DetectorKind, msgs: fc.Arbitrary<unknown>) =>
    fc.assert(
      fc.property(fc.array(fc.tuple(id, msgs), {maxLength: 40}), (inputs) => {
        const core = createDetector(kind, {id: 'n1', random: new Rng(1), members: nodeIds, profile: 'fast'})
        core.start(0)
        let now = 0
        const accused: number[] = []
        for (const [from, x] of inputs) {
          const v = kind === 'swim' ? validateSwimMessage(x) : validateAllToAllMessage(x)
          if (!v.ok) continue
          now += 37
          // Every suspect, dead or left about n1 that it processes is an accusation to refute (a
          // ping for someone else is dropped whole).
          const m = v.msg as SwimMessage
          if (kind === 'swim' && !(m.type === 'ping' && m.target !== 'n1')) {
            if ('updates' in m) for (const u of m.updates) if (u.node === 'n1' && u.kind !== 'alive') accused.push(u.inc)
            if (m.type === 'push-pull') for (const e of m.states) if (e.id === 'n1' && e.state !== 'alive') accused.push(e.inc)
          }
          core.receive(from, v.msg as GossipMessage, now)
        }
        const members = core.members()
        // The core starts with the four seeds; whatever it learns or forgets, it lists someone.
        expect(members.length).toBeGreaterThan(0)
        for (const m of members) {
          expect(typeof m.id).toBe('string')
          expect(Number.isSafeInteger(m.incarnation) && m.incarnation >= 0 && m.incarnation <= MAX_INCARNATION).toBe(true)
          for (const t of Object.values(m.tags)) expect(typeof t).toBe('string')
        }
        const self = core.self()
        expect(self.state).toBe('alive')
        // However it was accused, it out-numbered the highest accusation it accepted.
        if (kind === 'swim' && accused.length > 0) expect(self.incarnation).toBeGreaterThan(Math.max(...accused))
      }),
      {numRuns: 300},
    )

  it('SWIM never throws on what passes, keeps only valid members, and can always refute', () => {
    check('swim', fc.oneof(swimMessage, hostile))
  })

  it('phi and heartbeat never throw on what passes and keep only valid members', () => {
    check('phi', fc.oneof(allToAllMessage, hostile))
    check('heartbeat', fc.oneof(allToAllMessage, hostile))
  })
})
