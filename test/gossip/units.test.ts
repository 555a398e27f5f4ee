import {Packr} from 'msgpackr'
import {describe, expect, it} from 'vitest'
import {
  ArrivalWindow,
  Awareness,
  BroadcastQueue,
  SwimCore,
  Suspicion,
  encodedSize,
  phi,
  phiDefaults,
  retransmitLimit,
  suspicionBounds,
  suspicionTimeout,
  updateSize,
  type SwimMessage,
  type Update,
} from '../../src/gossip/index.js'
import {Rng} from '../../src/sim/index.js'

describe('Lifeguard dynamic suspicion timeout (memberlist suspicion.go)', () => {
  it('min = SuspicionMult·max(1, log10 N)·ProbeInterval, max = SuspicionMaxTimeoutMult·min, k = SuspicionMult − 2', () => {
    // memberlist LAN at N = 50: 4 · 1.698 · 1 s ≈ 6.8 s (../shared/benchmarks.md).
    const b = suspicionBounds(50, 1000, 4, 6)
    expect(b.min).toBe(6792)
    expect(b.max).toBe(6 * 6792)
    expect(b.k).toBe(2)
    // Small clusters: log10 N < 1 is floored at 1; too few members to confirm means k = 0.
    expect(suspicionBounds(3, 1000, 4, 6)).toEqual({min: 4000, max: 24000, k: 0})
  })

  it('starts at max and shrinks to min as log(c+1)/log(k+1) with independent confirmations', () => {
    const b = suspicionBounds(1000, 1000, 4, 6) // min 12 s, max 72 s, k 2
    expect(suspicionTimeout(0, b)).toBe(72000)
    expect(suspicionTimeout(1, b)).toBe(Math.floor(72000 - (60000 * Math.log(2)) / Math.log(3)))
    expect(suspicionTimeout(2, b)).toBe(12000)
    expect(suspicionTimeout(5, b)).toBe(12000)
  })

  it('counts each confirmer once, never the accuser, and at most k', () => {
    const s = new Suspicion('a', 1000, suspicionBounds(1000, 1000, 4, 6))
    expect(s.deadline()).toBe(1000 + 72000)
    expect(s.confirm('a')).toBe(false)
    expect(s.confirm('b')).toBe(true)
    expect(s.confirm('b')).toBe(false)
    expect(s.confirm('c')).toBe(true)
    expect(s.confirm('d')).toBe(false)
    expect(s.deadline()).toBe(1000 + 12000)
  })
})

describe('Lifeguard local health multiplier (awareness)', () => {
  it('scales timeouts by score + 1, clamped to [×1, ×max]', () => {
    const a = new Awareness(8)
    expect(a.scale(500)).toBe(500)
    a.applyDelta(-3)
    expect(a.health()).toBe(0)
    a.applyDelta(3)
    expect(a.scale(500)).toBe(2000)
    a.applyDelta(100)
    expect(a.health()).toBe(7)
    expect(a.scale(1000)).toBe(8000)
  })
})

describe('broadcast queue (SWIM §4.1 infection-style dissemination)', () => {
  it('retransmit limit is RetransmitMult · ceil(log10(N + 1))', () => {
    expect(retransmitLimit(4, 9)).toBe(4)
    expect(retransmitLimit(4, 50)).toBe(8)
    expect(retransmitLimit(4, 1000)).toBe(16)
  })

  it('sends each update at most `limit` times, then forgets it', () => {
    const q = new BroadcastQueue<string>()
    q.enqueue('a', 'A', 10)
    let sent = 0
    for (let i = 0; i < 10; i++) {
      const into: string[] = []
      q.take(1400, 0, 3, into)
      sent += into.length
    }
    expect(sent).toBe(3)
    expect(q.length).toBe(0)
  })

  it('prefers the least transmitted, and a newer update about the same member replaces the old one', () => {
    const q = new BroadcastQueue<string>()
    q.enqueue('a', 'A1', 10)
    const first: string[] = []
    q.take(1400, 0, 10, first)
    q.enqueue('b', 'B', 10)
    const second: string[] = []
    q.take(15, 0, 10, second) // room for one
    expect(second).toEqual(['B'])
    q.enqueue('a', 'A2', 10)
    expect(q.length).toBe(2)
    const third: string[] = []
    q.take(1400, 0, 10, third)
    expect(third).toEqual(['A2', 'B'])
  })

  it('never exceeds the byte budget', () => {
    const q = new BroadcastQueue<number>()
    for (let i = 0; i < 500; i++) q.enqueue(`k${i}`, i, 30 + (i % 7))
    const into: number[] = []
    const used = q.take(1000, 2, 16, into)
    expect(used).toBeLessThanOrEqual(1000)
    expect(into.length).toBeGreaterThan(20)
  })
})

describe('phi accrual (Hayashibara et al. 2004, Akka formulation)', () => {
  it('phi is −log10(1/2) ≈ 0.301 at the mean and grows past the threshold when overdue', () => {
    expect(phi(1000, 1000, 100)).toBeCloseTo(0.301, 2)
    expect(phi(1100, 1000, 100)).toBeCloseTo(-Math.log10(0.1587), 1) // one std dev late: P ≈ 0.159
    expect(phi(1600, 1000, 100)).toBeGreaterThan(8)
    expect(phi(500, 1000, 100)).toBeLessThan(0.01)
  })

  it('with Akka defaults, regular 1 s heartbeats convict only after about the acceptable pause', () => {
    const w = new ArrivalWindow(phiDefaults(1000))
    for (let t = 0; t <= 60_000; t += 1000) w.heartbeat(t)
    expect(w.mean()).toBeCloseTo(1000, -1)
    expect(w.phi(61_000)).toBeLessThan(1)
    expect(w.phi(63_000)).toBeLessThan(8)
    expect(w.phi(65_000)).toBeGreaterThan(8)
  })

  it('the minimum standard deviation keeps a perfectly regular history from convicting a heartbeat 50 ms later than usual', () => {
    const opts = {...phiDefaults(1000), windowSize: 10}
    const w = new ArrivalWindow(opts)
    for (let t = 0; t <= 20_000; t += 1000) w.heartbeat(t) // the window holds only exact 1 s intervals
    expect(w.stdDeviation()).toBe(0)
    // 50 ms past mean + acceptable pause: y = 50 / 100 (the floor), phi ≈ 0.51. Without the floor, y = ∞.
    const late = 20_000 + 1000 + opts.acceptableHeartbeatPause + 50
    expect(w.phi(late)).toBeGreaterThan(0.3)
    expect(w.phi(late)).toBeLessThan(1)
  })

  it('the window keeps at most windowSize samples', () => {
    const w = new ArrivalWindow({...phiDefaults(1000), windowSize: 10})
    for (let t = 0; t <= 100_000; t += 1000) w.heartbeat(t) // 100 intervals of 1 s
    for (let t = 100_500; t <= 105_000; t += 500) w.heartbeat(t) // then 10 of 0.5 s
    expect(w.mean()).toBeCloseTo(500, 5)
  })
})

describe('SWIM message size', () => {
  const packr = new Packr({useRecords: false})

  it('the size estimate is the exact MessagePack size', () => {
    const u: Update = {kind: 'alive', node: 'node-with-a-long-name-1234567890', inc: 70000, tags: {role: 'db', zone: 'eu-west-1'}}
    expect(updateSize(u)).toBe(packr.pack(u).length)
    const s: Update = {kind: 'suspect', node: 'n1', inc: 3, from: 'n2'}
    expect(updateSize(s)).toBe(packr.pack(s).length)
    const msg = {type: 'ping', seq: 123456, target: 'n7', updates: [u, s]}
    expect(encodedSize(msg)).toBe(packr.pack(msg).length)
  })

  it('every probe fits one 1400-byte datagram however many updates are queued', () => {
    const core = new SwimCore({id: 'n0', random: new Rng(1), profile: 'lan'})
    core.start(0)
    // Hand it a push-pull with 2000 long-named members: 2000 queued alive updates.
    const states = Array.from({length: 2000}, (_, i) => ({id: `member-${i}-${'x'.repeat(20)}`, state: 'alive' as const, inc: i, tags: {zone: 'z'}}))
    core.receive(states[0]!.id, {type: 'push-pull', reply: true, join: false, states}, 1)
    expect(core.pendingBroadcasts()).toBeGreaterThan(1000)
    const out = core.tick('probe', 2)
    const pings = out.send.filter((e) => (e.msg as SwimMessage).type === 'ping')
    expect(pings).toHaveLength(1)
    const bytes = packr.pack(pings[0]!.msg).length
    expect(bytes).toBeLessThanOrEqual(1400)
    expect(bytes).toBeGreaterThan(1200) // and it is well filled
    expect(pings[0]!.bytes).toBe(bytes)
  })
})

describe('push-pull size accounting', () => {
  it('matches the encoded size of the push-pull message', () => {
    const packr = new Packr({useRecords: false})
    const core = new SwimCore({id: 'n0', random: new Rng(1), tags: {role: 'web'}, profile: 'lan'})
    core.start(0)
    const states = Array.from({length: 40}, (_, i) => ({id: `n${i + 1}`, state: 'alive' as const, inc: i * 1000, tags: i % 2 ? {} : {zone: 'a'}}))
    const out = core.receive('n1', {type: 'push-pull', reply: false, join: true, states}, 1)
    const reply = out.send.find((e) => (e.msg as SwimMessage).type === 'push-pull')!
    expect(reply.channel).toBe('stream')
    expect(reply.bytes).toBe(packr.pack(reply.msg).length)
  })
})
