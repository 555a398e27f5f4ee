import {createSocket} from 'node:dgram'
import {Packr} from 'msgpackr'
import {afterEach, describe, expect, it} from 'vitest'
import {readEvents} from '../../src/events/index.js'
import {UsageError} from '../../src/errors/index.js'
import {startNode, type RunningNode} from '../../src/node/index.js'
import {MAX_STRANGERS, type GossipRole} from '../../src/node/roles/gossip/index.js'
import {tempDir, waitFor} from '../helpers/cli.js'

/**
 * A gossip node (the gossip role on the node host) on a real UDP socket, driven from the test:
 * what it refuses, what it counts, and that its own tables stay bounded whatever strangers send it.
 */
const packr = new Packr({useRecords: false})
const started: RunningNode[] = []
afterEach(async () => {
  for (const n of started.splice(0)) await n.stop('test over')
})

async function startGossip(id: string) {
  const node = await startNode({id, host: '127.0.0.1', port: 0, dataDir: tempDir(`shell-${id}`), role: 'gossip', seed: 1, roleOptions: {detector: 'swim', profile: 'fast', tags: {}}})
  started.push(node)
  return {node, role: node.role as GossipRole, events: () => readEvents([node.events.path]), port: node.address.port}
}

/**
 * Sends `values` as datagrams, 50 at a time, each batch once `seen()` has caught up with it (a
 * burst larger than the socket's receive buffer would be dropped by the kernel, not the node).
 */
async function send(port: number, values: unknown[], seen: () => number): Promise<void> {
  const sock = createSocket('udp4')
  try {
    for (let i = 0; i < values.length; i += 50) {
      const batch = values.slice(i, i + 50)
      for (const v of batch) await new Promise<void>((resolve, reject) => sock.send(packr.pack(v), port, '127.0.0.1', (e) => (e ? reject(e) : resolve())))
      await waitFor(() => seen() >= i + batch.length, 10_000, `the node to take ${i + batch.length} datagrams`)
    }
  } finally {
    sock.close()
  }
}

describe('a gossip node', () => {
  it('refuses new tags while the node leaves (peers would see left → alive → left)', async () => {
    const {role} = await startGossip('a')
    role.onControl({op: 'tags', tags: {role: 'db'}})
    expect(role.onControl({op: 'members'})).toMatchObject({self: {incarnation: 1, tags: {role: 'db'}}})
    role.onControl({op: 'leave'})
    expect(() => role.onControl({op: 'tags', tags: {role: 'web'}})).toThrow(UsageError)
    expect(role.onControl({op: 'members'})).toMatchObject({self: {state: 'left', incarnation: 1, tags: {role: 'db'}}})
  })

  it('counts 500 hostile datagrams by reason and reports them in at most two events, not 500', async () => {
    const {role, events, port} = await startGossip('a')
    // Half are bad messages in a good envelope, half bad envelopes (an object for a sender id).
    const hostile = Array.from({length: 500}, (_, i) => (i % 2 ? ['x', 'membership', i, 1, {type: 'gossip'}] : [{}, 'membership', i, 1, {type: 'nack', seq: 1}]))
    await send(port, hostile, () => role.metrics().rejected)
    expect(role.metrics().rejected).toBe(500)
    expect(role.metrics().rejects).toEqual({'missing-updates': 250, envelope: 250})
    const reported = events().filter((e) => e.type === 'gossip.rejected')
    expect(reported.length).toBeGreaterThanOrEqual(1)
    expect(reported.length).toBeLessThanOrEqual(2)
    expect(reported[0]!).toMatchObject({rejected: 1})
  })

  it('keeps at most MAX_STRANGERS addresses for senders it does not know, however many ids they spoof', async () => {
    const {role, port} = await startGossip('a')
    // Valid messages (nacks for no probe) from 2000 different ids the core never heard of.
    await send(port, Array.from({length: 2000}, (_, i) => [`spoof${i}`, 'membership', i, 1, {type: 'nack', seq: i}]), () => role.metrics().messagesIn)
    expect(role.metrics().messagesIn).toBe(2000)
    expect(role.metrics().rejected).toBe(0)
    expect(role.tableSizes().addresses).toBeLessThanOrEqual(MAX_STRANGERS + 1)
  })
})
