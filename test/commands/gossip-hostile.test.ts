import {createSocket} from 'node:dgram'
import {join} from 'node:path'
import {Packr} from 'msgpackr'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {cluster, loadState} from '../../src/cluster/index.js'
import {MAX_INCARNATION} from '../../src/gossip/index.js'
import type {GossipMetrics, MembersView} from '../../src/node/roles/gossip/index.js'
import {dtk, killAllUnder, tempDir, waitFor} from '../helpers/cli.js'

/**
 * Issue 13 §2, reproduced on real processes: a 5-node cluster without a key is sent a handful of
 * unauthenticated datagrams — a gossip message without updates, an update whose node id is an
 * object with incarnation −1, an accusation of n1 at incarnation 1e300 — over loopback UDP. Before
 * the shell validated its input, every node then failed `dtk cluster members` ("remote error"),
 * held a member whose id is `{}`, and n1 could never refute again. Every input is now validated by
 * the node host before a core sees it: dropped and counted by reason.
 */
describe('hostile datagrams never reach a gossip core', () => {
  let stateDir: string
  const ref = () => ({stateDir, name: 'h'})
  const packr = new Packr({useRecords: false})

  beforeAll(async () => {
    stateDir = tempDir('hostile')
    const up = await dtk(['cluster', 'up', '--name', 'h', '--nodes', '5', '--role', 'gossip', '--profile', 'fast'], {DTK_STATE_DIR: stateDir})
    expect(up.code, up.stderr).toBe(0)
    await waitFor(async () => {
      const vs = (await cluster.roleCallAll<MembersView>(ref(), {op: 'members'})).answers
      return vs.length === 5 && vs.every((a) => a.answer.members.filter((m) => m.state === 'alive').length === 4)
    }, 20_000, 'five nodes to converge')
  })
  afterAll(async () => {
    await dtk(['cluster', 'down', '--name', 'h', '--grace', '1s'], {DTK_STATE_DIR: stateDir}).catch(() => undefined)
    killAllUnder(stateDir)
  })

  it('after a gossip without updates, an object id at incarnation −1 and an accusation of n1 at 1e300, every node answers `dtk cluster members`, no member {} appears, n1 stays alive, and the rejects are counted by reason', {timeout: 120_000}, async () => {
    const nodes = loadState(join(stateDir, 'h'))!.nodes
    expect(nodes).toHaveLength(5)
    // The node host's datagram envelope: [sender, core, sequence, Lamport clock, message].
    const hostile = [
      ['x9', 'membership', 1, 1, {type: 'gossip'}],
      ['x9', 'membership', 2, 2, {type: 'gossip', updates: [{kind: 'alive', node: {}, inc: -1}]}],
      ['x9', 'membership', 3, 3, {type: 'gossip', updates: [{kind: 'suspect', node: 'n1', inc: 1e300, from: 'x9'}]}],
    ]
    const sock = createSocket('udp4')
    try {
      for (const n of nodes) {
        for (const d of hostile) await new Promise<void>((resolve, reject) => sock.send(packr.pack(d), n.port!, '127.0.0.1', (e) => (e ? reject(e) : resolve())))
      }
    } finally {
      sock.close()
    }
    // Wait for the datagrams to be counted everywhere (each node drops all three).
    await waitFor(async () => {
      const ms = (await cluster.roleCallAll<GossipMetrics>(ref(), {op: 'metrics'})).answers
      return ms.length === 5 && ms.every((a) => a.answer.rejected >= 3)
    }, 10_000, 'every node to count three rejects')
    // What a user sees: `dtk cluster metrics --json` counts them by reason on every node.
    const mr = await dtk(['cluster', 'metrics', '--name', 'h', '--json'], {DTK_STATE_DIR: stateDir})
    expect(mr.code, mr.stderr).toBe(0)
    const metrics = (JSON.parse(mr.stdout) as {nodes: Array<{node: string; metrics: GossipMetrics}>}).nodes
    expect(metrics.map((m) => m.node).sort()).toEqual(nodes.map((n) => n.id).sort())
    for (const {node, metrics: m} of metrics) {
      expect(m.rejects, node).toMatchObject({'missing-updates': 1, 'bad-id': 1, 'bad-incarnation': 1})
      expect(m.rejected, node).toBe(3)
    }
    // Every node still answers the members command, with five members and no stranger.
    const answers = await Promise.all(nodes.map((n) => dtk(['cluster', 'members', '--name', 'h', '--node', n.id, '--json'], {DTK_STATE_DIR: stateDir})))
    for (const [i, n] of nodes.entries()) {
      const r = answers[i]!
      expect(r.code, `${n.id}: ${r.stderr}`).toBe(0)
      const view = JSON.parse(r.stdout) as MembersView
      expect(view.members).toHaveLength(4)
      for (const m of view.members) expect(typeof m.id).toBe('string')
      expect(view.members.map((m) => m.id).sort()).toEqual(nodes.map((x) => x.id).filter((id) => id !== n.id).sort())
      if (n.id === 'n1') expect(view.self).toMatchObject({state: 'alive', incarnation: 0})
      else expect(view.members.find((m) => m.id === 'n1')).toMatchObject({state: 'alive', incarnation: 0})
    }
    // Each node reports the rejects it dropped as events too (`dtk cluster events`).
    const er = await dtk(['cluster', 'events', '--name', 'h', '--type', 'gossip.rejected', '--json'], {DTK_STATE_DIR: stateDir})
    expect(er.code, er.stderr).toBe(0)
    const events = er.stdout.trim().split('\n').map((l) => JSON.parse(l) as {node: string; type: string})
    expect(events.length).toBeGreaterThanOrEqual(5)
    expect(new Set(events.map((e) => e.node))).toEqual(new Set(nodes.map((n) => n.id)))
  })

  it('n1 can still refute: a valid accusation at the highest incarnation a peer accepts (2^52 − 1) is refuted with 2^52, and every node sees n1 alive at it', {timeout: 120_000}, async () => {
    const nodes = loadState(join(stateDir, 'h'))!.nodes
    const n1 = nodes.find((n) => n.id === 'n1')!
    const sock = createSocket('udp4')
    try {
      const d = ['x9', 'membership', 4, 4, {type: 'gossip', updates: [{kind: 'suspect', node: 'n1', inc: MAX_INCARNATION - 1, from: 'x9'}]}]
      await new Promise<void>((resolve, reject) => sock.send(packr.pack(d), n1.port!, '127.0.0.1', (e) => (e ? reject(e) : resolve())))
    } finally {
      sock.close()
    }
    let last = ''
    await waitFor(async () => {
      const vs = (await cluster.roleCallAll<MembersView>(ref(), {op: 'members'})).answers
      last = JSON.stringify(vs.map((a) => [a.node, a.answer.self.id === 'n1' ? a.answer.self : a.answer.members.find((m) => m.id === 'n1')]))
      return vs.length === 5 && vs.every((a) => {
        const v = a.answer.self.id === 'n1' ? a.answer.self : a.answer.members.find((m) => m.id === 'n1')
        return v?.state === 'alive' && v.incarnation === MAX_INCARNATION
      })
    }, 20_000, 'every node to see n1 alive at 2^52', () => last)
  })
})
