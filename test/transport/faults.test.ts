import {describe, expect, it} from 'vitest'
import {FaultController} from '../../src/transport/index.js'

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

describe('FaultController for streams', () => {
  it('a cut is block; drop becomes a break verdict; duplicate does not apply; delay and jitter do', () => {
    const f = new FaultController(5)
    expect([f.isCut('b'), f.streamDelay('b')]).toEqual([false, 0])
    f.set('b', {block: true})
    expect(f.isCut('b')).toBe(true)
    expect(f.isCut('c')).toBe(false)
    f.set('*', {drop: 1})
    expect(f.streamDelay('c')).toBe(-1)
    f.clear()
    f.set('b', {duplicate: 1, delayMs: 7})
    expect(Array.from({length: 20}, () => f.streamDelay('b'))).toEqual(Array(20).fill(7))
    f.set('b', {jitterMs: 10})
    const ds = Array.from({length: 200}, () => f.streamDelay('b'))
    expect(ds).toHaveLength(200)
    expect(ds.every((d) => d >= 7 && d < 17)).toBe(true)
    f.set('b', {drop: 0.5})
    const breaks = Array.from({length: 400}, () => f.streamDelay('b')).filter((d) => d === -1).length
    expect(breaks).toBeGreaterThan(120)
    expect(breaks).toBeLessThan(280)
  })

  it('tells listeners about every set and clear, until unsubscribed', () => {
    const f = new FaultController(1)
    let n = 0
    const off = f.onChange(() => n++)
    f.set('b', {block: true})
    f.clear('b')
    f.clear()
    expect(n).toBe(3)
    off()
    f.set('b', {drop: 1})
    expect(n).toBe(3)
  })
})
