import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import type {Channel, Core, NodeId, Output} from '../../src/core/index.js'
import {Simulator} from '../../src/sim/index.js'
import type {TraceRecord} from '../../src/trace/index.js'

/** Sends numbered messages on command; records what it receives and every break it is told of. */
type Msg = {k: number}
type Cmd = {to: NodeId; count: number; channel: Channel}
class Talker implements Core<Msg, never, Cmd> {
  readonly received: {from: NodeId; k: number}[] = []
  readonly broken: {peer: NodeId; at: number}[] = []
  private next = new Map<NodeId, number>()
  constructor(readonly id: NodeId) {}
  private out(): Output<Msg, never> {
    return {send: [], timers: [], cancel: [], events: []}
  }
  start() {
    return this.out()
  }
  receive(from: NodeId, msg: Msg) {
    this.received.push({from, k: msg.k})
    return this.out()
  }
  tick() {
    return this.out()
  }
  command(cmd: Cmd) {
    const o = this.out()
    for (let i = 0; i < cmd.count; i++) {
      const k = (this.next.get(cmd.to) ?? 0) + 1
      this.next.set(cmd.to, k)
      o.send.push({to: cmd.to, msg: {k}, channel: cmd.channel})
    }
    return o
  }
  streamBroken(peer: NodeId, now: number) {
    this.broken.push({peer, at: now})
    return this.out()
  }
}

const NODES = ['a', 'b', 'c']
const DETECT = 200

type Op =
  | {t: number; kind: 'send'; from: number; to: number; count: number}
  | {t: number; kind: 'crash' | 'restart' | 'pause' | 'resume' | 'isolate'; node: number}
  | {t: number; kind: 'heal'}
  | {t: number; kind: 'break'; from: number; to: number}

const node = fc.integer({min: 0, max: 2})
const time = fc.integer({min: 0, max: 3000})
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {weight: 6, arbitrary: fc.record({t: time, kind: fc.constant('send' as const), from: node, to: node, count: fc.integer({min: 1, max: 8})})},
  {weight: 1, arbitrary: fc.record({t: time, kind: fc.constantFrom('crash' as const, 'restart' as const, 'pause' as const, 'resume' as const, 'isolate' as const), node})},
  {weight: 1, arbitrary: fc.record({t: time, kind: fc.constant('heal' as const)})},
  {weight: 1, arbitrary: fc.record({t: time, kind: fc.constant('break' as const), from: node, to: node})},
)

function run(seed: number, ops: Op[]) {
  const sim = new Simulator<Msg, never, Cmd>({seed, network: {baseDelay: 1, jitter: 30, jitterDistribution: 'uniform'}, streams: {breakDetection: DETECT}, trace: true})
  const lives = new Map<NodeId, Talker[]>(NODES.map((n) => [n, []]))
  for (const n of NODES) {
    sim.addNode(n, (ctx) => {
      const t = new Talker(ctx.id)
      lives.get(n)!.push(t)
      return t
    })
  }
  for (const op of ops) {
    if (op.kind === 'send') sim.command(NODES[op.from]!, {to: NODES[op.to === op.from ? (op.to + 1) % 3 : op.to]!, count: op.count, channel: 'stream'}, op.t)
    else if (op.kind === 'heal') sim.heal(op.t)
    else if (op.kind === 'break') sim.breakStreams(NODES[op.from]!, NODES[op.to === op.from ? (op.to + 1) % 3 : op.to]!, undefined, op.t)
    else if (op.kind === 'isolate') sim.partition([[NODES[op.node]!]], op.t)
    else sim[op.kind](NODES[op.node]!, op.t)
  }
  const end = 3000 + 5 * DETECT
  sim.runUntil(end)
  return {sim, trace: sim.trace!, lives, end}
}

/** Per connection and direction: the ids sent in order, and the ids delivered in order. */
function perConnection(trace: TraceRecord[]) {
  const sent = new Map<string, string[]>()
  const delivered = new Map<string, string[]>()
  const dirOf = new Map<string, string>()
  for (const r of trace) {
    if (r.k === 'send' && r.ch === 'stream') {
      const d = `${r.conn}:${r.node}>${r.to}`
      dirOf.set(r.id, d)
      sent.set(d, [...(sent.get(d) ?? []), r.id])
    } else if (r.k === 'deliver' && r.ch === 'stream') {
      const d = dirOf.get(r.id)!
      delivered.set(d, [...(delivered.get(d) ?? []), r.id])
    }
  }
  return {sent, delivered}
}

let breaksChecked = 0
let deliveriesChecked = 0

describe('streams (property tests over random sends, crashes, restarts, pauses, partitions and cuts)', () => {
  it('no stream delivers out of order, twice, or past a gap: what one connection delivers is a prefix of what was sent on it', () => {
    fc.assert(
      fc.property(fc.integer({min: 1, max: 1_000_000}), fc.array(opArb, {minLength: 1, maxLength: 40}), (seed, ops) => {
        const {trace} = run(seed, ops)
        const {sent, delivered} = perConnection(trace)
        for (const [d, ids] of delivered) {
          const s = sent.get(d)!
          expect(ids).toEqual(s.slice(0, ids.length))
          deliveriesChecked += ids.length
        }
      }),
      {numRuns: 60},
    )
    expect(deliveriesChecked).toBeGreaterThan(500)
  })

  it('a break is reported to every end that was running when it broke and kept running, after the detection delay', () => {
    fc.assert(
      fc.property(fc.integer({min: 1, max: 1_000_000}), fc.array(opArb, {minLength: 1, maxLength: 40}), (seed, ops) => {
        const {trace, lives, end} = run(seed, ops)
        const status = new Map<string, string>(NODES.map((n) => [n, 'pending']))
        const firstSend = new Map<number, {node: string; t: number}>()
        for (let i = 0; i < trace.length; i++) {
          const r = trace[i]!
          if (r.k === 'start' || r.k === 'restart') status.set(r.node, 'up')
          else if (r.k === 'crash') status.set(r.node, 'down')
          else if (r.k === 'fault' && r.fault === 'pause') status.set(r.node!, 'paused')
          else if (r.k === 'fault' && r.fault === 'resume') status.set(r.node!, 'up')
          else if (r.k === 'send' && r.conn !== undefined && !firstSend.has(r.conn)) firstSend.set(r.conn, {node: r.node, t: r.t})
          if (r.k !== 'break') continue
          // A connection refused (opened towards a node down or across a cut) breaks before its
          // first message is traced, and only its opener learns of it.
          const refused = !firstSend.has(r.conn)
          const opener = refused ? trace.slice(i + 1).find((x) => x.k === 'send' && x.conn === r.conn)!.node : ''
          if (refused) expect(['refused', 'partition']).toContain(r.cause)
          const ends = refused ? [opener] : [r.node, r.peer]
          for (const e of ends) {
            if (status.get(e) !== 'up' || r.t + DETECT >= end) continue
            const disturbed = trace.some((x, j) => j > i && x.t <= r.t + DETECT && (x.k === 'crash' || x.k === 'restart' || (x.k === 'fault' && (x.fault === 'pause' || x.fault === 'resume'))) && 'node' in x && x.node === e)
            if (disturbed) continue
            const told = trace.find((x) => x.k === 'stream-broken' && x.conn === r.conn && x.node === e)
            expect(told, `break of conn ${r.conn} (${r.cause}) told to ${e}`).toBeDefined()
            expect(told!.t).toBe(r.t + DETECT)
            breaksChecked++
          }
        }
        // What the trace says the cores were told, the cores were told.
        const toldInTrace = trace.filter((x) => x.k === 'stream-broken').length
        const toldToCores = [...lives.values()].flat().reduce((n, t) => n + t.broken.length, 0)
        expect(toldToCores).toBe(toldInTrace)
      }),
      {numRuns: 60},
    )
    expect(breaksChecked).toBeGreaterThan(20)
  })

  it('datagrams on the same links do reorder (the FIFO order of streams is the simulator’s doing, not luck)', () => {
    const sim = new Simulator<Msg, never, Cmd>({seed: 3, network: {baseDelay: 1, jitter: 30, jitterDistribution: 'uniform'}})
    const rx = new Talker('rx')
    const rx2 = new Talker('rx2')
    sim.addNode('rx', () => rx)
    sim.addNode('rx2', () => rx2)
    sim.addNode('tx', (c) => new Talker(c.id))
    sim.command('tx', {to: 'rx', count: 200, channel: 'datagram'}, 1)
    sim.command('tx', {to: 'rx2', count: 200, channel: 'stream'}, 1)
    sim.runUntil(1000)
    const ks = rx.received.map((r) => r.k)
    expect(ks).toHaveLength(200)
    expect(ks).not.toEqual([...ks].sort((a, b) => a - b))
    expect(rx2.received.map((r) => r.k)).toEqual(Array.from({length: 200}, (_, i) => i + 1))
  })

  it('messages held by a paused node keep their order against one arriving at the very instant of the resume', () => {
    const sim = new Simulator<Msg, never, Cmd>({seed: 5, network: {baseDelay: 10, jitter: 0}})
    const rx = new Talker('rx')
    sim.addNode('rx', () => rx)
    sim.addNode('tx', (c) => new Talker(c.id))
    sim.pause('rx', 5)
    sim.resume('rx', 100) // scheduled before the second message exists
    sim.command('tx', {to: 'rx', count: 2, channel: 'stream'}, 1) // arrive at 11, held
    sim.command('tx', {to: 'rx', count: 1, channel: 'stream'}, 90) // arrives at 100, the resume instant
    sim.runUntil(200)
    expect(rx.received.map((r) => r.k)).toEqual([1, 2, 3])
  })

  it('a crash breaks the stream: in-flight messages are dropped as stream-broken and the survivor is told, once, after the detection delay', () => {
    const sim = new Simulator<Msg, never, Cmd>({seed: 4, network: {baseDelay: 10, jitter: 0}, streams: {breakDetection: DETECT}, trace: true})
    const tx = new Talker('tx')
    sim.addNode('tx', () => tx)
    sim.addNode('rx', (c) => new Talker(c.id))
    sim.command('tx', {to: 'rx', count: 3, channel: 'stream'}, 1)
    sim.crash('rx', 5)
    sim.command('tx', {to: 'rx', count: 1, channel: 'stream'}, 100) // on the broken stream, before being told: lost
    sim.restart('rx', 150)
    sim.command('tx', {to: 'rx', count: 1, channel: 'stream'}, 300) // told at 205: a new stream, delivered
    sim.runUntil(1000)
    const drops = sim.trace!.filter((r) => r.k === 'drop')
    expect(drops.map((r) => (r.k === 'drop' ? r.reason : ''))).toEqual(['stream-broken', 'stream-broken', 'stream-broken', 'stream-broken'])
    expect(tx.broken).toEqual([{peer: 'rx', at: 5 + DETECT}])
    const rxCore = sim.core<Talker>('rx')!
    expect(rxCore.received).toEqual([{from: 'tx', k: 5}])
  })
})
