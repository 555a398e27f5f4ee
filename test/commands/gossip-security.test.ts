import {spawn, type ChildProcess} from 'node:child_process'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {cluster, loadState} from '../../src/cluster/index.js'
import {ControlClient} from '../../src/cluster/control-client.js'
import type {GossipCounters, GossipMetrics, MembersView} from '../../src/node/roles/gossip/index.js'
import {dtk, killAllUnder, runJs, tempDir, waitFor} from '../helpers/cli.js'

describe('gossip with a key, and its metrics endpoint', () => {
  let stateDir: string
  let stranger: ChildProcess | undefined
  const ref = () => ({stateDir, name: 's'})
  const key = 'k0ZqzV7r5m8V1pZ4xv6zJ2b2pX9o3Zl8q2rY0mN5c1A='

  beforeAll(async () => {
    stateDir = tempDir('gsec')
    const up = await dtk(['cluster', 'up', '--name', 's', '--nodes', '3', '--role', 'gossip', '--profile', 'fast', '--secret', key], {DTK_STATE_DIR: stateDir})
    expect(up.code, up.stderr).toBe(0)
  })
  afterAll(async () => {
    stranger?.kill('SIGKILL')
    await dtk(['cluster', 'down', '--name', 's', '--grace', '1s'], {DTK_STATE_DIR: stateDir}).catch(() => undefined)
    killAllUnder(stateDir)
  })

  it('keeps the key off command lines, and a node without it cannot join: its packets are dropped and counted', async () => {
    const state = loadState(join(stateDir, 's'))!
    expect(state.nodes).toHaveLength(3)
    for (const n of state.nodes) expect((await import('node:fs')).readFileSync(`/proc/${n.pid}/cmdline`, 'utf8')).not.toContain(key)
    const n1 = state.nodes[0]!
    stranger = spawn(process.execPath, [runJs, 'node', 'run', '--id', 'x1', '--port', '0', '--data-dir', join(stateDir, 'x1'), '--role', 'gossip', '--profile', 'fast', '--seed-peers', `n1@127.0.0.1:${n1.port}`], {
      stdio: 'ignore',
      env: {...process.env, DTK_SECRET: ''},
    })
    await waitFor(async () => (await cluster.roleCall<GossipCounters>(ref(), 'n1', {op: 'metrics'})).rejected > 0, 10_000, 'n1 to reject the stranger')
    const m = await cluster.roleCall<GossipMetrics>(ref(), 'n1', {op: 'metrics'})
    // Its datagrams do not open with the key; its push-pull comes unsealed.
    expect((m.rejects.unopened ?? 0) + (m.rejects.unsealed ?? 0)).toBe(m.rejected)
    const view = await cluster.roleCall<MembersView>(ref(), 'n1', {op: 'members'})
    // n1 knows its two members and nobody else.
    expect(view.members.map((x) => x.id).sort()).toEqual(['n2', 'n3'])
  })

  it('rotates keys across the cluster without losing members', async () => {
    const next = (await dtk(['cluster', 'keys', 'generate'])).stdout.trim()
    for (const action of ['install', 'use']) {
      const r = await dtk(['cluster', 'keys', action, next, '--name', 's', '--json'], {DTK_STATE_DIR: stateDir})
      expect(r.code, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout).nodes).toHaveLength(3)
    }
    const removed = JSON.parse((await dtk(['cluster', 'keys', 'remove', key, '--name', 's', '--json'], {DTK_STATE_DIR: stateDir})).stdout)
    expect(removed.nodes).toHaveLength(3)
    for (const n of removed.nodes) expect(n.keys).toHaveLength(1)
    const counters = async () => new Map((await cluster.roleCallAll<GossipMetrics>(ref(), {op: 'metrics'})).answers.map((a) => [a.node, a.answer]))
    const before = await counters()
    expect(before.size).toBe(3)
    // Every node must get ten more acks under the new key — two seconds of probing on `fast`,
    // more than the suspicion timeout (0.8 s at N = 3): a member whose datagrams no longer opened
    // would be declared dead meanwhile.
    await waitFor(async () => {
      const now = await counters()
      return now.size === 3 && [...now].every(([node, m]) => m.acks >= before.get(node)!.acks + 10)
    }, 20_000, 'ten more acks on every node under the new key')
    const after = await counters()
    expect(after.size).toBe(3)
    for (const [node, m] of after) {
      // n1 still hears from the keyless stranger of the test above; the others hear only members.
      if (node !== 'n1') expect(m.rejected, `${node} rejects nothing`).toBe(before.get(node)!.rejected)
    }
    const views = (await cluster.roleCallAll<MembersView>(ref(), {op: 'members'})).answers
    expect(views).toHaveLength(3)
    for (const {node, answer} of views) {
      expect(answer.members.filter((m) => m.state === 'alive').map((m) => m.id).sort(), node).toEqual(['n1', 'n2', 'n3'].filter((id) => id !== node))
    }
  })

  it('serves the counters in Prometheus text format', async () => {
    const dir = join(stateDir, 'p1')
    const child = spawn(process.execPath, [runJs, 'node', 'run', '--id', 'p1', '--port', '0', '--data-dir', dir, '--role', 'gossip', '--metrics-port', '0'], {stdio: 'ignore', env: {...process.env, DTK_SECRET: key}})
    const client = await ControlClient.open()
    try {
      let port = 0
      await waitFor(async () => {
        const {readEvents} = await import('../../src/events/index.js')
        const start = readEvents([join(dir, 'events.jsonl')]).find((e) => e.type === 'gossip.start')
        port = (start?.metricsPort as number) ?? 0
        return port > 0
      }, 10_000, 'the metrics port')
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
      expect(text).toMatch(/^# TYPE dtk_gossip_probes_total counter$/m)
      expect(text).toMatch(/^# TYPE dtk_gossip_rejected_total counter$/m)
      expect(text).toMatch(/dtk_gossip_members\{state="alive",node="p1",detector="swim"\} 0/)
    } finally {
      await client.close()
      child.kill('SIGTERM')
    }
  })
})
