import {appendFileSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {ControlClient} from '../../src/cluster/control-client.js'
import {loadState} from '../../src/cluster/index.js'
import type {KvResponse} from '../../src/kv/index.js'
import type {NodeStatus} from '../../src/node/index.js'
import {Transport, TransportError} from '../../src/transport/index.js'
import {dtk, killAllUnder, tempDir, upOnLowPorts, waitFor} from '../helpers/cli.js'

/** Durable state is honest: what a node acknowledged survives SIGKILL, a torn tail is cut, corruption is refused. */
describe('kv-local on a real process (the kv core on the node host)', () => {
  let stateDir: string
  let control: ControlClient
  let client: Transport
  const run = (...args: string[]) => dtk(args, {DTK_STATE_DIR: stateDir})
  const node = () => loadState(join(stateDir, 'kv'))!.nodes[0]!
  const logDir = () => join(node().dataDir, 'kv')
  const segments = () => readdirSync(logDir()).filter((f) => /^kv\.\d+\.log$/.test(f)).sort()
  let req = 0
  const session = `client-kvtest-${process.pid}`
  const kv = (op: unknown, timeoutMs = 5000) =>
    client.request<KvResponse>({id: node().id, host: node().host, port: node().port}, {op: 'client', core: 'kv', msg: {type: 'kv.req', client: session, req: ++req, op}}, {timeoutMs})

  beforeAll(async () => {
    stateDir = tempDir('kv')
    control = await ControlClient.open()
    client = await Transport.listen({id: session, listen: false})
    // A port below the kernel's ephemeral range: nothing else takes it between a crash and the restart.
    const up = await upOnLowPorts(run, '--name', 'kv', '--nodes', '1', '--role', 'kv-local')
    expect(up.code, up.stderr).toBe(0)
  })
  afterAll(async () => {
    await client?.close()
    await control?.close()
    await run('cluster', 'down', '--name', 'kv', '--grace', '1s').catch(() => undefined)
    killAllUnder(stateDir)
  })

  it('keeps every acknowledged write across SIGKILL and a torn tail; the status names the client core', async () => {
    const st = await control.call<NodeStatus>(node(), {op: 'status'})
    expect(st.roleStatus.clientCore).toBe('kv')
    for (let i = 0; i < 20; i++) {
      expect(await control.call(node(), {op: 'role', body: {op: 'put', key: `k${i}`, value: i}})).toEqual({ok: true})
    }
    expect((await run('crash', 'n1', '--name', 'kv')).code).toBe(0)
    // A write cut short by the crash: half a record header at the end of the newest segment.
    expect(segments().length).toBeGreaterThanOrEqual(1)
    appendFileSync(join(logDir(), segments().at(-1)!), Buffer.from([0, 0, 0, 9, 1]))
    const restarted = await run('restart', 'n1', '--name', 'kv')
    expect(restarted.code, restarted.stderr).toBe(0)
    const keys = await control.call<{keys: string[]}>(node(), {op: 'role', body: {op: 'keys'}})
    expect(keys.keys).toHaveLength(20)
    expect(await control.call(node(), {op: 'role', body: {op: 'get', key: 'k7'}})).toMatchObject({found: true, value: 7})
    const ev = await run('cluster', 'events', '--name', 'kv', '--type', 'kv.recovered', '--json')
    expect(ev.code, ev.stderr).toBe(0)
    const recovered = ev.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(recovered.at(-1)).toMatchObject({records: 20, keys: 20, truncatedBytes: 5})
  })

  it('loses no acknowledged write when killed with SIGKILL under load from clients of the client-request contract', {timeout: 120_000}, async () => {
    const acked = new Map<string, number>()
    let failed = 0
    let crashed = false
    const sessions = Array.from({length: 8}, (_, i) => `${session}-s${i}`)
    const loop = async (s: string) => {
      let r = 0
      while (!crashed) {
        const key = `${s}-${++r}`
        try {
          const res = await client.request<KvResponse>({id: node().id, host: node().host, port: node().port}, {op: 'client', core: 'kv', msg: {type: 'kv.req', client: s, req: r, op: {f: 'put', key, value: r}}}, {timeoutMs: 2000})
          expect(res.result.type).toBe('ok')
          acked.set(key, r)
        } catch (error) {
          expect(error).toBeInstanceOf(TransportError)
          failed++
          return
        }
      }
    }
    const loops = sessions.map(loop)
    await waitFor(() => acked.size >= 300, 60_000, '300 acknowledged puts', () => `${acked.size} acknowledged`)
    const crash = await run('crash', 'n1', '--name', 'kv')
    crashed = true
    expect(crash.code, crash.stderr).toBe(0)
    await Promise.all(loops)
    const restarted = await run('restart', 'n1', '--name', 'kv')
    expect(restarted.code, restarted.stderr).toBe(0)
    expect(acked.size).toBeGreaterThanOrEqual(300)
    const missing: string[] = []
    for (const [key, value] of acked) {
      const res = await kv({f: 'get', key})
      if (!(res.result.type === 'ok' && res.result.value === value)) missing.push(key)
    }
    expect(missing).toEqual([])
  })

  it('refuses to start on a corrupt record in the middle of its log, naming the file and the byte offset', {timeout: 120_000}, async () => {
    for (let i = 0; i < 5; i++) expect((await kv({f: 'put', key: `c${i}`, value: i})).result.type).toBe('ok')
    expect((await run('crash', 'n1', '--name', 'kv')).code).toBe(0)
    const file = join(logDir(), segments().at(-1)!)
    const bytes = readFileSync(file)
    // Walk the frames (24-byte header: magic, body length, …; the body padded to 8 bytes) and damage the second's body.
    const frames: number[] = []
    for (let off = 0; off + 24 <= bytes.length; ) {
      frames.push(off)
      off += 24 + Math.ceil(bytes.readUInt32BE(off + 4) / 8) * 8
    }
    expect(frames.length).toBeGreaterThanOrEqual(3)
    const victim = frames[1]!
    bytes[victim + 24] = bytes[victim + 24]! ^ 0xff
    writeFileSync(file, bytes)
    const restarted = await run('restart', 'n1', '--name', 'kv')
    expect(restarted.code).not.toBe(0)
    expect(restarted.stderr).toContain(`corrupt log ${file} at byte ${victim}`)
    const log = readFileSync(join(node().dataDir, 'node.log'), 'utf8')
    expect(log).toContain(`corrupt log ${file} at byte ${victim}`)
    const status = await run('cluster', 'status', '--name', 'kv', '--json')
    expect(JSON.parse(status.stdout)).toMatchObject({nodes: [{id: 'n1', state: 'down'}]})
    const ev = await run('cluster', 'events', '--name', 'kv', '--type', 'node.start-failed', '--json')
    expect(ev.stdout.trim().split('\n').map((l) => JSON.parse(l)).at(-1)).toMatchObject({core: 'kv', file, offset: victim})
  })
})
