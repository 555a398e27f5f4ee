import {spawn, type ChildProcess} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {fillKeys, Reader} from '../../bench/ring-live.js'
import {alive, dtk, jsonlLines, killAllUnder, runJs, tempDir, waitFor} from '../helpers/cli.js'

/**
 * Live rebalancing on real processes (docs/shard.md, "On real processes"; issue 16's "Must
 * show"): five `shard` nodes started by `dtk cluster up --role shard`, 100 000 keys loaded through
 * the KV client (bench/ring-live.ts `fillKeys`: every key exists, unlike `dtk kv load`'s random
 * keys), then a sixth node joins while a reader and a `dtk kv load` run, then a seventh joins and
 * is SIGKILLed in the middle of receiving its first move, and restarted.
 */
const KEYS = 100_000
const NAME = 'live'

type HistoryLine = {process: number; type: 'invoke' | 'ok' | 'fail' | 'info'; f: string; key: string; value: unknown}

const lines = jsonlLines

describe('live rebalancing of a shard cluster on real processes', () => {
  let stateDir: string
  const ref = () => ({name: NAME, stateDir})
  const run = (...args: string[]) => dtk(args, {DTK_STATE_DIR: stateDir}, 120_000)
  const children: ChildProcess[] = []

  /** `dtk kv load` over fresh keys until stopped (SIGINT), writing its history. */
  function startLoad(history: string): {child: ChildProcess; done: Promise<{code: number | null; stdout: string; stderr: string}>; output: () => string} {
    const child = spawn(process.execPath, [runJs, 'kv', 'load', '--name', NAME, '--duration', '300s', '--concurrency', '8', '--keys', '200', '--history', history], {
      env: {...process.env, DTK_STATE_DIR: stateDir, NO_COLOR: '1'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d) => (stdout += d))
    child.stderr!.on('data', (d) => (stderr += d))
    const done = new Promise<{code: number | null; stdout: string; stderr: string}>((resolve) => child.on('close', (code) => resolve({code, stdout, stderr})))
    return {child, done, output: () => `load: ${stdout}${stderr}`}
  }

  /** Keys the load certainly wrote (an ok write or cas), and every key it tried to write. */
  function written(history: string): {certain: Set<string>; tried: Set<string>} {
    const certain = new Set<string>()
    const tried = new Set<string>()
    for (const e of lines<HistoryLine>(history)) {
      if (e.f === 'read') continue
      tried.add(e.key)
      if (e.type === 'ok') certain.add(e.key)
    }
    return {certain, tried}
  }

  type NodeEvent = {ts: number; type: string; node: string; to?: string; sent?: number; keys?: number}
  /** Every node's events (its events.jsonl) since `since` (ms since the epoch). */
  function nodeEvents(since = 0): NodeEvent[] {
    const out: NodeEvent[] = []
    for (const n of ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7']) out.push(...lines<NodeEvent>(join(stateDir, NAME, 'nodes', n, 'events.jsonl')).filter((e) => e.ts >= since))
    return out
  }

  async function verify(): Promise<{code: number | null; report: {ok: boolean; keys: number; misplaced: number; missing: number; stale: number; nodes: Array<{node: string; keys: number; owned: number}>; unreachable: string[]; disagree: string[]}}> {
    const r = await run('ring', 'verify', '--name', NAME, '--json')
    expect(r.stderr).toBe('')
    return {code: r.code, report: JSON.parse(r.stdout)}
  }

  beforeAll(async () => {
    stateDir = tempDir('shardlive')
    const up = await run('cluster', 'up', '--name', NAME, '--nodes', '5', '--role', 'shard', '--profile', 'fast', '--move-rate', '1000')
    expect(up.code, up.stderr).toBe(0)
    const fill = await fillKeys(ref(), {prefix: 'b/', count: KEYS, concurrency: 128})
    expect(fill).toMatchObject({keys: KEYS, failed: 0})
  }, 240_000)

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
    await run('cluster', 'down', '--name', NAME, '--grace', '1s').catch(() => undefined)
    killAllUnder(stateDir)
  })

  it('100 000 keys on five nodes: ring verify counts each node against the ring and finds them clean', async () => {
    const {code, report} = await verify()
    expect(report.nodes).toHaveLength(5)
    expect(report).toMatchObject({ok: true, keys: KEYS, misplaced: 0, missing: 0, stale: 0, unreachable: [], disagree: []})
    // R = 2: every key on exactly its two owners.
    expect(report.nodes.reduce((s, n) => s + n.keys, 0)).toBe(2 * KEYS)
    expect(code).toBe(0)
  })

  it('a shard node runs the membership core: dtk cluster members shows the five as alive', async () => {
    const r = await run('cluster', 'members', '--name', NAME, '--json')
    expect(r.code, r.stderr).toBe(0)
    const view = JSON.parse(r.stdout) as {self: {id: string; state: string}; members: Array<{id: string; state: string}>}
    const all = [view.self, ...view.members].map((m) => `${m.id}:${m.state}`).sort()
    expect(all).toEqual(['n1:alive', 'n2:alive', 'n3:alive', 'n4:alive', 'n5:alive'])
  })

  it('a sixth node joins: the keys that move stream to it, ring verify is clean, a reader running throughout misses nothing, a load across the move is linearizable', async () => {
    const reader = new Reader(ref(), {prefix: 'b/', count: KEYS, concurrency: 4})
    await reader.start()
    const history = join(stateDir, 'join.jsonl')
    const load = startLoad(history)
    await waitFor(() => lines(history).length > 50 && reader.progress.reads > 10, 90_000, 'the load and the reader under way', () => `${load.output()}; ${JSON.stringify(reader.progress)}`)

    const before = Date.now()
    const joined = await run('cluster', 'join', '--name', NAME, '--json')
    expect(joined.code, joined.stderr).toBe(0)
    const res = JSON.parse(joined.stdout) as {joined: Array<{id: string}>; rebalance: {moved: number; moves: number}}
    expect(res.joined.map((j) => j.id)).toEqual(['n6'])

    // Exactly the moving keys went, all of them to n6: the copies the ring now gives it.
    const moves = nodeEvents(before).filter((e) => e.type === 'shard.move.done')
    expect(moves.length).toBeGreaterThan(0)
    expect(moves.filter((e) => e.to !== 'n6')).toEqual([])

    const readsDuringMove = reader.progress.reads
    load.child.kill('SIGINT')
    const l = await load.done
    expect(l.code, l.stderr).toBe(130)
    const reads = await reader.stop()
    expect(readsDuringMove).toBeGreaterThan(10)
    expect(reads.examples).toEqual([])
    expect(reads.misses).toBe(0)

    const {code, report} = await verify()
    expect(report.nodes).toHaveLength(6)
    const n6 = report.nodes.find((n) => n.node === 'n6')!
    expect(n6.keys).toBeGreaterThan(0)
    expect(n6.keys).toBe(n6.owned)
    // What moved to n6 is what it holds of the loaded keys and the load's (it had nothing before).
    expect(res.rebalance.moved).toBeGreaterThanOrEqual(n6.keys - written(history).tried.size)
    const w = written(history)
    expect(report).toMatchObject({ok: true, misplaced: 0, missing: 0, stale: 0, unreachable: [], disagree: []})
    expect(report.keys).toBeGreaterThanOrEqual(KEYS + w.certain.size)
    expect(report.keys).toBeLessThanOrEqual(KEYS + w.tried.size)
    expect(code).toBe(0)

    const check = await run('check', '--model', 'kv', history)
    expect(check.code, check.stdout).toBe(0)
    expect(check.stdout).toMatch(/linearizable \(kv, \d+ operations/)
  }, 240_000)

  it('a seventh node is SIGKILLed in the middle of receiving a move and restarted: the move resumes, nothing is lost, ring verify is clean again', async () => {
    const history = join(stateDir, 'crash.jsonl')
    const load = startLoad(history)
    await waitFor(() => lines(history).length > 50, 90_000, 'the load under way', load.output)
    const before = Date.now()
    const join7 = run('cluster', 'join', '--name', NAME, '--id', 'n7', '--json')
    // Mid-move: n7 has durably acknowledged some batches of a move, and the move is not done.
    await waitFor(
      () => nodeEvents(before).some((e) => e.type === 'shard.move.progress' && e.to === 'n7' && e.sent! < e.keys!),
      60_000,
      'a batch acknowledged by n7',
    )
    // SIGKILL at once (dtk crash would first start a CLI process: the move could end meanwhile).
    const state = JSON.parse(readFileSync(join(stateDir, NAME, 'cluster.json'), 'utf8')) as {nodes: Array<{id: string; pid: number}>}
    process.kill(state.nodes.find((n) => n.id === 'n7')!.pid, 'SIGKILL')
    const atCrash = nodeEvents(before)
    const doneBeforeCrash = atCrash.filter((e) => e.type === 'shard.move.done' && e.to === 'n7').length
    // Moves to n7 were under way when it died: started and not done.
    expect(atCrash.filter((e) => e.type === 'shard.move.start' && e.to === 'n7').length).toBeGreaterThan(doneBeforeCrash)
    await waitFor(() => !alive(state.nodes.find((n) => n.id === 'n7')!.pid), 10_000, 'n7 dead')
    // While n7 is down its keys cannot be counted: ring verify says so and exits 1.
    const down = await run('ring', 'verify', '--name', NAME)
    expect(down.code).toBe(1)
    expect(down.stdout).toMatch(/^NOT clean: .*unreadable: n7/m)
    const restart = await run('restart', 'n7', '--name', NAME)
    expect(restart.code, restart.stderr).toBe(0)

    // The join's own wait ends once every node settled on the ring of seven.
    const joined = await join7
    expect(joined.code, joined.stderr).toBe(0)
    expect(nodeEvents().filter((e) => e.type === 'shard.move.done' && e.to === 'n7').length).toBeGreaterThan(doneBeforeCrash)

    load.child.kill('SIGINT')
    const l = await load.done
    expect(l.code, l.stderr).toBe(130)

    const {code, report} = await verify()
    expect(report.nodes).toHaveLength(7)
    expect(report.nodes.find((n) => n.node === 'n7')!.keys).toBeGreaterThan(0)
    expect(report).toMatchObject({ok: true, misplaced: 0, missing: 0, stale: 0, unreachable: [], disagree: []})
    const w = written(history)
    expect(report.keys).toBeGreaterThanOrEqual(KEYS + w.certain.size)
    expect(code).toBe(0)

    // Every loaded key is still there, with its value: read them all back.
    const reader = new Reader(ref(), {prefix: 'b/', count: KEYS, concurrency: 8})
    await reader.start()
    await waitFor(() => reader.progress.reads >= 2000, 60_000, '2000 reads')
    const reads = await reader.stop()
    expect(reads.examples).toEqual([])
    expect(reads.misses).toBe(0)

    const check = await run('check', '--model', 'kv', history)
    expect(check.code, check.stdout).toBe(0)
  }, 240_000)
})
