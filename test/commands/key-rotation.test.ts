import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {dtk, killAllUnder, tempDir, waitFor} from '../helpers/cli.js'
import {cluster} from '../../src/cluster/index.js'
import {fingerprint, parseKey} from '../../src/security/index.js'
import type {MembersView} from '../../src/node/roles/gossip/index.js'

/**
 * "Key rotation that survives restarts": after install, use and remove, the cluster's recorded
 * keyring is the rotated one, so a node restarted and a node joined afterwards speak the same key
 * as the others, and every view stays whole (it split in two before, with every command exiting 0).
 */
describe('key rotation across restarts and joins', () => {
  const stateDir = tempDir('keyrot')
  const env = {DTK_STATE_DIR: stateDir}
  const ref = {stateDir, name: 'sec'}
  afterAll(() => killAllUnder(stateDir))

  // A dozen CLI runs in a row: on a loaded machine that outlasts the default minute.
  it('rotates, restarts n2, joins n5: the recorded keyring follows, and every node sees every other alive', {timeout: 180_000}, async () => {
    const old = (await dtk(['cluster', 'keys', 'generate'])).stdout.trim()
    const fresh = (await dtk(['cluster', 'keys', 'generate'])).stdout.trim()
    const up = await dtk(['cluster', 'up', '--name', 'sec', '--nodes', '4', '--role', 'gossip', '--profile', 'fast', '--secret', old], env)
    expect(up.code, up.stderr).toBe(0)
    for (const [action, key] of [['install', fresh], ['use', fresh]]) {
      const r = await dtk(['cluster', 'keys', action!, key!, '--name', 'sec'], env)
      expect(r.code, r.stderr).toBe(0)
    }
    // remove takes the fingerprint as `keys list` shows it
    const listed = await dtk(['cluster', 'keys', 'list', '--name', 'sec'], env)
    const oldFp = fingerprint(parseKey(old))
    expect(listed.stdout).toMatch(new RegExp(`n1\\s+\\*${fingerprint(parseKey(fresh))} ${oldFp}`))
    const rm = await dtk(['cluster', 'keys', 'remove', oldFp, '--name', 'sec'], env)
    expect(rm.code, rm.stderr).toBe(0)
    expect(rm.stderr).toContain(`recorded for restarts and joins: *${fingerprint(parseKey(fresh))}`)
    expect(readFileSync(join(stateDir, 'sec', 'secret'), 'utf8').trim()).toBe(fresh)

    // an unknown key is an error, not a silent no-op
    const unknown = await dtk(['cluster', 'keys', 'remove', 'abcdefabcdef', '--name', 'sec'], env)
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/'abcdefabcdef' is neither a key nor a fingerprint in the keyring of cluster 'sec'/)
    const primary = await dtk(['cluster', 'keys', 'remove', fresh, '--name', 'sec'], env)
    expect(primary.code).toBe(2)
    expect(primary.stderr).toMatch(/cannot remove the primary key/)

    expect((await dtk(['restart', 'n2', '--name', 'sec'], env)).code).toBe(0)
    const join_ = await dtk(['cluster', 'join', '--name', 'sec'], env)
    expect(join_.code, join_.stderr).toBe(0)
    const ids = ['n1', 'n2', 'n3', 'n4', 'n5']
    let views: Array<{node: string; answer: MembersView}> = []
    await waitFor(async () => {
      views = (await cluster.roleCallAll<MembersView>(ref, {op: 'members'})).answers
      return views.length === 5 && views.every((v) => ids.filter((id) => id !== v.node).every((id) => v.answer.members.find((m) => m.id === id)?.state === 'alive'))
    }, 30_000, 'every view to hold all five nodes alive')
    expect(views.map((v) => v.node)).toEqual(ids)
    // and every node holds exactly the rotated keyring
    const keys = await cluster.keys(ref, 'list')
    expect(keys.nodes).toHaveLength(5)
    for (const n of keys.nodes) expect(n.keys).toEqual([{fingerprint: fingerprint(parseKey(fresh)), primary: true}])
  })

  it('cluster metrics is readable at 100 columns: one row per node, no line wider', async () => {
    const r = await dtk(['cluster', 'metrics', '--name', 'sec'], env)
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(6)
    expect(lines[0]).toMatch(/^NODE\s+PROBES\s+ACKS/)
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(100)
  })
})
