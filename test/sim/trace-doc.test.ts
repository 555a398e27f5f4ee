import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import type {CoreContext, Core, Output} from '../../src/core/index.js'
import {createDetector} from '../../src/gossip/index.js'
import {kvClientFactory, kvCoreFactory} from '../../src/kv/index.js'
import {Simulator} from '../../src/sim/index.js'
import {MemoryTrace, TRACE_KINDS, type TraceRecord} from '../../src/trace/index.js'
import {root} from '../helpers/cli.js'

/** The run whose lines docs/trace.md shows (described there, under "Record kinds"). */
function documentedRun(): TraceRecord[] {
  const trace = new MemoryTrace()
  const sim = new Simulator<unknown, unknown, never>({seed: 42, network: {loss: 0.2, duplicate: 0.2, baseDelay: 5}, clocks: {maxOffset: 5, maxDrift: 1e-4}, trace})
  sim.addNode('s1', {cores: {kv: kvCoreFactory({snapshotEvery: 4})}})
  sim.addNode('c1', {cores: {kv: kvClientFactory({process: 1, servers: ['s1'], ops: 30, channel: 'datagram', keys: ['x']})}})
  sim.addNode('c2', {cores: {kv: kvClientFactory({process: 2, servers: ['s1'], ops: 30, channel: 'stream', keys: ['x']})}})
  const empty = (): Output<never, never> => ({send: [], timers: [], cancel: [], events: []})
  const log = (ctx: CoreContext): Core<never, never, unknown> => ({id: ctx.id, start: empty, receive: empty, tick: empty, command: empty})
  for (const id of ['g1', 'g2']) {
    sim.addNode(id, {
      cores: {membership: (ctx) => createDetector('swim', {id, random: ctx.random, seeds: id === 'g1' ? [] : ['g1'], profile: 'fast'}), log},
      route: (from, e) => (from === 'membership' ? [{core: 'log', cmd: e}] : undefined),
    })
  }
  sim.crash('s1', 150)
  sim.restart('s1', 250)
  sim.partition([['s1']], 400)
  sim.heal(500)
  sim.pause('c1', 600)
  sim.resume('c1', 650)
  sim.corrupt('s1', {at: 1400})
  sim.restart('s1', 1450)
  sim.runUntil(1500)
  return trace.records
}

describe('docs/trace.md', () => {
  const doc = readFileSync(join(root, 'docs/trace.md'), 'utf8')
  const examples = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.trim().split('\n'))

  it('shows at least one real example of every record kind, each a line of the run it describes', () => {
    expect(examples.length).toBeGreaterThanOrEqual(TRACE_KINDS.length)
    const kinds = new Set(examples.map((l) => (JSON.parse(l) as TraceRecord).k))
    for (const k of TRACE_KINDS) expect(kinds.has(k), k).toBe(true)
    const lines = new Set(documentedRun().map((r) => JSON.stringify(r)))
    for (const l of examples) expect(lines.has(l), l).toBe(true)
  })

  it('explains every drop reason', () => {
    for (const reason of ['loss', 'partition', 'receiver-down', 'fault-rule', 'stream-broken']) expect(doc).toContain(`| \`${reason}\` |`)
  })
})
