import {pack} from 'msgpackr'
import {afterEach, describe, expect, it} from 'vitest'
import {GossipShell} from '../../src/node/roles/gossip/role.js'
import {Keyring} from '../../src/security/index.js'
import {FaultController, type PeerAddress} from '../../src/transport/index.js'
import {waitFor} from '../helpers/cli.js'

/**
 * The core fills each datagram up to its udpBufferSize; the shell wraps it in an envelope and,
 * with a key, seals it. With the budget left at the endpoint's 1400-byte ceiling every full
 * datagram came out larger than 1400 bytes, UdpEndpoint.send refused it, and the updates it
 * carried were lost (gossip.oversize) — at a join or after several crashes, when news piles up.
 */
const SECRET = Buffer.alloc(32, 7).toString('base64')

interface Harness {
  shell: GossipShell
  events: Array<{type: string; fields: Record<string, unknown>}>
  address: PeerAddress
}

const started: GossipShell[] = []
afterEach(async () => {
  for (const s of started.splice(0)) await s.stop()
})

async function startShell(id: string, port: number, seeds: PeerAddress[]): Promise<Harness> {
  const events: Harness['events'] = []
  const shell = new GossipShell({detector: 'swim', profile: 'fast', overrides: {swim: {}, phi: {}, heartbeat: {}}, tags: {}, secret: SECRET, seed: 1})
  const ctx = {
    id,
    // Only what the shell reads of the transport: its address and faults; push-pull sends go nowhere.
    transport: {address: {host: '127.0.0.1', port}, faults: new FaultController(), send: () => {}},
    events: {emit: (type: string, fields: Record<string, unknown> = {}) => events.push({type, fields})},
    dataDir: '/nonexistent',
    seedPeers: seeds,
  }
  await shell.start(ctx as never)
  started.push(shell)
  return {shell, events, address: {id, host: '127.0.0.1', port}}
}

function freePort(): number {
  return 20000 + Math.floor(Math.random() * 20000)
}

describe('gossip shell: a full datagram still fits the wire', () => {
  it('200 members of news are gossiped with a key set, nothing refused as oversize, nothing split', async () => {
    const b = await startShell('b', freePort(), [])
    const a = await startShell('a', freePort(), [b.address])
    // `a` learns 200 members at once (a push-pull from b, sealed as on the wire): its queue is
    // then far more than one datagram, so every probe, ack and gossip it sends is full. Every
    // member's address is b's, so whatever a sends, to whomever, reaches b's socket.
    const addr = `127.0.0.1:${b.address.port}`
    const states = [{id: 'b', state: 'alive', inc: 0, tags: {addr}}]
    for (let i = 0; i < 200; i++) states.push({id: `member-with-a-longish-name-${i}`, state: 'alive', inc: 0, tags: {addr, role: 'worker'}})
    const body = {type: 'push-pull', reply: true, join: false, states}
    a.shell.onPeerMessage({op: 'gossip', s: Keyring.fromSecret(SECRET).seal(pack(body))}, 'b')
    // b hears of members through a's sealed datagrams alone (its push-pulls go nowhere here):
    // they were sent, fit the wire, and open with the key.
    await waitFor(async () => b.events.filter((e) => e.type === 'member.join').length >= 100, 10_000, 'b to learn 100 members from a')
    expect(a.events.filter((e) => e.type === 'gossip.oversize')).toEqual([])
    expect(a.shell.metrics().splits).toBe(0)
    const sent = a.shell.metrics().udp
    expect(sent.datagramsOut).toBeGreaterThan(3)
    expect(b.shell.metrics().rejected).toBe(0)
  })
})
