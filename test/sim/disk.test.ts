import {describe, expect, it} from 'vitest'
import type {Core, CoreContext, NodeId, Output, Recovered} from '../../src/core/index.js'
import {FRAME_OVERHEAD, percentile, resolveDisk, Rng, SimDisk, Simulator, type DiskOptions} from '../../src/sim/index.js'
import type {TraceRecord} from '../../src/trace/index.js'

/**
 * A toy stateful core: `write` persists a number and, in the same output, sends it to `to`;
 * `ping` sends without persisting; `snapshot` persists the whole list as a snapshot; `timer`
 * asks for a timer. It reports what it recovered at start.
 */
type Cmd = {type: 'write'; n: number; to?: NodeId} | {type: 'ping'; to: NodeId} | {type: 'snapshot'} | {type: 'timer'; key: string; at: number}
type Msg = {n: number | 'ping'}
type Ev = {type: 'recovered'; snapshot: number[] | null; records: number[]; truncatedBytes: number} | {type: 'written'; n: number}

const enc = (x: unknown) => new TextEncoder().encode(JSON.stringify(x))
const dec = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as unknown

class Journal implements Core<Msg, Ev, Cmd> {
  readonly numbers: number[] = []
  readonly received: {n: number | 'ping'; at: number}[] = []
  readonly fired: {key: string; at: number}[] = []
  constructor(readonly id: NodeId) {}
  private out(): Output<Msg, Ev> {
    return {send: [], timers: [], cancel: [], events: [], persist: []}
  }
  start(_now: number, rec?: Recovered): Output<Msg, Ev> {
    const o = this.out()
    const snapshot = rec?.snapshot ? (dec(rec.snapshot) as number[]) : null
    const records = (rec?.records ?? []).map((r) => dec(r) as number)
    this.numbers.push(...(snapshot ?? []), ...records)
    o.events.push({type: 'recovered', snapshot, records, truncatedBytes: rec?.truncatedBytes ?? 0})
    return o
  }
  receive(_from: NodeId, msg: Msg, now: number): Output<Msg, Ev> {
    this.received.push({n: msg.n, at: now})
    return this.out()
  }
  tick(key: string, now: number): Output<Msg, Ev> {
    this.fired.push({key, at: now})
    return this.out()
  }
  command(cmd: Cmd): Output<Msg, Ev> {
    const o = this.out()
    if (cmd.type === 'write') {
      this.numbers.push(cmd.n)
      o.persist!.push({type: 'append', data: enc(cmd.n)})
      if (cmd.to) o.send.push({to: cmd.to, msg: {n: cmd.n}, channel: 'stream'})
      o.events.push({type: 'written', n: cmd.n})
    } else if (cmd.type === 'ping') o.send.push({to: cmd.to, msg: {n: 'ping'}})
    else if (cmd.type === 'snapshot') o.persist!.push({type: 'snapshot', data: enc(this.numbers)})
    else o.timers.push({key: cmd.key, at: cmd.at})
    return o
  }
}

function setup(disk: DiskOptions = {syncLatency: 5}, seed = 1) {
  const sim = new Simulator<Msg, Ev, Cmd>({seed, network: {baseDelay: 1, jitter: 0}, disk, trace: true})
  const lives: Journal[] = []
  const rx = new Journal('rx')
  sim.addNode('w', (ctx: CoreContext) => {
    const j = new Journal(ctx.id)
    lives.push(j)
    return j
  })
  sim.addNode('rx', () => rx)
  const events: {at: number; e: Ev}[] = []
  sim.onEvent((at, node, e) => node === 'w' && events.push({at, e}))
  return {sim, lives, rx, events, trace: sim.trace!}
}

const kinds = (trace: TraceRecord[], k: TraceRecord['k']) => trace.filter((r) => r.k === k)

describe('the Ready rule in the simulator: persist, then send', () => {
  it('a message in the same output as a record leaves when the record is synced; a later output waits behind it; timers are set at once', () => {
    const {sim, rx, lives, events, trace} = setup()
    sim.command('w', {type: 'write', n: 1, to: 'rx'}, 10)
    sim.command('w', {type: 'timer', key: 't', at: 12}, 10)
    sim.command('w', {type: 'ping', to: 'rx'}, 11)
    sim.runUntil(100)
    // Sync from 10 to 15, then one hop of 1 ms; the ping, produced at 11, is held behind the write.
    expect(rx.received).toEqual([
      {n: 1, at: 16},
      {n: 'ping', at: 16},
    ])
    expect(lives[0]!.fired).toEqual([{key: 't', at: 12}])
    expect(events.filter((x) => x.e.type === 'written')).toEqual([{at: 15, e: {type: 'written', n: 1}}])
    const persist = kinds(trace, 'persist')
    const synced = kinds(trace, 'synced')
    expect(persist).toHaveLength(1)
    expect(synced).toEqual([{k: 'synced', t: 15, node: 'w', upTo: 1, records: 1, latency: 5}])
    expect(kinds(trace, 'send').map((r) => r.t)).toEqual([15, 15])
  })

  it('group commit: records written while a sync runs join the next sync; records of one instant share one', () => {
    const {sim, rx} = setup()
    for (const [i, t] of [10, 11, 12, 13].entries()) sim.command('w', {type: 'write', n: i + 1, to: 'rx'}, t)
    for (let i = 0; i < 3; i++) sim.command('w', {type: 'write', n: 10 + i, to: 'rx'}, 30)
    sim.runUntil(100)
    expect(sim.stats.syncs).toBe(3)
    expect(rx.received.map((r) => [r.n, r.at])).toEqual([
      [1, 16],
      [2, 21],
      [3, 21],
      [4, 21],
      [10, 36],
      [11, 36],
      [12, 36],
    ])
  })

  it('a sync that completes while the node is paused releases its output on resume', () => {
    const {sim, rx} = setup()
    sim.command('w', {type: 'write', n: 1, to: 'rx'}, 10)
    sim.pause('w', 12)
    sim.resume('w', 30)
    sim.runUntil(100)
    expect(rx.received).toEqual([{n: 1, at: 31}])
  })
})

describe('the simulated disk across crashes', () => {
  it('a crash loses what was not synced; the restarted core is handed exactly what was', () => {
    const {sim, lives, trace} = setup({syncLatency: 5, tornWrite: 0})
    sim.command('w', {type: 'write', n: 1}, 10) // durable at 15
    sim.command('w', {type: 'write', n: 2}, 16) // sync 16 → 21: not yet durable at 18
    sim.crash('w', 18)
    sim.restart('w', 20)
    sim.runUntil(100)
    expect(lives).toHaveLength(2)
    expect(lives[1]!.numbers).toEqual([1])
    expect(kinds(trace, 'crash')).toEqual([{k: 'crash', t: 18, node: 'w', lost: 1, torn: 0}])
    expect(kinds(trace, 'restart')).toEqual([{k: 'restart', t: 20, lt: 20, node: 'w', restarts: 1, recovered: {main: {snapshot: false, records: 1, truncatedBytes: 0}}}])
  })

  it('a torn write: part of the first unsynced record reached the disk, and recovery cuts it off and says how much', () => {
    const {sim, events} = setup({syncLatency: 5, tornWrite: 1})
    sim.command('w', {type: 'write', n: 1}, 10)
    sim.command('w', {type: 'write', n: 123456}, 16)
    sim.crash('w', 18)
    sim.restart('w', 20)
    sim.runUntil(100)
    const rec = events.filter((x) => x.e.type === 'recovered').map((x) => x.e)
    expect(rec).toHaveLength(2)
    const second = rec[1] as Extract<Ev, {type: 'recovered'}>
    expect(second.records).toEqual([1])
    const frame = enc(123456).length + FRAME_OVERHEAD
    expect(second.truncatedBytes).toBeGreaterThanOrEqual(1)
    expect(second.truncatedBytes).toBeLessThan(frame)
  })

  it('a snapshot replaces everything its core logged before it', () => {
    const {sim, lives, events} = setup({syncLatency: 1})
    sim.command('w', {type: 'write', n: 1}, 10)
    sim.command('w', {type: 'write', n: 2}, 20)
    sim.command('w', {type: 'snapshot'}, 30)
    sim.command('w', {type: 'write', n: 3}, 40)
    sim.restart('w', 50)
    sim.runUntil(100)
    const last = events.filter((x) => x.e.type === 'recovered').at(-1)!.e
    expect(last).toEqual({type: 'recovered', snapshot: [1, 2], records: [3], truncatedBytes: 0})
    expect(lives[1]!.numbers).toEqual([1, 2, 3])
  })

  it('corruption of a synced record: the node refuses to start and says which record, until the disk is replaced', () => {
    const {sim, lives, trace} = setup({syncLatency: 1})
    sim.command('w', {type: 'write', n: 1}, 10)
    sim.command('w', {type: 'write', n: 2}, 20)
    sim.corrupt('w', {at: 30})
    sim.restart('w', 40)
    sim.runUntil(50)
    expect(sim.status('w')).toBe('failed')
    expect(sim.failures).toHaveLength(1)
    expect(sim.failures[0]).toMatchObject({node: 'w', core: 'main', at: 40})
    const fault = kinds(trace, 'fault').find((r) => r.k === 'fault' && r.fault === 'corrupt')!
    expect(kinds(trace, 'start-failed')).toEqual([{k: 'start-failed', t: 40, node: 'w', core: 'main', reason: 'corrupt', record: (fault as {record: number}).record}])
    expect(lives).toHaveLength(1)
    sim.wipeDisk('w', undefined, 60)
    sim.restart('w', 60)
    sim.runUntil(100)
    expect(sim.status('w')).toBe('up')
    expect(lives).toHaveLength(2)
    expect(lives[1]!.numbers).toEqual([])
  })
})

describe('sync latency', () => {
  it('defaults to a log-normal with the measured fdatasync median (0.24 ms) and p99 (≈ 8 ms), cut at 100 ms', () => {
    const disk = new SimDisk(resolveDisk(undefined), new Rng(5))
    const xs = Array.from({length: 40_000}, () => disk.syncLatency()).sort((a, b) => a - b)
    expect(xs).toHaveLength(40_000)
    expect(percentile(xs, 50)).toBeGreaterThan(0.22)
    expect(percentile(xs, 50)).toBeLessThan(0.26)
    expect(percentile(xs, 99)).toBeGreaterThan(6.5)
    expect(percentile(xs, 99)).toBeLessThan(9.5)
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length
    expect(mean).toBeGreaterThan(0.6)
    expect(mean).toBeLessThan(0.9)
    expect(xs.at(-1)!).toBeLessThanOrEqual(100)
  })

  it('rejects settings that make no sense', () => {
    expect(() => resolveDisk({tornWrite: 2})).toThrow(/probability/)
    expect(() => resolveDisk({syncLatency: {p50: 1, p99: 0.5}})).toThrow(/p50/)
    expect(() => resolveDisk({syncLatency: -1})).toThrow(/≥ 0/)
  })
})
