import dgram from 'node:dgram'
import {createHmac, timingSafeEqual} from 'node:crypto'
import {describe, expect, it} from 'vitest'
import {FaultController} from '../../src/transport/index.js'
import {addr, udp, until} from './helpers.js'

describe('UdpEndpoint', () => {
  it('round trips messages with the sender address', async () => {
    const a = await udp({id: 'a'})
    const b = await udp({id: 'b'})
    const got: [unknown, number][] = []
    b.onMessage((m, from) => got.push([m, from.port]))
    expect(a.send(addr(b), {hi: [1, 2, Buffer.from('x')]})).toBe(true)
    await until(() => got.length === 1)
    expect(got[0]).toEqual([{hi: [1, 2, Buffer.from('x')]}, a.address.port])
    expect(a.stats().datagramsOut).toBe(1)
    expect(b.stats().datagramsIn).toBe(1)
  })

  it('refuses datagrams above maxDatagramBytes', async () => {
    const a = await udp({id: 'a', maxDatagramBytes: 200})
    expect(a.send({id: 'b', host: '127.0.0.1', port: 9}, Buffer.alloc(300))).toBe(false)
    expect(a.send({id: 'b', host: '127.0.0.1', port: 9}, Buffer.alloc(100))).toBe(true)
  })

  it('counts garbage and oversized datagrams instead of throwing', async () => {
    const b = await udp({id: 'b', maxDatagramBytes: 500})
    const got: unknown[] = []
    b.onMessage((m) => got.push(m))
    const raw = dgram.createSocket('udp4')
    await new Promise<void>((r) => raw.bind(0, '127.0.0.1', r))
    for (const d of [Buffer.from([0xc1]), Buffer.from([0x92, 0x01]), Buffer.alloc(800), Buffer.from([0x01, 0x02])])
      raw.send(d, b.address.port, '127.0.0.1')
    await until(() => b.stats().datagramsIn === 4)
    raw.close()
    expect(b.stats().badDatagrams).toBe(4)
    expect(got).toEqual([])
  })

  it('seal/open hooks wrap datagrams; open returning null drops and counts', async () => {
    const key = Buffer.from('secret')
    const mac = (b: Buffer) => createHmac('sha256', key).update(b).digest().subarray(0, 16)
    const seal = (p: Buffer) => Buffer.concat([mac(p), p])
    const open = (s: Buffer) => (s.length >= 16 && timingSafeEqual(s.subarray(0, 16), mac(s.subarray(16))) ? s.subarray(16) : null)
    const a = await udp({id: 'a', seal, open})
    const b = await udp({id: 'b', seal, open})
    const intruder = await udp({id: 'x'})
    const got: unknown[] = []
    b.onMessage((m) => got.push(m))
    a.send(addr(b), 'authentic')
    intruder.send(addr(b), 'forged')
    await until(() => b.stats().datagramsIn === 2)
    expect(got).toEqual(['authentic'])
    expect(b.stats().badDatagrams).toBe(1)
  })

  it('applies faults by peer id, shared with a controller', async () => {
    const faults = new FaultController(9)
    const a = await udp({id: 'a', faults})
    const b = await udp({id: 'b'})
    const got: unknown[] = []
    b.onMessage((m) => got.push(m))
    faults.set('b', {block: true})
    a.send(addr(b), 'lost')
    faults.set('b', {block: false, duplicate: 1, delayMs: 30})
    a.send(addr(b), 'twice')
    await until(() => got.length === 2)
    // Every copy had the same delay, so any third one would be in by now; 'end' marks the point.
    faults.clear()
    a.send(addr(b), 'end')
    await until(() => got.includes('end'))
    expect(got).toEqual(['twice', 'twice', 'end'])
    expect(a.stats().dropped).toBe(1)
  })
})
