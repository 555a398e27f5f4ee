import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {createPlacement, LookupLines, normalizeConfig, parseNodeList, parseWeights} from '../../src/hashring/index.js'

function run(input: Buffer, cuts: number[], opts: {replicas: number; json: boolean}, algo: 'ring' | 'bounded' = 'ring'): string {
  const p = createPlacement({algo, nodes: ['a', 'b', 'c', 'node-d']})
  const t = new LookupLines(p, opts)
  const out: Buffer[] = []
  let s = 0
  for (const c of [...cuts.sort((x, y) => x - y), input.length]) {
    out.push(...t.push(input.subarray(s, c)))
    s = c
  }
  out.push(...t.end())
  return Buffer.concat(out).toString()
}

describe("dtk ring lookup's line stream", () => {
  it('gives the same output however the input is cut into chunks, and agrees with lookupN', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({unit: 'grapheme', minLength: 1, maxLength: 30}).filter((k) => !/[\r\n]/.test(k)), {minLength: 1, maxLength: 40}),
        fc.array(fc.nat(2000), {maxLength: 6}),
        fc.boolean(),
        fc.integer({min: 1, max: 4}),
        (keys, cuts, json, replicas) => {
          const input = Buffer.from(keys.join('\n') + '\n')
          const whole = run(input, [], {replicas, json})
          expect(run(input, cuts.map((c) => c % input.length), {replicas, json})).toBe(whole)
          const p = createPlacement({algo: 'ring', nodes: ['a', 'b', 'c', 'node-d']})
          const want = keys.map((k) => (json ? JSON.stringify({key: k, node: p.lookup(k), nodes: p.lookupN(k, replicas)}) : `${k}\t${p.lookupN(k, replicas).join(',')}`))
          expect(whole).toBe(want.join('\n') + '\n')
        },
      ),
      {seed: 6, numRuns: 150},
    )
  })

  it('drops a trailing CR, skips empty lines, and reads a last line without a newline', () => {
    const p = createPlacement({algo: 'ring', nodes: ['a', 'b', 'c', 'node-d']})
    const out = run(Buffer.from('k1\r\n\n\r\nk2\nk3'), [], {replicas: 1, json: false})
    expect(out).toBe(`k1\t${p.lookup('k1')}\nk2\t${p.lookup('k2')}\nk3\t${p.lookup('k3')}\n`)
  })

  it('escapes keys for JSON (quotes, backslashes, control characters, non-ASCII)', () => {
    const keys = ['say "hi"', 'back\\slash', 'tab\there', 'héllo wörld', '日本']
    const lines = run(Buffer.from(keys.join('\n')), [3, 9], {replicas: 2, json: true}).trim().split('\n')
    expect(lines.map((l) => JSON.parse(l).key)).toEqual(keys)
  })

  it('bounded loads through the stream places keys in arrival order, like lookup', () => {
    const keys = Array.from({length: 500}, (_, i) => `k${i}`)
    const out = run(Buffer.from(keys.join('\n')), [100, 1000], {replicas: 1, json: false}, 'bounded')
    const p = createPlacement({algo: 'bounded', nodes: ['a', 'b', 'c', 'node-d']})
    expect(out).toBe(keys.map((k) => `${k}\t${p.lookup(k)}\n`).join(''))
  })

  it('refuses a line longer than the limit instead of buffering it', () => {
    const p = createPlacement({algo: 'ring', nodes: ['a']})
    const t = new LookupLines(p, {replicas: 1, json: false, maxLine: 100})
    expect(() => t.push(Buffer.alloc(500, 97))).toThrow(/line 1 is longer than 100 bytes/)
  })
})

describe('configs and node lists are checked, with one clear reason', () => {
  it('node lists: empty names, duplicates, bad characters', () => {
    expect(() => parseNodeList('')).toThrow(/empty node name/)
    expect(() => parseNodeList('a,,b')).toThrow(/empty node name/)
    expect(() => parseNodeList('a,b,a')).toThrow(/'a' is listed twice/)
    expect(() => parseNodeList('a,b c')).toThrow(/bad node name 'b c'/)
    expect(parseNodeList('a,~,c')).toEqual(['a', null, 'c'])
  })
  it('weights: syntax, unknown nodes, non-positive values', () => {
    expect(parseWeights('a=2,b=0.5', ['a', 'b'])).toEqual({a: 2, b: 0.5})
    expect(() => parseWeights('a2', ['a'])).toThrow(/not NODE=WEIGHT/)
    expect(() => parseWeights('z=2', ['a'])).toThrow(/'z' is not one of the nodes/)
    expect(() => parseWeights('a=0', ['a'])).toThrow(/must be > 0/)
    expect(() => parseWeights('a=1,a=2', ['a'])).toThrow(/two weights/)
  })
  it('algorithm-specific rules: jump has no weights, holes only in jump, maglev needs a prime', () => {
    expect(() => normalizeConfig({algo: 'jump', nodes: ['a', 'b'], weights: {a: 2}})).toThrow(/jump hash has no weights/)
    expect(() => normalizeConfig({algo: 'ring', nodes: ['a', null]})).toThrow(/only means something for jump/)
    expect(() => normalizeConfig({algo: 'jump', nodes: [null]})).toThrow(/every slot is empty/)
    expect(() => normalizeConfig({algo: 'maglev', nodes: ['a'], tableSize: 65536})).toThrow(/must be a prime/)
    expect(() => normalizeConfig({algo: 'maglev', nodes: ['a', 'b', 'c'], tableSize: 3})).toThrow(/larger than the number of nodes/)
    expect(() => normalizeConfig({algo: 'bogus' as 'ring', nodes: ['a']})).toThrow(/unknown algorithm/)
  })
})
