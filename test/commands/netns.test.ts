import {spawn, type ChildProcess} from 'node:child_process'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {alive, dtkVia, killAllUnder, runJs, tempDir, waitFor, type CliResult} from '../helpers/cli.js'
import {createNetnsPair, type NetnsPair} from '../helpers/netns.js'

/**
 * A cluster whose nodes bind real non-loopback addresses on two separate network stacks. The
 * namespaces are made in beforeAll, not while collecting, so a run that filters these tests out
 * makes none (and leaks none); where they cannot be made (not root, no iproute2) each test is
 * skipped with the reason.
 */
describe('a cluster across two network namespaces', () => {
  let net: NetnsPair
  let reason: string | undefined
  let dir: string
  let remote: ChildProcess | undefined

  const inNs = (ns: string, args: string[]): Promise<CliResult> => dtkVia(['ip', 'netns', 'exec', ns], args, {DTK_STATE_DIR: join(dir, 'state')})

  beforeAll(() => {
    dir = tempDir('netns')
    const pair = createNetnsPair()
    if (typeof pair === 'string') reason = `cannot make network namespaces here: ${pair}`
    else net = pair
  })
  afterAll(async () => {
    if (net) await inNs(net.a.ns, ['cluster', 'down', '--grace', '1s']).catch(() => undefined)
    remote?.kill('SIGKILL')
    killAllUnder(dir)
    net?.destroy()
  })

  // Test limits: each test's own waits (90 s and 140 s) plus a dozen CLI calls, which take seconds
  // each on a loaded machine, fit inside them.
  it('nodes bind non-loopback addresses, reach each other across namespaces, and a partition cuts that link', async ({skip}) => {
    if (reason) skip(reason)
    // m1 runs in namespace b, bound to b's address only.
    remote = spawn('ip', ['netns', 'exec', net.b.ns, process.execPath, runJs, 'node', 'run', '--id', 'm1', '--host', net.b.ip, '--port', '7101', '--data-dir', join(dir, 'm1')], {
      stdio: 'ignore',
    })
    const up = await inNs(net.a.ns, ['cluster', 'up', '--nodes', '2', '--host', net.a.ip])
    expect(up.code, up.stderr).toBe(0)
    expect(up.stdout).toContain(net.a.ip)

    let add: CliResult | undefined
    await waitFor(async () => (add = await inNs(net.a.ns, ['cluster', 'add', 'm1', '--address', `${net.b.ip}:7101`])).code === 0, 60_000, 'm1 to answer', () => add?.stderr.trim() ?? 'no attempt finished')
    expect(add!.stdout).toMatch(/added m1/)

    const ping = await inNs(net.a.ns, ['cluster', 'ping', 'n1', 'm1', '--json'])
    expect(ping.code, ping.stderr).toBe(0)
    expect(JSON.parse(ping.stdout)).toMatchObject({ok: true})
    // m1 answers from b's stack to a's address: the reverse direction works too.
    expect(JSON.parse((await inNs(net.a.ns, ['cluster', 'ping', 'm1', 'n2', '--json'])).stdout)).toMatchObject({ok: true})

    const status = await inNs(net.a.ns, ['cluster', 'status', '--json'])
    expect(JSON.parse(status.stdout).nodes.find((n: {id: string}) => n.id === 'm1')).toMatchObject({state: 'remote-up', host: net.b.ip})

    expect((await inNs(net.a.ns, ['partition', 'n1,n2', 'm1'])).code).toBe(0)
    const cut = await inNs(net.a.ns, ['cluster', 'ping', 'n1', 'm1', '--timeout', '400ms', '--json'])
    expect(cut.code).toBe(1)
    expect(JSON.parse(cut.stdout)).toMatchObject({ok: false, code: 'TIMEOUT'})
    expect((await inNs(net.a.ns, ['heal'])).code).toBe(0)
    expect(JSON.parse((await inNs(net.a.ns, ['cluster', 'ping', 'n1', 'm1', '--json'])).stdout)).toMatchObject({ok: true})

    // crash needs a local process: a clear usage error for the remote node.
    const crash = await inNs(net.a.ns, ['crash', 'm1'])
    expect(crash.code).toBe(2)
    expect(crash.stderr).toMatch(/runs elsewhere/)

    // down stops the local nodes and asks the remote one to shut down.
    const down = await inNs(net.a.ns, ['cluster', 'down', '--json'])
    expect(down.code, down.stderr).toBe(0)
    expect(JSON.parse(down.stdout).stopped).toEqual(expect.arrayContaining(['n1', 'n2', 'm1']))
    await waitFor(() => remote!.exitCode !== null || remote!.signalCode !== null, 30_000, 'm1 to exit')
    expect({code: remote!.exitCode, signal: remote!.signalCode}).toEqual({code: 0, signal: null})
    expect(alive(remote!.pid!)).toBe(false)
  }, 240_000)

  it('gossip joins across the namespaces and a node in one detects a crash in the other', async ({skip}) => {
    if (reason) skip(reason)
    const name = ['--name', 'g']
    const up = await inNs(net.a.ns, ['cluster', 'up', '--nodes', '2', '--host', net.a.ip, '--role', 'gossip', '--profile', 'fast', '--base-port', '7201', ...name])
    expect(up.code, up.stderr).toBe(0)
    const g1 = spawn('ip', ['netns', 'exec', net.b.ns, process.execPath, runJs, 'node', 'run', '--id', 'g1', '--host', net.b.ip, '--port', '7201', '--data-dir', join(dir, 'g1'), '--role', 'gossip', '--profile', 'fast', '--seed-peers', `n1@${net.a.ip}:7201`], {stdio: 'ignore'})
    try {
      let add: CliResult | undefined
      await waitFor(async () => (add = await inNs(net.a.ns, ['cluster', 'add', 'g1', '--address', `${net.b.ip}:7201`, ...name])).code === 0, 60_000, 'g1 to answer', () => add?.stderr.trim() ?? 'no attempt finished')
      const viewOf = async (node: string) => JSON.parse((await inNs(net.a.ns, ['cluster', 'members', '--node', node, '--json', ...name])).stdout) as {members: Array<{id: string; state: string}>}
      const stateIn = async (node: string, id: string) => (await viewOf(node)).members.find((m) => m.id === id)?.state
      const seen: Record<string, string | undefined> = {}
      const look = async (node: string, id: string) => (seen[`${node} sees ${id}`] = await stateIn(node, id))
      const last = () => JSON.stringify(seen)
      await waitFor(async () => (await look('g1', 'n2')) === 'alive' && (await look('n2', 'g1')) === 'alive', 40_000, 'g1 to join', last)
      expect((await inNs(net.a.ns, ['crash', 'n2', ...name])).code).toBe(0)
      // g1 (namespace b) and n1 (namespace a) both convict n2, each from its own probes and gossip.
      await waitFor(async () => (await look('g1', 'n2')) === 'dead' && (await look('n1', 'n2')) === 'dead', 40_000, 'g1 and n1 to see n2 dead', last)
    } finally {
      await inNs(net.a.ns, ['cluster', 'down', '--grace', '1s', ...name])
      g1.kill('SIGKILL')
    }
  }, 240_000)
})
