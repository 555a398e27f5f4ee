import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {createDetector, type DetectorCommand, type GossipMessage, type MembershipEvent} from '../../src/gossip/index.js'
import {runKvScenario, Simulator, type KvScenarioOptions} from '../../src/sim/index.js'
import {MemoryTrace, parseTrace, TraceWriter, type DropReason, type TraceRecord} from '../../src/trace/index.js'

const dir = mkdtempSync(join(tmpdir(), 'dtk-trace-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

/** Everything at once: crashes, torn writes, partitions, loss and duplication, datagrams and streams. */
const stormy: KvScenarioOptions = {
  seed: 8,
  clients: 5,
  ops: 80,
  channel: 'datagram',
  network: {loss: 0.1, duplicate: 0.1},
  crashes: {every: 300, downtime: 100},
  partitions: {every: 400, duration: 100},
  server: {snapshotEvery: 8},
  client: {think: 5},
}

const REASONS: DropReason[] = ['loss', 'partition', 'receiver-down', 'fault-rule', 'stream-broken']

describe('trace invariants (a kv run with crashes, partitions, loss and duplication)', () => {
  const trace = new MemoryTrace()
  const r = runKvScenario({...stormy, trace})
  const records = trace.records
  const sends = new Map<string, Extract<TraceRecord, {k: 'send'}>>()
  for (const x of records) if (x.k === 'send') sends.set(x.id, x)
  const count = (k: TraceRecord['k']) => records.filter((x) => x.k === k).length

  it('gives every message its own id, across the server’s restarts', () => {
    const ids = records.filter((x) => x.k === 'send').map((x) => (x.k === 'send' ? x.id : ''))
    expect(ids.length).toBeGreaterThan(500)
    expect(new Set(ids).size).toBe(ids.length)
    expect(count('restart')).toBeGreaterThan(3)
  })

  it('records every kind of step, in time order', () => {
    for (const k of ['send', 'deliver', 'drop', 'timer', 'event', 'start', 'restart', 'crash', 'persist', 'synced', 'break', 'stream-broken', 'fault'] as const) {
      expect(count(k), k).toBeGreaterThan(0)
    }
    for (let i = 1; i < records.length; i++) expect(records[i]!.t).toBeGreaterThanOrEqual(records[i - 1]!.t)
  })

  it('every deliver has a send with the same id, from that sender to that node and core, earlier and with a smaller Lamport clock', () => {
    const delivers = records.filter((x) => x.k === 'deliver')
    expect(delivers.length).toBeGreaterThan(500)
    for (const d of delivers) {
      const s = sends.get(d.id)
      expect(s, d.id).toBeDefined()
      expect([s!.node, s!.to, s!.core, s!.ch]).toEqual([d.from, d.node, d.core, d.ch])
      expect(s!.t).toBeLessThanOrEqual(d.t)
      expect(d.lc).toBeGreaterThan(s!.lc)
    }
  })

  it('every send ends in a deliver or a drop with a reason, or is still in flight when the run ends; only a duplicate is delivered twice', () => {
    const outcomes = new Map<string, TraceRecord[]>()
    for (const x of records) if (x.k === 'deliver' || x.k === 'drop') outcomes.set(x.id, [...(outcomes.get(x.id) ?? []), x])
    const inFlight = new Set(r.sim.inFlight())
    expect(sends.size).toBeGreaterThan(500)
    const reasons = new Set<string>()
    for (const [id] of sends) {
      const o = outcomes.get(id) ?? []
      if (o.length === 0) {
        expect(inFlight.has(id), `${id} has no outcome and is not in flight`).toBe(true)
        continue
      }
      const originals = o.filter((x) => !('dup' in x))
      expect(originals.length + (inFlight.has(id) ? 1 : 0), id).toBe(1)
      expect(o.length - originals.length).toBeLessThanOrEqual(1)
      for (const x of o) if (x.k === 'drop') reasons.add(x.reason)
    }
    for (const reason of reasons) expect(REASONS).toContain(reason)
    expect([...reasons].sort()).toEqual(['loss', 'partition', 'receiver-down', 'stream-broken'])
  })

  it('every persisted record is synced later, or lost in a crash that says so', () => {
    const persists = records.filter((x) => x.k === 'persist')
    expect(persists.length).toBeGreaterThan(100)
    let lostInCrash = 0
    for (const p of persists) {
      const i = records.indexOf(p)
      const syncedAt = records.findIndex((x, j) => j > i && x.k === 'synced' && x.node === p.node && x.upTo >= p.upTo)
      const crashAt = records.findIndex((x, j) => j > i && x.k === 'crash' && x.node === p.node)
      if (crashAt >= 0 && (syncedAt < 0 || crashAt < syncedAt)) {
        const c = records[crashAt]!
        expect(c.k === 'crash' && c.lost).toBeGreaterThan(0)
        lostInCrash++
      } else if (syncedAt < 0) {
        // Neither: only the very last records of the run, whose sync had not completed yet.
        expect(records.slice(i).every((x) => x.t - p.t < 200)).toBe(true)
      }
    }
    expect(lostInCrash).toBeGreaterThan(0)
  })
})

describe('the trace writer', () => {
  it('writes the same JSONL as the records in memory, in chunks, including when it must fall back to synchronous writes', async () => {
    const mem = new MemoryTrace()
    runKvScenario({...stormy, ops: 30, trace: mem})
    const path = join(dir, 'kv.jsonl')
    const w = new TraceWriter(path, {chunkBytes: 4096, maxPendingBytes: 16 * 1024})
    runKvScenario({...stormy, ops: 30, trace: w})
    await w.close()
    const text = readFileSync(path, 'utf8')
    expect(w.records).toBe(mem.records.length)
    expect(w.bytes).toBe(Buffer.byteLength(text))
    expect(text).toBe(mem.toJSONL())
    expect(parseTrace(text)).toEqual(mem.records)
  })

  it('parseTrace says which line is bad', () => {
    expect(() => parseTrace('{"k":"send","t":1}\nnot json\n')).toThrow(/line 2/)
    expect(() => parseTrace('{"t":1}\n')).toThrow(/line 1 has no kind/)
  })
})

describe('tracing changes nothing', () => {
  it('a run traced and a run not traced make the same history; a gossip run gives the same membership events', () => {
    const a = runKvScenario({...stormy, ops: 40})
    const b = runKvScenario({...stormy, ops: 40, trace: new MemoryTrace()})
    expect(b.history).toEqual(a.history)
    expect(b.stats).toEqual(a.stats)
    const gossip = (trace: boolean) => {
      const sim = new Simulator<GossipMessage, MembershipEvent, DetectorCommand>({seed: 3, network: {loss: 0.05}, trace})
      const ids = Array.from({length: 12}, (_, i) => `n${i}`)
      for (const id of ids) sim.addNode(id, (ctx) => createDetector('swim', {id, random: ctx.random, seeds: id === 'n0' ? [] : ['n0'], profile: 'fast'}), sim.random.next() * 200)
      const events: string[] = []
      sim.onEvent((now, node, e) => events.push(`${now} ${node} ${e.type} ${e.member}`))
      sim.crash('n5', 3_000)
      sim.runUntil(10_000)
      return events
    }
    const plain = gossip(false)
    expect(plain.length).toBeGreaterThan(100)
    expect(gossip(true)).toEqual(plain)
  })
})
