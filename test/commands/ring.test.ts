import {spawn, spawnSync} from 'node:child_process'
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {createPlacement, syntheticKey, type Plan} from '../../src/hashring/index.js'
import {dtk, root, runJs, tempDir, waitFor} from '../helpers/cli.js'

const dir = tempDir('ring')
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const keys = Array.from({length: 100_000}, (_, i) => syntheticKey(i))
const keyFile = join(dir, 'keys.txt')
writeFileSync(keyFile, keys.join('\n') + '\n')

/** The built CLI with `input` on stdin. */
function dtkWithInput(args: string[], input: Buffer | string): Promise<{code: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runJs, ...args], {env: {...process.env, NO_COLOR: '1'}, stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stdout, stderr}))
    child.stdin.end(input)
  })
}

describe('dtk ring lookup', () => {
  it('places keys given as arguments as the library does, one line each', async () => {
    const r = await dtk(['ring', 'lookup', 'user:1', 'user:2', 'user:3', '--nodes', 'a,b,c'])
    expect(r.code).toBe(0)
    const p = createPlacement({algo: 'ring', nodes: ['a', 'b', 'c']})
    expect(r.stdout).toBe(['user:1', 'user:2', 'user:3'].map((k) => `${k}\t${p.lookup(k)}\n`).join(''))
  })

  it('streams 100,000 keys from stdin, every answer the library gives, replicas included', async () => {
    const r = await dtkWithInput(['ring', 'lookup', '--nodes', 'a,b,c,d,e', '--algo', 'maglev', '--replicas', '2'], keys.join('\n') + '\n')
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(keys.length)
    const p = createPlacement({algo: 'maglev', nodes: ['a', 'b', 'c', 'd', 'e']})
    const wrong = lines.filter((l, i) => l !== `${keys[i]}\t${p.lookupN(keys[i]!, 2).join(',')}`)
    expect(wrong).toEqual([])
  })

  it('--json streams JSONL, one object per key', async () => {
    const r = await dtkWithInput(['ring', 'lookup', '--nodes', 'a,b,c', '--algo', 'jump', '--json'], 'k1\nk2\r\n\nk3')
    expect(r.code).toBe(0)
    const objs = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l))
    const p = createPlacement({algo: 'jump', nodes: ['a', 'b', 'c']})
    expect(objs).toEqual(['k1', 'k2', 'k3'].map((key) => ({key, node: p.lookup(key), nodes: [p.lookup(key)]})))
  })

  it('ketama mode answers like the npm hashring package', async () => {
    const {default: HashRing} = await import('hashring')
    const servers = ['10.0.0.1:11211', '10.0.0.2:11211', '10.0.0.3:11211']
    const r = await dtkWithInput(['ring', 'lookup', '--nodes', servers.join(','), '--algo', 'ketama'], keys.slice(0, 5000).join('\n'))
    const hr = new HashRing(servers)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(5000)
    expect(lines.filter((l, i) => l !== `${keys[i]}\t${hr.get(keys[i]!)}`)).toEqual([])
  })

  it('stops quietly with exit 0 when the reader goes away (| head), even on endless input', async () => {
    const child = spawn(process.execPath, [runJs, 'ring', 'lookup', '--nodes', 'a,b,c'], {stdio: ['pipe', 'pipe', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    let exit: number | null | undefined
    child.on('close', (code) => (exit = code))
    // An endless producer: writes key batches until the pipe breaks.
    const batch = Buffer.from(keys.slice(0, 1000).join('\n') + '\n')
    let feeding = true
    child.stdin.on('error', () => (feeding = false))
    const feed = () => {
      while (feeding && child.stdin.write(batch));
      if (feeding) child.stdin.once('drain', feed)
    }
    feed()
    let got = ''
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d) => {
        got += d
        if (got.split('\n').length > 5) {
          child.stdout.destroy()
          resolve()
        }
      })
    })
    try {
      await waitFor(() => exit !== undefined, 20_000, 'dtk ring lookup to exit after its reader left')
    } finally {
      feeding = false
      child.kill('SIGKILL')
    }
    expect(exit).toBe(0)
    expect(stderr).toBe('')
  })

  it('answers each line as it arrives, and Ctrl-C (SIGINT) stops it while it waits for more', async () => {
    const child = spawn(process.execPath, [runJs, 'ring', 'lookup', '--nodes', 'a,b'], {stdio: ['pipe', 'pipe', 'pipe']})
    let out = ''
    let ended: {code: number | null; signal: NodeJS.Signals | null} | undefined
    child.stdout.on('data', (d) => (out += d))
    child.on('close', (code, signal) => (ended = {code, signal}))
    try {
      child.stdin.write('k1\n')
      await waitFor(() => out.includes('\n'), 20_000, 'the answer to the first key')
      expect(out).toBe(`k1\t${createPlacement({algo: 'ring', nodes: ['a', 'b']}).lookup('k1')}\n`)
      child.kill('SIGINT')
      await waitFor(() => ended !== undefined, 20_000, 'dtk ring lookup to stop on SIGINT')
    } finally {
      child.kill('SIGKILL')
    }
    // Killed by SIGINT: a shell reports exit status 130.
    expect(ended!.signal === 'SIGINT' || ended!.code === 130).toBe(true)
  })

  it('in a shell pipeline into head: the pipeline succeeds under pipefail, with head lines', () => {
    const r = spawnSync('bash', ['-c', `set -o pipefail; "${process.execPath}" "${runJs}" ring lookup --nodes a,b,c < "${keyFile}" | head -n 3`], {encoding: 'utf8', cwd: root})
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(3)
  })

  const usage: Array<[string, string[], RegExp]> = [
    ['a duplicate node', ['--nodes', 'a,b,a'], /node 'a' is listed twice/],
    ['an empty node name', ['--nodes', 'a,,b'], /empty node name/],
    ['a bad weight', ['--nodes', 'a,b', '--weights', 'a=heavy'], /'a=heavy' is not NODE=WEIGHT/],
    ['a weight for a stranger', ['--nodes', 'a,b', '--weights', 'z=2'], /'z' is not one of the nodes/],
    ['more replicas than nodes', ['--nodes', 'a,b', '--replicas', '3'], /replicas must be from 1 to the number of nodes \(2\), not 3/],
    ['weights with jump', ['--nodes', 'a,b', '--algo', 'jump', '--weights', 'a=2'], /jump hash has no weights/],
    ['an empty slot outside jump', ['--nodes', 'a,~,b'], /only means something for jump/],
  ]
  it(`refuses bad node lists, weights and replicas: exit 2, one line on stderr, nothing on stdout (${usage.length} cases)`, async () => {
    const results = await Promise.all(usage.map(([, args]) => dtk(['ring', 'lookup', 'k', ...args])))
    expect(results).toHaveLength(usage.length)
    results.forEach((r, i) => {
      const [what, , message] = usage[i]!
      expect(r.code, what).toBe(2)
      expect(r.stdout, what).toBe('')
      expect(r.stderr.trim().split('\n'), what).toHaveLength(1)
      expect(r.stderr, what).toMatch(message)
    })
  })
})

describe('dtk ring stats', () => {
  it('counts keys per node: a plain table in a pipe, and --json with the same figures', async () => {
    const r = await dtk(['ring', 'stats', '--nodes', 'a,b,c,d', '--key-file', keyFile])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^ring, 4 nodes, 100,000 keys/)
    expect(r.stdout).not.toMatch(/█|\u001b/)
    const j = await dtk(['ring', 'stats', '--nodes', 'a,b,c,d', '--key-file', keyFile, '--json'])
    const s = JSON.parse(j.stdout)
    expect(s.nodes).toHaveLength(4)
    expect(s.nodes.reduce((a: number, n: {keys: number}) => a + n.keys, 0)).toBe(100_000)
    const p = createPlacement({algo: 'ring', nodes: ['a', 'b', 'c', 'd']})
    const onA = keys.filter((k) => p.lookup(k) === 'a').length
    expect(s.nodes[0]).toMatchObject({node: 'a', keys: onA})
    expect(s.maxOverMean).toBeCloseTo(Math.max(...s.nodes.map((n: {keys: number}) => n.keys)) / 25_000, 9)
    for (const n of s.nodes) expect(r.stdout).toMatch(new RegExp(`^${n.node}\\s+${n.keys}\\s`, 'm'))
  })

  it('draws bars on a terminal, in colour unless NO_COLOR is set', () => {
    const cmd = `"${process.execPath}" "${runJs}" ring stats --nodes a,b,c --keys 3000`
    const tty = (env: NodeJS.ProcessEnv) => spawnSync('script', ['-qec', cmd, '/dev/null'], {encoding: 'utf8', env: {...process.env, ...env}})
    const plain = tty({NO_COLOR: '1'})
    expect(plain.status).toBe(0)
    expect(plain.stdout).toMatch(/█/)
    expect(plain.stdout).not.toMatch(/\u001b\[/)
    const env = {...process.env}
    delete env.NO_COLOR
    const coloured = spawnSync('script', ['-qec', cmd, '/dev/null'], {encoding: 'utf8', env})
    expect(coloured.stdout).toMatch(/\u001b\[1mNODE/)
  })

  it('says clearly when the key file is missing', async () => {
    const r = await dtk(['ring', 'stats', '--nodes', 'a,b', '--key-file', join(dir, 'nope.txt')])
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toMatch(/--key-file .*nope\.txt: no such file$/)
  })
})

describe('dtk ring plan predicts exactly what lookup shows before and after', () => {
  const lookups = async (nodes: string, algo: string) => {
    const r = await dtkWithInput(['ring', 'lookup', '--nodes', nodes, '--algo', algo, '--replicas', '2'], keys.slice(0, 20_000).join('\n') + '\n')
    expect(r.code).toBe(0)
    return r.stdout.trimEnd().split('\n').map((l) => l.split('\t') as [string, string])
  }
  const smallFile = join(dir, 'keys-20k.txt')
  writeFileSync(smallFile, keys.slice(0, 20_000).join('\n') + '\n')
  const cases: Array<[string, string, string]> = [
    ['ring', 'a,b,c', 'a,b,c,d'],
    ['ketama', 'a,b,c,d', 'a,c,d'],
    ['jump', 'a,b,c,d', 'a,~,c,d'],
    ['rendezvous', 'a,b,c', 'a,b,x'],
    ['maglev', 'a,b,c', 'a,b,c,d,e'],
    ['bounded', 'a,b,c,d', 'a,b,c'],
  ]
  for (const [algo, from, to] of cases) {
    it(`${algo}: ${from} -> ${to}`, async () => {
      const r = await dtk(['ring', 'plan', '--from', from, '--to', to, '--algo', algo, '--replicas', '2', '--key-file', smallFile, '--json'])
      expect(r.code).toBe(0)
      const plan = JSON.parse(r.stdout) as Plan
      const [before, after] = await Promise.all([lookups(from, algo), lookups(to, algo)])
      const want = before.flatMap(([k, x], i) => {
        const y = after[i]![1]
        const xs = x.split(',')
        const ys = y.split(',')
        return xs.every((n) => ys.includes(n)) ? [] : [{key: k, from: xs, to: ys}]
      })
      expect(want.length).toBeGreaterThan(0)
      expect(plan.moved).toBe(want.length)
      expect(plan.movedKeys).toEqual(want)
    })
  }

  it('prints moved keys by (from -> to) pair against the ideal, and the ranges for a ring', async () => {
    const r = await dtk(['ring', 'plan', '--from', 'a,b,c', '--to', 'a,b,c,d', '--keys', '10000'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/Moved [\d,]+ of 10,000 keys .*the fewest any placement must move is 2,500 keys/)
    expect(r.stdout).toMatch(/^FROM\s+TO\s+KEYS$/m)
    expect(r.stdout).toMatch(/Hash ranges that change hands: \d+ arcs/)
  })

  it('explains how to remove a middle node from jump without renumbering', async () => {
    const r = await dtk(['ring', 'plan', '--from', 'a,b,c', '--to', 'a,c', '--algo', 'jump', '--keys', '1000'])
    expect(r.stdout).toMatch(/--to a,~,c keeps every surviving node in its bucket/)
  })
})

describe('dtk ring compare', () => {
  it('puts every algorithm side by side with balance, movement, speed and memory', async () => {
    const r = await dtk(['ring', 'compare', '--nodes', '8', '--keys', '20000', '--json'])
    expect(r.code).toBe(0)
    const {rows, nodes} = JSON.parse(r.stdout)
    expect(nodes).toHaveLength(8)
    expect(rows.map((x: {algo: string}) => x.algo)).toEqual(['ring', 'ketama', 'jump', 'rendezvous', 'maglev', 'bounded'])
    for (const x of rows) {
      expect(x.joinIdeal).toBeCloseTo(20_000 / 9, 6)
      expect(x.leaveIdeal).toBeCloseTo(20_000 / 8, 6)
      expect(x.joinMoved).toBeGreaterThan(0)
      expect(x.lookupsPerSecond).toBeGreaterThan(0)
      expect(x.maxOverMean).toBeGreaterThanOrEqual(1)
    }
    const bounded = rows.find((x: {algo: string}) => x.algo === 'bounded')
    expect(bounded.maxOverMean).toBeLessThanOrEqual(1.25)
    const text = await dtk(['ring', 'compare', '--nodes', 'a,b,c', '--keys', '3000', '--algos', 'jump,maglev'])
    expect(text.stdout).toMatch(/^ALGO\s+MAX\/MEAN/m)
    expect(text.stdout.match(/^(jump|maglev)\s/gm)).toHaveLength(2)
  })
})
