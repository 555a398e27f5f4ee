import {appendFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {ControlClient} from '../../src/cluster/control-client.js'
import {loadState} from '../../src/cluster/index.js'
import {dtk, killAllUnder, tempDir, upOnLowPorts} from '../helpers/cli.js'

/** Durable state is honest: what a node acknowledged survives SIGKILL, and a torn tail is cut, not trusted. */
describe('kv-local on a real process', () => {
  let stateDir: string
  let client: ControlClient
  const run = (...args: string[]) => dtk(args, {DTK_STATE_DIR: stateDir})
  const node = () => loadState(join(stateDir, 'kv'))!.nodes[0]!

  beforeAll(async () => {
    stateDir = tempDir('kv')
    client = await ControlClient.open()
  })
  afterAll(async () => {
    await client.close()
    await run('cluster', 'down', '--name', 'kv', '--grace', '1s').catch(() => undefined)
    killAllUnder(stateDir)
  })

  it('keeps every acknowledged write across SIGKILL and a torn tail', async () => {
    // A port below the kernel's ephemeral range: nothing else takes it between the crash and the restart.
    const up = await upOnLowPorts(run, '--name', 'kv', '--nodes', '1', '--role', 'kv-local')
    expect(up.code, up.stderr).toBe(0)
    for (let i = 0; i < 20; i++) {
      expect(await client.call(node(), {op: 'role', body: {op: 'put', key: `k${i}`, value: i}})).toEqual({ok: true})
    }
    expect((await run('crash', 'n1', '--name', 'kv')).code).toBe(0)
    // A write cut short by the crash: half a record header at the end of the log.
    appendFileSync(join(node().dataDir, 'kv.log'), Buffer.from([0, 0, 0, 9, 1]))
    expect((await run('restart', 'n1', '--name', 'kv')).code).toBe(0)
    const keys = await client.call<{keys: string[]}>(node(), {op: 'role', body: {op: 'keys'}})
    expect(keys.keys).toHaveLength(20)
    expect(await client.call(node(), {op: 'role', body: {op: 'get', key: 'k7'}})).toMatchObject({found: true, value: 7})
    const ev = await run('cluster', 'events', '--name', 'kv', '--type', 'kv.recovered', '--json')
    expect(ev.code, ev.stderr).toBe(0)
    const recovered = ev.stdout.trim().split('\n').map((l) => JSON.parse(l))
    expect(recovered.at(-1)).toMatchObject({records: 20, keys: 20, truncatedBytes: 5})
  })
})
