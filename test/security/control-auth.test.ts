import {afterAll, describe, expect, it} from 'vitest'
import {ControlGuard, Keyring, parseKey, sealControl} from '../../src/security/index.js'
import {Transport, TransportError} from '../../src/transport/index.js'
import {cluster} from '../../src/cluster/index.js'
import {readEvents} from '../../src/events/index.js'
import {alive, dtk, killAllUnder, tempDir} from '../helpers/cli.js'
import type {NodeStatus} from '../../src/node/index.js'

/**
 * "When the cluster has a key, control requests must be authenticated with it: reaching the port
 * must not be enough to stop a node or inject faults."
 */
describe('control requests sealed with the cluster key (the guard)', () => {
  const key = Keyring.generateKey()
  const ring = () => Keyring.fromSecret(key)
  const exempt = (m: unknown) => (m as {op?: string}).op === 'status'

  it('admits a sealed request once, and refuses its replay', () => {
    const guard = new ControlGuard(ring)
    const sealed = sealControl(ring(), {op: 'shutdown'})
    expect(guard.admit(sealed, exempt)).toEqual({op: 'shutdown'})
    expect(() => guard.admit(sealed, exempt)).toThrow(/replay/)
    expect(guard.refused).toBe(1)
  })

  it('refuses unsealed requests (status excepted), another key, a tampered seal, and a stale one', () => {
    const guard = new ControlGuard(ring, {windowMs: 60_000})
    expect(() => guard.admit({op: 'shutdown'}, exempt)).toThrow(/requires control requests sealed/)
    expect(guard.admit({op: 'status'}, exempt)).toEqual({op: 'status'})
    expect(() => guard.admit(sealControl(Keyring.fromSecret(Keyring.generateKey()), {op: 'shutdown'}), exempt)).toThrow(/not sealed with a key this node has/)
    const tampered = sealControl(ring(), {op: 'faults.clear'})
    tampered.s = Buffer.from(tampered.s)
    tampered.s[tampered.s.length - 1]! ^= 1
    expect(() => guard.admit(tampered, exempt)).toThrow(/not sealed with a key/)
    expect(() => guard.admit(sealControl(ring(), {op: 'shutdown'}, Date.now() - 120_000), exempt)).toThrow(/more than 60 s apart/)
    // a gossip packet sealed with the same key is not a control request: control uses a derived key
    expect(() => guard.admit({op: 'control.sealed', v: 1, s: ring().seal(Buffer.from([0x80]))}, exempt)).toThrow(/not sealed with a key/)
    expect(guard.refused).toBe(5)
  })

  it('follows a rotation: any installed key opens, a removed one does not', () => {
    const live = ring()
    const guard = new ControlGuard(() => live)
    const next = Keyring.generateKey()
    const before = sealControl(Keyring.fromSecret(key), {op: 'status'})
    live.use(parseKey(next))
    expect(guard.admit(before, exempt)).toEqual({op: 'status'}) // old key still installed
    live.remove(parseKey(key))
    expect(() => guard.admit(sealControl(Keyring.fromSecret(key), {op: 'status'}), exempt)).toThrow(/not sealed/)
  })

  it('holds at most maxNonces nonces in a window, and refuses beyond rather than forget one', () => {
    let now = 1_000_000
    const guard = new ControlGuard(ring, {maxNonces: 3, windowMs: 1000, now: () => now})
    for (let i = 0; i < 3; i++) guard.admit(sealControl(ring(), {op: 'status'}, now), exempt)
    expect(() => guard.admit(sealControl(ring(), {op: 'status'}, now), exempt)).toThrow(/more than 3 control requests/)
    now += 2000 // the window passes: old nonces expire, and their requests are stale anyway
    expect(guard.admit(sealControl(ring(), {op: 'status'}, now), exempt)).toEqual({op: 'status'})
  })
})

describe('control requests to real node processes of a keyed cluster', () => {
  const stateDir = tempDir('control-auth')
  const env = {DTK_STATE_DIR: stateDir}
  const ref = {stateDir, name: 'k'}
  afterAll(() => killAllUnder(stateDir))

  it('refuses shutdown and faults from a control endpoint without the key (the node runs on, faults unchanged, refusal counted and logged); the CLI with the key works', async () => {
    const key = (await dtk(['cluster', 'keys', 'generate'])).stdout.trim()
    const up = await dtk(['cluster', 'up', '--name', 'k', '--nodes', '2', '--role', 'gossip', '--profile', 'fast', '--secret', key], env)
    expect(up.code, up.stderr).toBe(0)
    const state = cluster.status(ref)
    const n1 = state.find((n) => n.id === 'n1')!
    const stranger = await Transport.listen({id: 'stranger', listen: false, control: true})
    const peer = {id: 'n1', host: n1.host, port: n1.port}
    try {
      for (const req of [{op: 'shutdown'}, {op: 'faults.set', to: 'n2', faults: {drop: 1}}]) {
        const err = await stranger.request(peer, req, {timeoutMs: 3000}).catch((e: unknown) => e)
        expect(err).toBeInstanceOf(TransportError)
        expect((err as TransportError).code).toBe('REMOTE_ERROR')
        expect((err as Error).message).toMatch(/control request refused: this node requires control requests sealed with the cluster key/)
      }
      // a sealed request with another key is refused too
      const wrong = sealControl(Keyring.fromSecret(Keyring.generateKey()), {op: 'shutdown'})
      await expect(stranger.request(peer, wrong, {timeoutMs: 3000})).rejects.toThrow(/not sealed with a key this node has/)
      // status stays open, so a node can be found; it shows the refusals and no fault
      const st = await stranger.request<NodeStatus>(peer, {op: 'status'}, {timeoutMs: 3000})
      expect(st.controlRefused).toBe(3)
      expect(st.faults).toEqual({})
    } finally {
      await stranger.close()
    }
    expect(alive(n1.pid!)).toBe(true)
    const refused = readEvents([`${stateDir}/k/nodes/n1/events.jsonl`]).filter((e) => e.type === 'control.refused')
    expect(refused.map((e) => e.reason)).toEqual(['unsealed', 'unsealed', 'bad-seal'])

    // the CLI holds the key (the cluster's recorded secret): the same requests work
    const set = await dtk(['faults', 'set', '--name', 'k', '--drop', '1', '--from', 'n1', '--to', 'n2'], env)
    expect(set.code, set.stderr).toBe(0)
    expect(set.stdout).toMatch(/2 nodes updated/)
    const down = await dtk(['cluster', 'down', '--name', 'k'], env)
    expect(down.code).toBe(0)
    expect(alive(n1.pid!)).toBe(false)
  })
})
