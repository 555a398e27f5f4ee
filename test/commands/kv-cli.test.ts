import {spawn} from 'node:child_process'
import {readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {Transport} from '../../src/transport/index.js'
import {dtk, runJs, tempDir, waitFor} from '../helpers/cli.js'
import {KvDouble, recordCluster} from '../kvclient/helpers/kv-server.js'

/**
 * `dtk kv get|put|cas|del|load` through the built CLI, against test doubles of KV-serving nodes
 * (test/kvclient/helpers/kv-server.ts: a real transport endpoint serving the client contract
 * with a real KvCore), recorded as clusters in a temporary state dir.
 */
describe('dtk kv against a node that serves the client contract', () => {
  let stateDir: string
  const doubles: Array<{close(): Promise<void>}> = []
  let n1: KvDouble
  const run = (...args: string[]) => dtk(args, {DTK_STATE_DIR: stateDir})

  beforeAll(async () => {
    stateDir = tempDir('kvcli')
    n1 = await KvDouble.start({id: 'n1'})
    const stale = await KvDouble.start({id: 'n1', staleReadsMs: 50})
    const silent = await KvDouble.start({id: 'n1', drop: () => true})
    const r1 = await KvDouble.start({id: 'n1', redirectTo: 'n2'})
    const r2 = await KvDouble.start({id: 'n2'})
    const lost = await KvDouble.start({id: 'n1', redirectTo: 'n9'})
    const echo = await Transport.listen({id: 'n1'})
    echo.onRequest(() => ({id: 'n1', role: 'echo', roleStatus: {}}))
    doubles.push(n1, stale, silent, r1, r2, lost, echo)
    recordCluster(stateDir, 'default', [n1])
    recordCluster(stateDir, 'stale', [stale])
    recordCluster(stateDir, 'silent', [silent])
    recordCluster(stateDir, 'redirect', [r1, r2])
    recordCluster(stateDir, 'lost', [lost])
    recordCluster(stateDir, 'echo', [{id: 'n1', address: echo.address}], 'echo')
  })
  afterAll(async () => {
    await Promise.all(doubles.map((d) => d.close()))
    rmSync(stateDir, {recursive: true, force: true})
  })

  it('put prints ok; get prints the value as JSON; values are JSON when they parse, strings otherwise', async () => {
    expect(await run('kv', 'put', 'a', '{"x":[1,2]}')).toMatchObject({code: 0, stdout: 'ok\n'})
    expect(await run('kv', 'get', 'a')).toMatchObject({code: 0, stdout: '{"x":[1,2]}\n'})
    expect((await run('kv', 'put', 'b', 'hello')).code).toBe(0)
    expect((await run('kv', 'get', 'b')).stdout).toBe('"hello"\n')
    expect((await run('kv', 'put', 'c', '3', '--string')).code).toBe(0)
    expect(n1.core.get('c')).toBe('3')
    expect(n1.core.get('a')).toEqual({x: [1, 2]})
  })

  it('get of an absent key: nothing on stdout, "not found" on stderr, exit 1; --json says found false', async () => {
    const r = await run('kv', 'get', 'nope')
    expect(r).toMatchObject({code: 1, stdout: ''})
    expect(r.stderr).toMatch(/nope: not found/)
    const j = await run('kv', 'get', 'nope', '--json')
    expect(j.code).toBe(1)
    expect(JSON.parse(j.stdout)).toMatchObject({op: 'get', key: 'nope', outcome: 'ok', found: false, value: null, node: 'n1'})
  })

  it('cas: ok when the key held EXPECTED; otherwise exit 1 and what it found; null expects absence', async () => {
    await run('kv', 'put', 'n', '3')
    expect(await run('kv', 'cas', 'n', '3', '4')).toMatchObject({code: 0, stdout: 'ok\n'})
    const miss = await run('kv', 'cas', 'n', '3', '5')
    expect(miss.code).toBe(1)
    expect(miss.stdout).toBe('mismatch: n holds 4, not 3; nothing changed\n')
    expect(n1.core.get('n')).toBe(4)
    const j = await run('kv', 'cas', 'fresh', 'null', '1', '--json')
    expect(j.code).toBe(0)
    expect(JSON.parse(j.stdout)).toMatchObject({op: 'cas', key: 'fresh', outcome: 'ok', expected: null, value: 1})
    const absent = await run('kv', 'cas', 'ghost', '1', '2', '--json')
    expect(absent.code).toBe(1)
    expect(JSON.parse(absent.stdout)).toMatchObject({outcome: 'fail', error: 'mismatch', value: null})
  })

  it('del: "deleted" when the key was there, "absent" when not, exit 0 both times', async () => {
    await run('kv', 'put', 'd', '1')
    expect(await run('kv', 'del', 'd')).toMatchObject({code: 0, stdout: 'deleted\n'})
    expect(await run('kv', 'del', 'd')).toMatchObject({code: 0, stdout: 'absent\n'})
    expect(n1.core.get('d')).toBe(null)
  })

  it('usage errors exit 2 before anything is sent', async () => {
    const before = n1.seen.length
    for (const args of [
      ['kv', 'put', 'a', 'null'],
      ['kv', 'put', 'k'.repeat(300), '1'],
      ['kv', 'get', 'a', '--node', 'n4'],
      ['kv', 'get', 'a', '--name', 'missing'],
      ['kv', 'get', 'a', '--timeout', 'soon'],
      ['kv', 'get'],
      ['kv', 'load', '--read-ratio', '2'],
      ['kv', 'load', '--read-ratio', '0.6', '--cas-ratio', '0.6'],
      ['kv', 'load', '--concurrency', '0'],
    ]) {
      const r = await run(...args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stdout, args.join(' ')).toBe('')
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1)
    }
    expect(n1.seen.length).toBe(before)
    expect((await run('kv', 'put', 'a', 'null')).stderr).toMatch(/null means "absent"/)
    expect((await run('kv', 'get', 'a', '--node', 'n4')).stderr).toMatch(/unknown node 'n4'/)
  })

  it('a cluster whose role serves no KV clients is refused with exit 2', async () => {
    const r = await run('kv', 'get', 'a', '--name', 'echo')
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/runs role 'echo', which serves no KV clients/)
  })

  it('an answer that does not come: exit 1, saying the write may or may not have taken effect', async () => {
    const r = await run('kv', 'put', 'a', '1', '--name', 'silent', '--timeout', '300ms')
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/put a: outcome unknown \(timeout at n1\): it may or may not have taken effect/)
    const j = await run('kv', 'put', 'a', '1', '--name', 'silent', '--timeout', '300ms', '--json')
    expect(j.code).toBe(1)
    expect(JSON.parse(j.stdout)).toMatchObject({outcome: 'info', error: 'timeout'})
  })

  it('follows a redirect to the node named, and says so in --json', async () => {
    const r = await run('kv', 'put', 'a', '7', '--name', 'redirect', '--node', 'n1', '--json')
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({outcome: 'ok', node: 'n2', redirects: 1})
  })

  it('a redirect to a node the cluster does not have: exit 1, it did not take effect', async () => {
    const r = await run('kv', 'put', 'a', '7', '--name', 'lost')
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/put a: failed \(not-leader at n9\): it did not take effect; redirected to 'n9'/)
  })

  it('kv load writes a history that dtk check finds linearizable', async () => {
    const h = join(stateDir, 'h.jsonl')
    const r = await run('kv', 'load', '--ops', '2000', '--concurrency', '8', '--keys', '8', '--history', h)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^2000 operations in [\d.]+ s: \d+ ops\/s \(node n1\)\nok \d+, fail \d+, info 0.*\nlatency p50 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms\nhistory: .*h\.jsonl \(4000 events, 8 keys, 8 processes\)\n$/)
    const lines = readFileSync(h, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines).toHaveLength(4000)
    expect(Object.keys(lines[0]!)).toEqual(['process', 'type', 'f', 'key', 'value', 'time'])
    expect(new Set(lines.map((l) => l.f))).toEqual(new Set(['read', 'write', 'cas']))
    const c = await run('check', h)
    expect(c.code, c.stdout + c.stderr).toBe(0)
    expect(c.stdout).toMatch(/linearizable \(kv, 2000 operations, 8 keys/)
  })

  it('kv load against a server that serves stale reads: dtk check says not linearizable (exit 1)', async () => {
    const h = join(stateDir, 'stale.jsonl')
    const r = await run('kv', 'load', '--name', 'stale', '--ops', '3000', '--keys', '4', '--cas-ratio', '0.1', '--history', h)
    expect(r.code, r.stderr).toBe(0)
    const c = await run('check', h)
    expect(c.code, c.stdout).toBe(1)
    expect(c.stdout).toMatch(/not linearizable/)
    expect(c.stdout).toMatch(/read → (\d+|null) by process \d+ .* cannot be placed/)
  })

  it('kv load --json prints one document with the summary', async () => {
    const r = await run('kv', 'load', '--ops', '300', '--concurrency', '4', '--json')
    expect(r.code, r.stderr).toBe(0)
    const s = JSON.parse(r.stdout)
    expect(s).toMatchObject({invoked: 300, completed: 300, pending: 0, info: 0, history: null, events: 0, nodes: ['n1'], interrupted: false})
    expect(s.ok + s.fail).toBe(300)
    expect(s.latencyMs.p99).toBeGreaterThanOrEqual(s.latencyMs.p50)
  })

  it('Ctrl-C stops the load, keeps the history valid (in-flight operations are invokes without completion) and exits 130', async () => {
    const h = join(stateDir, 'int.jsonl')
    const before = n1.seen.length
    const child = spawn(process.execPath, [runJs, 'kv', 'load', '--duration', '60s', '--concurrency', '8', '--history', h], {env: {...process.env, DTK_STATE_DIR: stateDir, NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)))
    try {
      await waitFor(() => n1.seen.length - before >= 2000, 60_000, 'the load to be under way', () => stderr)
      child.kill('SIGINT')
      expect(await exited).toBe(130)
    } finally {
      child.kill('SIGKILL')
    }
    expect(stderr).toMatch(/interrupted: stopped after \d+ operations; \d+ in flight are invokes without completion/)
    expect(stdout).toMatch(/operations in/)
    const lines = readFileSync(h, 'utf8').split('\n')
    expect(lines.at(-1)).toBe('')
    const events = lines.slice(0, -1).map((l) => JSON.parse(l) as {type: string})
    const invokes = events.filter((e) => e.type === 'invoke').length
    expect(invokes).toBeGreaterThanOrEqual(2000)
    expect(events.length - invokes).toBeLessThanOrEqual(invokes)
    const c = await run('check', h)
    expect(c.code, c.stdout).toBe(0)
  })
})
