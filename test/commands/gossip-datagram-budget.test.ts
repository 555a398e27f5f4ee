import {pack} from 'msgpackr'
import {afterEach, describe, expect, it} from 'vitest'
import {readEvents} from '../../src/events/index.js'
import {startNode, type RunningNode} from '../../src/node/index.js'
import {Keyring} from '../../src/security/index.js'
import {Transport} from '../../src/transport/index.js'
import {tempDir, waitFor} from '../helpers/cli.js'

/**
 * The core fills each datagram up to its udpBufferSize; the host wraps it in its envelope
 * (sender, core, message id, Lamport clock) and, with a key, seals it. With the budget left at
 * the endpoint's 1400-byte ceiling every full datagram came out larger than 1400 bytes,
 * UdpEndpoint.send refused it, and the updates it carried were lost (gossip.oversize) — at a
 * join or after several crashes, when news piles up. The role tells the core both overheads.
 */
const SECRET = Buffer.alloc(32, 7).toString('base64')
const running: RunningNode[] = []
const others: Transport[] = []
afterEach(async () => {
  for (const t of others.splice(0)) await t.close()
  for (const n of running.splice(0)) await n.stop('test over')
})

async function gossipNode(id: string, seedPeers: Array<{id: string; host: string; port: number}> = []): Promise<RunningNode> {
  const node = await startNode({id, host: '127.0.0.1', port: 0, dataDir: tempDir(`budget-${id}`), role: 'gossip', seedPeers, seed: 1, roleOptions: {detector: 'swim', profile: 'fast', secret: SECRET, tags: {}}})
  running.push(node)
  return node
}

const metricsOf = (n: RunningNode) => n.host.status() as {splits: number; udp: {datagramsOut: number}; rejects: Record<string, number>}

describe('gossip on the node host: a full datagram still fits the wire', () => {
  it('200 members of news are gossiped with a key set, nothing refused as oversize, nothing split, nothing rejected', async () => {
    const b = await gossipNode('b')
    const bAddr = {id: 'b', host: '127.0.0.1', port: b.address.port}
    const a = await gossipNode('a', [bAddr])
    // `a` learns 200 members at once: a push-pull as `b` would send it (a sealed stream envelope
    // for core `membership`), from an endpoint that says it is b. Its queue is then far more
    // than one datagram, so every probe, ack and gossip it sends is full. Every member's address
    // is b's, so whatever a sends, to whomever, reaches b's socket.
    const addr = `127.0.0.1:${b.address.port}`
    const states = [{id: 'b', state: 'alive', inc: 0, tags: {addr}}]
    for (let i = 0; i < 200; i++) states.push({id: `member-with-a-longish-name-${i}`, state: 'alive', inc: 0, tags: {addr, role: 'worker'}})
    const body = {type: 'push-pull', reply: true, join: false, states}
    const fakeB = await Transport.listen({id: 'b', port: 0})
    others.push(fakeB)
    fakeB.send({id: 'a', host: '127.0.0.1', port: a.address.port}, ['membership', 1, 1, Keyring.fromSecret(SECRET).seal(pack(body))])
    // b hears of members through a's sealed datagrams: they were sent, fit the wire, and open with the key.
    const joins = () => readEvents([b.events.path]).filter((e) => e.type === 'member.join').length
    await waitFor(() => joins() >= 100, 20_000, 'b to learn 100 members from a', () => `${joins()} joins`)
    const aEvents = readEvents([a.events.path])
    expect(aEvents.filter((e) => e.type === 'gossip.oversize')).toEqual([])
    expect(metricsOf(a).splits).toBe(0)
    expect(metricsOf(a).udp.datagramsOut).toBeGreaterThan(3)
    expect(metricsOf(b).rejects).toEqual({})
  })
})
