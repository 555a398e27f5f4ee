import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {spawn} from 'node:child_process'
import {alive, dtk, killAllUnder, processesMentioning, recordedPids, runJs, tempDir, upOnLowPorts, waitFor} from '../helpers/cli.js'

/**
 * The foundation's story, told through the built CLI on real processes and ports:
 * up -> status -> crash -> restart -> partition -> heal -> down, with nothing left running.
 */
describe('a local cluster driven through the CLI', () => {
  let stateDir: string
  const run = (...args: string[]) => dtk(args, {DTK_STATE_DIR: stateDir})
  const json = async <T>(...args: string[]): Promise<T> => {
    const r = await run(...args, '--json')
    expect(r.code, r.stderr).toBe(0)
    return JSON.parse(r.stdout) as T
  }
  type View = {id: string; pid: number | null; state: string; port: number}
  // Requests expected to succeed get a generous timeout: on a loaded machine the default 1 s can
  // pass before a healthy node answers. Requests expected to time out keep short ones.
  const reaches = async (from: string, to: string) => (await json<{ok: boolean}>('cluster', 'ping', from, to, '--timeout', '10s')).ok

  beforeAll(() => {
    stateDir = tempDir('lifecycle')
  })
  afterAll(async () => {
    await run('cluster', 'down', '--grace', '1s').catch(() => undefined)
    killAllUnder(stateDir)
  })

  it('starts five nodes that all answer, and status shows them up', async () => {
    // Ports below the kernel's ephemeral range: nothing else takes a crashed node's port before its restart.
    const up = await upOnLowPorts(run, '--nodes', '5')
    expect(up.code, up.stderr).toBe(0)
    expect(up.stdout).toMatch(/n5/)
    const st = await json<{nodes: View[]}>('cluster', 'status')
    expect(st.nodes.map((n) => n.state)).toEqual(['up', 'up', 'up', 'up', 'up'])
    for (const n of st.nodes) expect(alive(n.pid!)).toBe(true)
  })

  it('refuses to start a second cluster under a running name', async () => {
    const again = await run('cluster', 'up', '--nodes', '2')
    expect(again.code).toBe(2)
    expect(again.stderr).toMatch(/already running/)
    expect(recordedPids(stateDir)).toHaveLength(5)
  })

  it('crash kills the process: status shows it down and its pid is gone', async () => {
    const before = await json<{nodes: View[]}>('cluster', 'status')
    const pid = before.nodes.find((n) => n.id === 'n3')!.pid!
    expect(alive(pid)).toBe(true)
    const c = await run('crash', 'n3')
    expect(c.code, c.stderr).toBe(0)
    expect(c.stdout).toMatch(/crashed n3/)
    expect(alive(pid)).toBe(false)
    const after = await json<{nodes: View[]}>('cluster', 'status')
    expect(after.nodes.find((n) => n.id === 'n3')).toMatchObject({state: 'down', pid: null})
    const ping = await run('cluster', 'ping', 'n1', 'n3', '--timeout', '500ms')
    expect(ping.code).toBe(1)
  })

  it('restart brings the node back on the same port', async () => {
    const before = await json<{nodes: View[]}>('cluster', 'status')
    const r = await json<{node: string; port: number; pid: number}>('restart', 'n3')
    expect(r.port).toBe(before.nodes.find((n) => n.id === 'n3')!.port)
    const st = await json<{nodes: View[]}>('cluster', 'status')
    expect(st.nodes.find((n) => n.id === 'n3')!.state).toBe('up')
    expect(await reaches('n1', 'n3')).toBe(true)
  })

  it('pause shows the node paused and requests to it time out; resume answers again', async () => {
    expect((await run('pause', 'n2')).code).toBe(0)
    const st = await json<{nodes: View[]}>('cluster', 'status')
    expect(st.nodes.find((n) => n.id === 'n2')!.state).toBe('paused')
    const ping = await run('cluster', 'ping', 'n1', 'n2', '--timeout', '300ms', '--json')
    expect(ping.code).toBe(1)
    expect(JSON.parse(ping.stdout)).toMatchObject({ok: false, code: 'TIMEOUT'})
    expect((await run('resume', 'n2')).code).toBe(0)
    expect(await reaches('n1', 'n2')).toBe(true)
  })

  it('a partition makes requests across the cut time out while those inside a side succeed; heal restores them', async () => {
    const p = await run('partition', 'n1,n2', 'n3,n4,n5')
    expect(p.code, p.stderr).toBe(0)
    const across = await run('cluster', 'ping', 'n1', 'n4', '--timeout', '400ms', '--json')
    expect(across.code).toBe(1)
    expect(JSON.parse(across.stdout)).toMatchObject({ok: false, code: 'TIMEOUT'})
    expect(await reaches('n1', 'n2')).toBe(true)
    expect(await reaches('n3', 'n5')).toBe(true)
    // A restarted node comes back into the same partition: restarting a process does not heal a network.
    await json('restart', 'n4')
    expect((await run('cluster', 'ping', 'n4', 'n1', '--timeout', '300ms')).code).toBe(1)
    expect((await run('heal')).code).toBe(0)
    expect(await reaches('n1', 'n4')).toBe(true)
  })

  it('message delay set with faults shows up in the round trip, and clear removes it', async () => {
    expect((await run('faults', 'set', '--delay', '60ms', '--from', 'n1', '--to', 'n2')).code).toBe(0)
    const slow = await json<{ok: boolean; rttMs: number}>('cluster', 'ping', 'n1', 'n2', '--timeout', '10s')
    expect(slow.ok).toBe(true)
    expect(slow.rttMs).toBeGreaterThanOrEqual(55)
    const shown = await json<{rules: Record<string, Record<string, {delayMs?: number}>>}>('faults', 'show')
    expect(shown.rules.n1!.n2!.delayMs).toBe(60)
    expect((await run('faults', 'clear')).code).toBe(0)
    expect((await json<{rules: object}>('faults', 'show')).rules).toEqual({})
  })

  it('events merge every node and record what dtk did', async () => {
    const r = await run('cluster', 'events', '--json')
    expect(r.code, r.stderr).toBe(0)
    const evs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as {ts: number; node: string; type: string; target?: string})
    const types = evs.map((e) => `${e.node}:${e.type}`)
    expect(types).toContain('dtk:fault.crash')
    expect(types).toContain('dtk:fault.partition')
    expect(types).toContain('n3:node.start')
    expect(evs.filter((e) => e.type === 'node.start' && e.node === 'n3').length).toBe(2)
    const ts = evs.map((e) => e.ts)
    expect([...ts].sort((a, b) => a - b)).toEqual(ts)
  })

  it('events --follow streams new events as JSONL until interrupted', async () => {
    const child = spawn(process.execPath, [runJs, 'cluster', 'events', '--follow', '--json'], {env: {...process.env, DTK_STATE_DIR: stateDir}, stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    // Up to a CLI call's limit (dtk() gives one 60 s): on a loaded machine starting a command takes seconds.
    const seen = () => `stdout ${out.length} bytes, stderr: ${err.trim() || '(empty)'}`
    try {
      await waitFor(() => out.includes('"type":"cluster.up"'), 60_000, 'the existing events', seen)
      const t0 = Date.now()
      expect((await run('pause', 'n5')).code).toBe(0)
      expect((await run('resume', 'n5')).code).toBe(0)
      const fresh = () =>
        out
          .split('\n')
          .filter((l) => l.endsWith('}'))
          .map((l) => JSON.parse(l) as {ts: number; type: string; target?: string})
          .filter((e) => e.ts >= t0 && e.target === 'n5')
      await waitFor(() => fresh().some((e) => e.type === 'fault.resume'), 60_000, 'the new events to stream', seen)
      expect(fresh().map((e) => e.type)).toEqual(['fault.pause', 'fault.resume'])
    } finally {
      child.kill('SIGINT')
    }
    await new Promise((r) => child.once('close', r))
  })

  it('unknown nodes and bad flags are one-line usage errors with exit code 2', async () => {
    const unknown = await run('crash', 'n9')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/unknown node 'n9'/)
    const bad = await run('faults', 'set', '--drop', '2')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/probability/)
    const noFlag = await run('cluster', 'up', '--nodes', 'many')
    expect(noFlag.code).toBe(2)
  })

  it('down stops every node and leaves nothing running', async () => {
    const pids = (await json<{nodes: View[]}>('cluster', 'status')).nodes.map((n) => n.pid)
    expect(pids).toHaveLength(5)
    for (const pid of pids) expect(alive(pid!), `pid ${pid}`).toBe(true)
    // The nodes' command lines name their data dirs under stateDir: what the last check looks for.
    expect(processesMentioning(stateDir).sort()).toEqual([...(pids as number[])].sort())
    const d = await run('cluster', 'down')
    expect(d.code, d.stderr).toBe(0)
    for (const pid of pids) expect(alive(pid!), `pid ${pid}`).toBe(false)
    expect(processesMentioning(stateDir)).toEqual([])
    const st = await json<{nodes: View[]}>('cluster', 'status')
    expect(st.nodes.map((n) => n.state)).toEqual(['down', 'down', 'down', 'down', 'down'])
  })
})
