import fc from 'fast-check'
import {afterEach, describe, expect, it} from 'vitest'
import type {PeerAddress} from '../../src/transport/index.js'
import {waitFor} from '../helpers/cli.js'
import {core, out, startHost, type TestNode} from './helpers.js'

/**
 * The stream channel of src/core on the real host (src/node/host over src/transport), as
 * test/sim/streams.test.ts checks it in the simulator: a stream is FIFO per ordered pair of
 * nodes, and when it breaks the core is told (`streamBroken`) and the unsent or unacknowledged
 * suffix is lost. The transport's fault layer delays and jitters frames, holds them behind a
 * one-way cut, and breaks whole streams (a `drop` rule on a stream, or `breakStreams`), never
 * dropping or duplicating single frames inside one.
 */
const nodes: TestNode[] = []
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop()
})

type Msg = {n: number}
const IDS = ['a', 'b'] as const
type Id = (typeof IDS)[number]
const other = (id: Id): Id => (id === 'a' ? 'b' : 'a')

type Action =
  | {k: 'send'; from: Id; count: number}
  | {k: 'break'; at: Id}
  | {k: 'faults'; at: Id; delayMs: number; jitterMs: number; drop: number}
  | {k: 'cut'; at: Id; ms: number}
  | {k: 'wait'; ms: number}

const action: fc.Arbitrary<Action> = fc.oneof(
  {weight: 4, arbitrary: fc.record({k: fc.constant('send' as const), from: fc.constantFrom(...IDS), count: fc.integer({min: 1, max: 40})})},
  {weight: 2, arbitrary: fc.record({k: fc.constant('break' as const), at: fc.constantFrom(...IDS)})},
  {weight: 2, arbitrary: fc.record({k: fc.constant('faults' as const), at: fc.constantFrom(...IDS), delayMs: fc.integer({min: 0, max: 5}), jitterMs: fc.integer({min: 0, max: 20}), drop: fc.constantFrom(0, 0, 0.03)})},
  {weight: 1, arbitrary: fc.record({k: fc.constant('cut' as const), at: fc.constantFrom(...IDS), ms: fc.integer({min: 1, max: 40})})},
  {weight: 1, arbitrary: fc.record({k: fc.constant('wait' as const), ms: fc.integer({min: 0, max: 20})})},
)

/** Two nodes on loopback, each running one core that sends numbered messages to the other on the stream channel. */
async function pair() {
  const got: Record<Id, number[]> = {a: [], b: []}
  const told: Record<Id, string[]> = {a: [], b: []}
  const next: Record<Id, number> = {a: 0, b: 0}
  const where = new Map<string, PeerAddress>()
  const seq = (me: Id) =>
    core<Msg, never, number>({
      command(count) {
        const o = out<Msg, never>()
        for (let i = 0; i < count; i++) o.send.push({to: other(me), msg: {n: ++next[me]}, channel: 'stream'})
        return o
      },
      receive(from, msg) {
        if (from === other(me)) got[me].push(msg.n)
        return out()
      },
      streamBroken(peer) {
        told[me].push(peer)
        return out()
      },
    })
  const hosts = {} as Record<Id, TestNode>
  for (const id of IDS) {
    const n = await startHost(id, {cores: {seq: {factory: seq(id)}}}, {}, {resolve: (peer) => where.get(peer)})
    nodes.push(n)
    hosts[id] = n
    where.set(id, n.address)
  }
  return {hosts, got, told, next}
}

const increasing = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]!)
/** Places where a received sequence skips messages (a lost suffix of one connection), counting a missing start. */
const gaps = (xs: number[]) => xs.filter((x, i) => x !== (i === 0 ? 1 : xs[i - 1]! + 1)).length

describe('streams on the real host (property test over random sends, delays, one-way cuts and breaks)', () => {
  it('no stream delivers out of order or twice; every lost suffix comes with a break reported to its sender; a break is reported to the cores at both ends', {timeout: 240_000}, async () => {
    let runs = 0
    let brokeOnPurpose = 0
    await fc.assert(
      fc.asyncProperty(fc.array(action, {minLength: 3, maxLength: 12}), async (actions) => {
        runs++
        const {hosts, got, told, next} = await pair()
        try {
          // Each side opens its stream first, so that breaks in the schedule hit live connections.
          for (const id of IDS) {
            hosts[id].host.command('seq', 1)
            await waitFor(() => got[other(id)].length > 0, 10_000, `the first message from ${id}`)
          }
          for (const a of actions) {
            if (a.k === 'send') hosts[a.from].host.command('seq', a.count)
            else if (a.k === 'faults') hosts[a.at].transport.faults.set(other(a.at), {delayMs: a.delayMs, jitterMs: a.jitterMs, drop: a.drop})
            else if (a.k === 'wait') await new Promise((r) => setTimeout(r, a.ms))
            else if (a.k === 'cut') {
              // A one-way cut holds this direction's frames (never drops them) until it is cleared.
              const f = hosts[a.at].transport.faults
              f.set(other(a.at), {block: true})
              hosts[a.at].host.command('seq', 3)
              await new Promise((r) => setTimeout(r, a.ms))
              f.set(other(a.at), {block: false})
            } else {
              const before = {a: told.a.length, b: told.b.length}
              const broken = hosts[a.at].transport.breakStreams(other(a.at))
              if (broken > 0) {
                brokeOnPurpose++
                // Both ends had a connection that broke: each core is told, naming the other node.
                await waitFor(() => told.a.length > before.a && told.b.length > before.b, 10_000, 'both cores to be told of the break', () => JSON.stringify(told))
                expect(told.a.slice(before.a).every((p) => p === 'b')).toBe(true)
                expect(told.b.slice(before.b).every((p) => p === 'a')).toBe(true)
              }
            }
          }
          // Clear every fault, then send until a message sent after that reaches each side: the
          // streams are then as complete as they will get.
          for (const id of IDS) hosts[id].transport.faults.clear()
          for (const id of IDS) {
            await waitFor(
              () => {
                const last = next[id]
                const r = got[other(id)]
                if (last > 0 && r.length > 0 && r.at(-1)! === last) return true
                hosts[id].host.command('seq', 1)
                return false
              },
              30_000,
              `a message from ${id} to arrive after the faults were cleared`,
              () => `sent ${next[id]}, got ${JSON.stringify(got[other(id)].slice(-5))}`,
            )
          }
          for (const id of IDS) {
            const r = got[other(id)]
            expect(r.length).toBeGreaterThan(0)
            expect(increasing(r), `${id}→${other(id)}: ${JSON.stringify(r)}`).toBe(true)
            const g = gaps(r)
            // A message is lost only with its connection, and the sender's core hears of every break.
            expect(g, `${id}→${other(id)} lost ${g} runs of messages but its core was told of ${told[id].length} breaks`).toBeLessThanOrEqual(told[id].length)
          }
        } finally {
          for (const n of nodes.splice(0)) await n.stop()
        }
      }),
      {numRuns: 12},
    )
    expect(runs).toBe(12)
    // The schedules did exercise breaks, not only quiet runs.
    expect(brokeOnPurpose).toBeGreaterThan(0)
  })
})
