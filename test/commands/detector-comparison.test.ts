import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {cluster} from '../../src/cluster/index.js'
import {readEvents} from '../../src/events/index.js'
import type {GossipCounters, MembersView} from '../../src/node/roles/gossip/index.js'
import {dtk, killAllUnder, tempDir, waitFor} from '../helpers/cli.js'

/**
 * The tutorial's claim, on real processes: when one link fails (n2's messages to n3 are lost, every
 * other path works), all-to-all heartbeats convict a live node, while SWIM's indirect probes route
 * around the broken link and nobody is suspected.
 */
describe('one broken link: heartbeat convicts a live node, SWIM does not', () => {
  let stateDir: string
  const ref = (name: string) => ({stateDir, name})
  const run = async (...args: string[]) => {
    const r = await dtk(args, {DTK_STATE_DIR: stateDir})
    expect(r.code, `dtk ${args.join(' ')}: ${r.stderr}`).toBe(0)
  }
  const deadEvents = (name: string) => readEvents(cluster.eventFiles(ref(name))).filter((e) => e.type === 'member.dead' || e.type === 'member.suspect')

  beforeAll(async () => {
    stateDir = tempDir('compare')
    for (const d of ['heartbeat', 'swim']) {
      await run('cluster', 'up', '--name', d, '--nodes', '5', '--role', 'gossip', '--detector', d, '--profile', 'fast')
    }
    for (const d of ['heartbeat', 'swim']) {
      await waitFor(async () => {
        const answers = (await cluster.roleCallAll<MembersView>(ref(d), {op: 'members'})).answers
        return answers.length === 5 && answers.every((a) => a.answer.members.length === 4)
      }, 15_000, `${d} to converge`)
    }
  })
  afterAll(async () => {
    for (const d of ['heartbeat', 'swim']) await dtk(['cluster', 'down', '--name', d, '--grace', '1s'], {DTK_STATE_DIR: stateDir}).catch(() => undefined)
    killAllUnder(stateDir)
  })

  it('convicts with heartbeats and routes around it with SWIM', async () => {
    const t0 = Date.now()
    const probes = async () => (await cluster.roleCall<GossipCounters>(ref('swim'), 'n3', {op: 'metrics'})).probes
    const before = await probes()
    for (const d of ['heartbeat', 'swim']) await run('faults', 'set', '--name', d, '--drop', '1', '--from', 'n2', '--to', 'n3')
    await waitFor(() => deadEvents('heartbeat').some((e) => e.node === 'n3' && e.member === 'n2'), 15_000, 'heartbeat n3 to convict n2')
    // SWIM's window: n3 probes every 200 ms and each member in turn, so 40 probes (8 s) cover
    // two probes of n2 by each node and its maximum suspicion timeout (4.8 s on fast at N = 5).
    await waitFor(async () => (await probes()) >= before + 40, 30_000, 'n3 (swim) to send 40 probes')
    expect(deadEvents('swim').filter((e) => e.ts >= t0)).toEqual([])
    const n3 = await cluster.roleCall<MembersView>(ref('swim'), 'n3', {op: 'members'})
    expect(n3.members.find((m) => m.id === 'n2')?.state).toBe('alive')
  })
})
