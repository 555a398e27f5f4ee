import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {cluster} from '../../src/cluster/index.js'
import type {Member} from '../../src/gossip/index.js'
import type {GossipCounters, MembersView} from '../../src/node/roles/gossip/index.js'
import {dtk, killAllUnder, tempDir, waitFor} from '../helpers/cli.js'

/**
 * SWIM + Lifeguard on ten real processes over loopback UDP/TCP, with the `fast` profile (the LAN
 * profile / 5: probe every 200 ms, minimum suspicion timeout 0.8 s at N = 10). Actions go through
 * the built CLI; the views are read over the control RPC, as `dtk cluster members` does.
 */
describe('gossip membership on real processes', () => {
  let stateDir: string
  const ref = () => ({stateDir, name: 'g'})
  const run = async (...args: string[]) => {
    const r = await dtk([...args, '--name', 'g'], {DTK_STATE_DIR: stateDir})
    expect(r.code, `dtk ${args.join(' ')}: ${r.stderr}`).toBe(0)
    return r
  }
  const views = async () => (await cluster.roleCallAll<MembersView>(ref(), {op: 'members'})).answers
  const stateOf = (v: MembersView, id: string): Member | undefined => v.members.find((m) => m.id === id)
  /** The nodes that run (n7 is crashed by the first test, n10 leaves and n11 joins in the fourth). */
  let running = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8', 'n9', 'n10']
  /** Waits until every running node other than `id` and `except` answers and sees `id` in `state`. */
  const everyoneSees = (id: string, state: Member['state'], except: string[] = [], timeoutMs = 20_000) =>
    waitFor(
      async () => {
        const expected = running.filter((n) => n !== id && !except.includes(n))
        const vs = (await views()).filter((a) => a.node !== id && !except.includes(a.node))
        return vs.length === expected.length && vs.every((a) => stateOf(a.answer, id)?.state === state)
      },
      timeoutMs,
      `every node to see ${id} ${state}`,
    )

  beforeAll(async () => {
    stateDir = tempDir('gossip')
    await run('cluster', 'up', '--nodes', '10', '--role', 'gossip', '--profile', 'fast')
    await waitFor(async () => {
      const vs = await views()
      return vs.length === 10 && vs.every((a) => a.answer.members.filter((m) => m.state === 'alive').length === 9)
    }, 20_000, 'ten nodes to converge')
  })
  afterAll(async () => {
    await dtk(['cluster', 'down', '--name', 'g', '--grace', '1s'], {DTK_STATE_DIR: stateDir}).catch(() => undefined)
    killAllUnder(stateDir)
  })

  it('every survivor marks a SIGKILLed node dead', async () => {
    await run('crash', 'n7')
    running = running.filter((n) => n !== 'n7')
    await everyoneSees('n7', 'dead')
  })

  it('a node paused past the suspicion timeout is declared dead, then refutes with a higher incarnation when it resumes', async () => {
    const before = (await cluster.roleCall<MembersView>(ref(), 'n4', {op: 'members'})).self.incarnation
    await run('pause', 'n4')
    await everyoneSees('n4', 'dead', ['n7'])
    await run('resume', 'n4')
    await everyoneSees('n4', 'alive', ['n7'])
    const vs = await views()
    expect(vs).toHaveLength(9)
    for (const {answer} of vs) {
      if (answer.self.id !== 'n4') expect(stateOf(answer, 'n4')!.incarnation).toBeGreaterThan(before)
    }
    const m = await cluster.roleCall<GossipCounters>(ref(), 'n4', {op: 'metrics'})
    expect(m.refutations).toBeGreaterThanOrEqual(1)
    expect(m.falsePositives).toBeGreaterThanOrEqual(1)
  })

  it('a partition splits the views and healing merges them again', async () => {
    await run('partition', 'n1,n2,n3,n4,n5')
    await everyoneSees('n1', 'dead', ['n2', 'n3', 'n4', 'n5', 'n7'])
    await everyoneSees('n6', 'dead', ['n8', 'n9', 'n10', 'n7'])
    await run('heal')
    // Push-pull with a dead member (Serf's reconnect) is what brings the sides back together:
    // every member of each side alive again in every view.
    for (const id of ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n8', 'n9', 'n10']) await everyoneSees(id, 'alive', ['n7'], 40_000)
  })

  it('a leaving node is marked left, not dead, and a joining node is learned by all', async () => {
    await run('cluster', 'leave', 'n10')
    running = running.filter((n) => n !== 'n10')
    await everyoneSees('n10', 'left', ['n7'])
    const joined = JSON.parse((await run('cluster', 'join', '--json')).stdout) as {joined: Array<{id: string}>}
    const id = joined.joined[0]!.id
    expect(id).toBe('n11')
    running = [...running, 'n11']
    await everyoneSees(id, 'alive', ['n7'])
  })

  it('members and metrics commands show the views and the counters', async () => {
    const r = await run('cluster', 'members', '--node', 'n2')
    expect(r.stdout).toMatch(/n7\s+dead/)
    expect(r.stdout).toMatch(/n10\s+left/)
    const m = JSON.parse((await run('cluster', 'metrics', '--json')).stdout) as {nodes: Array<{node: string; metrics: GossipCounters}>}
    expect(m.nodes.length).toBeGreaterThanOrEqual(9)
    for (const n of m.nodes) {
      expect(n.metrics.probes).toBeGreaterThan(0)
      expect(n.metrics.acks).toBeGreaterThan(0)
      expect(n.metrics.bytesOut).toBeGreaterThan(0)
    }
    const ev = await run('cluster', 'events', '--type', 'member.dead', '--json')
    expect(ev.stdout).toMatch(/"member":"n7"/)
  })
})
