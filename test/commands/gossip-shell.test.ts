import {createSocket} from 'node:dgram'
import {Packr} from 'msgpackr'
import {afterEach, describe, expect, it} from 'vitest'
import {UsageError} from '../../src/errors/index.js'
import {MAX_STRANGERS} from '../../src/node/roles/gossip/address-book.js'
import {GossipShell} from '../../src/node/roles/gossip/role.js'
import {FaultController, type PeerAddress} from '../../src/transport/index.js'
import {waitFor} from '../helpers/cli.js'

/**
 * The gossip shell on a real UDP socket, driven from the test: what it refuses, what it counts,
 * and that its own tables stay bounded whatever strangers send it.
 */
const packr = new Packr({useRecords: false})
const started: GossipShell[] = []
afterEach(async () => {
  for (const s of started.splice(0)) await s.stop()
})

async function startShell(id: string) {
  const events: Array<{type: string; fields: Record<string, unknown>}> = []
  const shell = new GossipShell({detector: 'swim', profile: 'fast', overrides: {swim: {}, phi: {}, heartbeat: {}}, tags: {}, seed: 1})
  const port = 20000 + Math.floor(Math.random() * 20000)
  const ctx = {
    id,
    transport: {address: {host: '127.0.0.1', port}, faults: new FaultController(), send: () => {}},
    events: {emit: (type: string, fields: Record<string, unknown> = {}) => events.push({type, fields})},
    dataDir: '/nonexistent',
    seedPeers: [] as PeerAddress[],
  }
  await shell.start(ctx as never)
  started.push(shell)
  return {shell, events, port}
}

/**
 * Sends `values` as datagrams, 50 at a time, each batch once `seen()` has caught up with it (a
 * burst larger than the socket's receive buffer would be dropped by the kernel, not the shell).
 */
async function send(port: number, values: unknown[], seen: () => number): Promise<void> {
  const sock = createSocket('udp4')
  try {
    for (let i = 0; i < values.length; i += 50) {
      const batch = values.slice(i, i + 50)
      for (const v of batch) await new Promise<void>((resolve, reject) => sock.send(packr.pack(v), port, '127.0.0.1', (e) => (e ? reject(e) : resolve())))
      await waitFor(() => seen() >= i + batch.length, 10_000, `the shell to take ${i + batch.length} datagrams`)
    }
  } finally {
    sock.close()
  }
}

describe('the gossip shell', () => {
  it('refuses new tags while the node leaves (peers would see left → alive → left)', async () => {
    const {shell} = await startShell('a')
    shell.onControl({op: 'tags', tags: {role: 'db'}})
    expect(shell.onControl({op: 'members'})).toMatchObject({self: {incarnation: 1, tags: {role: 'db'}}})
    shell.onControl({op: 'leave'})
    expect(() => shell.onControl({op: 'tags', tags: {role: 'web'}})).toThrow(UsageError)
    expect(shell.onControl({op: 'members'})).toMatchObject({self: {state: 'left', incarnation: 1, tags: {role: 'db'}}})
  })

  it('counts 500 hostile datagrams by reason and reports them in at most two events, not 500', async () => {
    const {shell, events, port} = await startShell('a')
    const hostile = Array.from({length: 500}, (_, i) => (i % 2 ? {f: 'x', m: {type: 'gossip'}} : {f: {}, m: {type: 'nack', seq: 1}}))
    await send(port, hostile, () => shell.metrics().rejected)
    expect(shell.metrics().rejected).toBe(500)
    expect(shell.metrics().rejects).toEqual({'missing-updates': 250, envelope: 250})
    const reported = events.filter((e) => e.type === 'gossip.rejected')
    expect(reported.length).toBeGreaterThanOrEqual(1)
    expect(reported.length).toBeLessThanOrEqual(2)
    expect(reported[0]!.fields).toMatchObject({rejected: 1})
  })

  it('keeps at most MAX_STRANGERS addresses for senders it does not know, however many ids they spoof', async () => {
    const {shell, port} = await startShell('a')
    // Valid messages (nacks for no probe) from 2000 different ids the core never heard of.
    await send(port, Array.from({length: 2000}, (_, i) => ({f: `spoof${i}`, m: {type: 'nack', seq: i}})), () => shell.metrics().messagesIn)
    expect(shell.metrics().messagesIn).toBe(2000)
    expect(shell.metrics().rejected).toBe(0)
    expect(shell.tableSizes().addresses).toBeLessThanOrEqual(MAX_STRANGERS + 1)
  })
})
