import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {cluster} from '../../src/cluster/index.js'
import {readEvents} from '../../src/events/index.js'
import type {MembersView} from '../../src/node/roles/gossip/index.js'
import {parseTrace, type TraceRecord} from '../../src/trace/index.js'
import {dtk, killAllUnder, tempDir, waitFor} from '../helpers/cli.js'
import {checkTraces} from './trace-check.js'

/**
 * The node host on real processes: composition (membership events reach a second core of the
 * same node) and traces (every delivery has its send; every send ends in a delivery or a drop
 * with a reason, or in what a real trace cannot know), checked on the merged traces of a
 * cluster put through loss, duplication, a partition and a restart.
 */
describe('composition on real processes: the gossip-log role', () => {
  let stateDir: string
  const run = (...args: string[]) => dtk(args, {DTK_STATE_DIR: stateDir})
  const ref = () => ({stateDir, name: 'comp'})
  const eventsOf = (id: string) => readEvents(cluster.eventFiles(ref())).filter((e) => e.node === id)

  beforeAll(async () => {
    stateDir = tempDir('comp')
  })
  afterAll(async () => {
    await run('cluster', 'down', '--name', 'comp', '--grace', '1s').catch(() => undefined)
    killAllUnder(stateDir)
  })

  it('every membership event of a node reaches its log core, in order, once durable; a crash is logged by every survivor', {timeout: 180_000}, async () => {
    const up = await run('cluster', 'up', '--name', 'comp', '--nodes', '3', '--role', 'gossip-log', '--profile', 'fast')
    expect(up.code, up.stderr).toBe(0)
    const ids = ['n1', 'n2', 'n3']
    const split = (id: string) => {
      const ev = eventsOf(id)
      return {
        members: ev.filter((e) => e.type.startsWith('member.')).map((e) => `${e.type.slice('member.'.length)}:${String(e.member)}`),
        logged: ev.filter((e) => e.type === 'log.member').map((e) => `${String(e.kind)}:${String(e.member)}`),
      }
    }
    await waitFor(() => ids.every((id) => split(id).logged.filter((x) => x.startsWith('join:')).length === 2), 30_000, 'every node to log the joins of the two others')
    expect((await run('crash', 'n3', '--name', 'comp')).code).toBe(0)
    await waitFor(() => ['n1', 'n2'].every((id) => split(id).logged.includes('dead:n3')), 30_000, 'both survivors to log the death of n3')
    for (const id of ['n1', 'n2']) {
      const {members, logged} = split(id)
      expect(members.length).toBeGreaterThanOrEqual(3)
      // The log core saw exactly the membership core's events, in the same order (a suffix may still wait for its sync).
      expect(members.slice(0, logged.length)).toEqual(logged)
      const ns = eventsOf(id)
        .filter((e) => e.type === 'log.member')
        .map((e) => e.n)
      expect(ns).toEqual(ns.map((_, i) => i + 1))
    }
    // n3's log survived its crash: the restarted core recovers at least every entry it reported.
    const reported = eventsOf('n3').filter((e) => e.type === 'log.member').length
    expect(reported).toBeGreaterThanOrEqual(2)
    expect((await run('restart', 'n3', '--name', 'comp')).code).toBe(0)
    await waitFor(() => eventsOf('n3').filter((e) => e.type === 'log.recovered').length === 2, 30_000, 'n3 to report what its log recovered')
    const rec = eventsOf('n3').filter((e) => e.type === 'log.recovered').at(-1)!
    expect(rec.logged as number).toBeGreaterThanOrEqual(reported)
  })
})

describe('traces of real processes', () => {
  let stateDir: string
  let traceDir: string
  const run = (...args: string[]) => dtk(args, {DTK_STATE_DIR: stateDir})
  const ref = () => ({stateDir, name: 'tr'})

  beforeAll(async () => {
    stateDir = tempDir('traces')
    traceDir = join(stateDir, 'traces')
  })
  afterAll(async () => {
    await run('cluster', 'down', '--name', 'tr', '--grace', '1s').catch(() => undefined)
    killAllUnder(stateDir)
  })

  it('every deliver has its send; every send ends in a deliver or a drop with a reason, through loss, duplication, a partition and a restart', {timeout: 240_000}, async () => {
    const up = await run('cluster', 'up', '--name', 'tr', '--nodes', '3', '--role', 'gossip', '--profile', 'fast', '--trace', traceDir)
    expect(up.code, up.stderr).toBe(0)
    const converged = async () => {
      const vs = (await cluster.roleCallAll<MembersView>(ref(), {op: 'members'})).answers
      return vs.length === 3 && vs.every((a) => a.answer.members.filter((m) => m.state === 'alive').length === 2)
    }
    await waitFor(converged, 30_000, 'three nodes to converge')
    expect((await run('faults', 'set', '--name', 'tr', '--drop', '0.3', '--duplicate', '0.3', '--from', 'n1', '--to', 'n2')).code).toBe(0)
    const tracesNow = () => readdirSync(traceDir).flatMap((f) => parseTrace(readFileSync(join(traceDir, f), 'utf8')))
    await waitFor(() => tracesNow().some((r) => r.k === 'deliver' && r.dup), 30_000, 'a duplicated datagram to be delivered')
    expect((await run('faults', 'clear', '--name', 'tr')).code).toBe(0)
    expect((await run('partition', 'n3', '--name', 'tr')).code).toBe(0)
    await waitFor(() => tracesNow().some((r) => r.k === 'drop' && r.reason === 'partition'), 30_000, 'a datagram dropped by the partition')
    expect((await run('heal', '--name', 'tr')).code).toBe(0)
    expect((await run('restart', 'n2', '--name', 'tr')).code).toBe(0)
    await waitFor(converged, 30_000, 'the cluster to converge again')
    const down = await run('cluster', 'down', '--name', 'tr')
    expect(down.code, down.stderr).toBe(0)

    const files = readdirSync(traceDir).sort()
    expect(files).toEqual(['n1.jsonl', 'n2.jsonl', 'n3.jsonl'])
    const records: TraceRecord[] = files.flatMap((f) => parseTrace(readFileSync(join(traceDir, f), 'utf8'))).sort((a, b) => a.t - b.t)
    expect(records.filter((r) => r.k === 'restart').map((r) => (r as {node: string}).node)).toEqual(['n2'])
    const v = checkTraces(records)
    expect(v.violations).toEqual([])
    expect(v.sends).toBeGreaterThan(100)
    expect(v.delivers).toBeGreaterThan(100)
    expect(v.drops['fault-rule']).toBeGreaterThan(0)
    expect(v.drops.partition).toBeGreaterThan(0)
    expect(v.duplicates).toBeGreaterThan(0)
    // Nodes and cores: every record names one of the three nodes and the membership core.
    expect(new Set(records.filter((r) => r.k === 'send').map((r) => (r as {core: string}).core))).toEqual(new Set(['membership']))
  })
})
