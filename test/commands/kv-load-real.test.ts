import {spawn} from 'node:child_process'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {dtk, jsonlLines, killAllUnder, runJs, tempDir, upOnLowPorts, waitFor} from '../helpers/cli.js'

type Event = {process: number; type: 'invoke' | 'ok' | 'fail' | 'info'; f: string; key: string; value: unknown; time: number}

/** Only whole lines: the load may be writing the next batch. */
const events = (file: string): Event[] => jsonlLines<Event>(file)

/**
 * `dtk kv` against a real `kv-local` node (the kv core on the node host, writes fsync'd before
 * the reply): what the docs (docs/kv.md, docs/tutorials/checking-histories.md §6) show.
 */
describe('dtk kv against a real kv-local cluster', () => {
  let stateDir: string
  const run = (...args: string[]) => dtk(args, {DTK_STATE_DIR: stateDir})

  beforeAll(async () => {
    stateDir = tempDir('kvreal')
    // A port below the kernel's ephemeral range: nothing else takes it between a crash and the restart.
    const up = await upOnLowPorts(run, '--name', 'kv', '--nodes', '1', '--role', 'kv-local')
    expect(up.code, up.stderr).toBe(0)
  })
  afterAll(async () => {
    await run('cluster', 'down', '--name', 'kv', '--grace', '1s').catch(() => undefined)
    killAllUnder(stateDir)
  })

  it('put, get, cas and del go through the node and its durable core', async () => {
    expect(await run('kv', 'put', 'a', '{"n":1}', '--name', 'kv')).toMatchObject({code: 0, stdout: 'ok\n'})
    expect(await run('kv', 'get', 'a', '--name', 'kv')).toMatchObject({code: 0, stdout: '{"n":1}\n'})
    expect(await run('kv', 'cas', 'a', '{"n":1}', '2', '--name', 'kv')).toMatchObject({code: 0, stdout: 'ok\n'})
    expect(await run('kv', 'cas', 'a', '{"n":1}', '3', '--name', 'kv')).toMatchObject({code: 1, stdout: 'mismatch: a holds 2, not {"n":1}; nothing changed\n'})
    expect(await run('kv', 'del', 'a', '--name', 'kv')).toMatchObject({code: 0, stdout: 'deleted\n'})
    const gone = await run('kv', 'get', 'a', '--name', 'kv', '--json')
    expect(gone.code).toBe(1)
    expect(JSON.parse(gone.stdout)).toMatchObject({outcome: 'ok', found: false, node: 'n1'})
  })

  it('dtk kv load against kv-local writes a history that dtk check finds linearizable', async () => {
    const h = join(stateDir, 'load.jsonl')
    const r = await run('kv', 'load', '--name', 'kv', '--ops', '3000', '--concurrency', '16', '--keys', '8', '--history', h)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^3000 operations in .*\nok \d+, fail \d+, info 0/)
    const ev = events(h)
    expect(ev).toHaveLength(6000)
    expect(ev.filter((e) => e.type === 'ok').length).toBeGreaterThan(2000)
    const c = await run('check', h)
    expect(c.code, c.stdout).toBe(0)
    expect(c.stdout).toMatch(/linearizable \(kv, 3000 operations, 8 keys/)
  })

  it('SIGKILL and restart of the node in the middle of a load: info operations around the crash, and the history stays linearizable', async () => {
    const h = join(stateDir, 'crash.jsonl')
    const load = spawn(process.execPath, [runJs, 'kv', 'load', '--name', 'kv', '--duration', '120s', '--concurrency', '8', '--keys', '8', '--history', h], {
      env: {...process.env, DTK_STATE_DIR: stateDir, NO_COLOR: '1'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    let stdout = ''
    load.stdout.on('data', (d) => (stdout += d))
    load.stderr.on('data', (d) => (stderr += d))
    const exited = new Promise<number | null>((r) => load.on('close', (code) => r(code)))
    try {
      await waitFor(() => events(h).filter((e) => e.type === 'ok').length >= 500, 60_000, 'the load to be under way', () => stderr)
      const crash = await run('crash', 'n1', '--name', 'kv')
      expect(crash.code, crash.stderr).toBe(0)
      const atCrash = events(h).length
      const restart = await run('restart', 'n1', '--name', 'kv')
      expect(restart.code, restart.stderr).toBe(0)
      // Operations complete again after the restart.
      await waitFor(() => events(h).slice(atCrash).filter((e) => e.type === 'ok').length >= 500, 60_000, 'operations to complete after the restart', () => stderr)
      load.kill('SIGINT')
      expect(await exited, stderr).toBe(130)
    } finally {
      load.kill('SIGKILL')
    }
    const ev = events(h)
    const infos = ev.filter((e) => e.type === 'info')
    expect(infos.length, stdout).toBeGreaterThan(0)
    // Each worker whose operation was cut off by the crash went on as a new process.
    expect(new Set(ev.map((e) => e.process)).size).toBe(8 + infos.length)
    for (const i of infos) expect(ev.filter((e) => e.process === i.process).at(-1)).toBe(i)
    const c = await run('check', h, '--timeout', '60s')
    expect(c.code, c.stdout).toBe(0)
    expect(c.stdout).toMatch(/: linearizable \(kv, \d+ operations, 8 keys/)
  })
})
