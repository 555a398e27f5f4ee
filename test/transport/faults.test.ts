import {describe, expect, it} from 'vitest'
import {FaultController} from '../../src/transport/index.js'
import {addr, rejection, sleep, transport, until} from './helpers.js'

describe('FaultController', () => {
  it('is deterministic for a seed', () => {
    const pattern = (seed: number) => {
      const f = new FaultController(seed)
      f.set('b', {drop: 0.5, duplicate: 0.3, jitterMs: 10})
      return Array.from({length: 200}, () => f.plan('b'))
    }
    expect(pattern(42)).toEqual(pattern(42))
    expect(pattern(42)).not.toEqual(pattern(43))
    const drops = pattern(7).filter((p) => p.length === 0).length
    expect(drops).toBeGreaterThan(60)
    expect(drops).toBeLessThan(140)
  })

  it('merges rules, lets a peer rule override *, and clears', () => {
    const f = new FaultController(1)
    expect(f.plan('x')).toEqual([0])
    f.set('*', {delayMs: 5})
    f.set('b', {duplicate: 1})
    f.set('b', {drop: 0})
    expect(f.snapshot()).toEqual({'*': {delayMs: 5}, b: {duplicate: 1, drop: 0}})
    expect(f.plan('b')).toEqual([5, 5])
    expect(f.plan('c')).toEqual([5])
    f.set('*', {block: true})
    f.set('b', {block: false})
    expect(f.plan('c')).toEqual([])
    expect(f.plan('b')).toEqual([5, 5])
    f.clear('b')
    expect(f.plan('b')).toEqual([])
    f.clear()
    expect(f.snapshot()).toEqual({})
    f.set('b', {drop: 7, jitterMs: -3})
    expect(f.snapshot().b).toEqual({drop: 1, jitterMs: 0})
  })
})

describe('faults on TCP links', () => {
  it('block: requests time out and one-way messages vanish; clear restores', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    const got: unknown[] = []
    b.onMessage((m) => got.push(m))
    b.onRequest((m) => m)
    expect(await a.request(addr(b), 'warm')).toBe('warm')
    a.faults.set('b', {block: true})
    a.send(addr(b), 'lost')
    expect((await rejection(a.request(addr(b), 'x', {timeoutMs: 150}))).code).toBe('TIMEOUT')
    expect(got).toEqual([])
    expect(a.stats().dropped).toBe(2)
    a.faults.clear('b')
    a.send(addr(b), 'ok')
    expect(await a.request(addr(b), 'back')).toBe('back')
    await until(() => got.length === 1)
    expect(got).toEqual(['ok'])
  })

  it('responses obey the responder faults toward the requester', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    b.onRequest((m) => m)
    b.faults.set('a', {block: true})
    expect((await rejection(a.request(addr(b), 'x', {timeoutMs: 150}))).code).toBe('TIMEOUT')
    expect(b.stats().dropped).toBe(1)
    b.faults.set('c', {block: true})
    b.faults.clear('a')
    expect(await a.request(addr(b), 'y')).toBe('y')
  })

  it('drop 1.0 loses everything, 0.0 nothing; duplicate 1.0 delivers twice', async () => {
    const a = await transport({id: 'a', faultSeed: 3})
    const b = await transport({id: 'b'})
    const got: number[] = []
    b.onMessage((m) => got.push(m as number))
    a.faults.set('b', {drop: 1})
    for (let i = 0; i < 50; i++) a.send(addr(b), i)
    a.faults.set('b', {drop: 0})
    for (let i = 0; i < 50; i++) a.send(addr(b), 100 + i)
    await until(() => got.length === 50)
    expect(got).toEqual(Array.from({length: 50}, (_, i) => 100 + i))
    expect(a.stats().dropped).toBe(50)
    got.length = 0
    a.faults.set('b', {duplicate: 1})
    for (let i = 0; i < 10; i++) a.send(addr(b), i)
    await until(() => got.length === 20)
    await sleep(30)
    expect(got.length).toBe(20)
    expect([...got].sort((x, y) => x - y)).toEqual(Array.from({length: 10}, (_, i) => [i, i]).flat())
  })

  it('delays delivery by at least delayMs', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    b.onRequest((m) => m)
    expect(await a.request(addr(b), 'warm')).toBe('warm')
    a.faults.set('b', {delayMs: 120, jitterMs: 30})
    const t0 = Date.now()
    expect(await a.request(addr(b), 'slow')).toBe('slow')
    expect(Date.now() - t0).toBeGreaterThanOrEqual(115)
    const got: number[] = []
    b.onMessage(() => got.push(Date.now()))
    const t1 = Date.now()
    a.send(addr(b), 1)
    await until(() => got.length === 1)
    expect(got[0]! - t1).toBeGreaterThanOrEqual(115)
  })

  it('a control client and its node are exempt from faults, even under a * block', async () => {
    const node = await transport({id: 'n1'})
    node.onRequest((m) => m)
    node.faults.set('*', {block: true})
    const cli = await transport({id: 'cli', listen: false, control: true})
    cli.faults.set('*', {block: true})
    expect(await cli.request(addr(node), 'clear please')).toBe('clear please')
    const peer = await transport({id: 'n2'})
    peer.onRequest((m) => m)
    expect((await rejection(node.request(addr(peer), 'x', {timeoutMs: 100}))).code).toBe('TIMEOUT')
  })
})
