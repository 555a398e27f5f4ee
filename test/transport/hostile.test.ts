import net from 'node:net'
import {describe, expect, it} from 'vitest'
import {encodeFrame} from '../../src/transport/index.js'
import {addr, helloFrame, transport, until} from './helpers.js'

/** Opens a raw connection, writes `bytes`, resolves when the server closes it. */
function hostile(port: number, bytes: Buffer[], end = false): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({port, host: '127.0.0.1'}, () => {
      for (const b of bytes) s.write(b)
      if (end) s.end()
    })
    s.on('error', () => {})
    s.on('data', () => {})
    s.on('close', () => resolve())
  })
}

function lengthPrefixed(body: Buffer): Buffer {
  const h = Buffer.alloc(4)
  h.writeUInt32BE(body.length)
  return Buffer.concat([h, body])
}

describe('hostile input', () => {
  it('closes only the offending connection, counts it and keeps serving others', async () => {
    const logs: string[] = []
    const srv = await transport({id: 'srv', maxFrameBytes: 1 << 20, connectTimeoutMs: 300, log: (lvl, msg, f) => lvl === 'warn' && logs.push(`${msg} ${JSON.stringify(f)}`)})
    srv.onRequest((m) => m)
    const good = await transport({id: 'good'})
    expect(await good.request(addr(srv), 'before')).toBe('before')

    const hello = helloFrame('evil')
    const oversize = Buffer.alloc(8)
    oversize.writeUInt32BE(2 << 20)
    const cases: [string, Buffer[], boolean?][] = [
      ['garbage', [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')]],
      ['oversize length', [hello, oversize]],
      ['max length prefix', [Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3])]],
      ['undecodable msgpack', [hello, lengthPrefixed(Buffer.from([1, 0xc1]))]],
      ['truncated msgpack', [hello, lengthPrefixed(Buffer.from([2, 0xce, 0, 0, 0, 1, 0x85, 0xa1]))]],
      ['truncated frame then end', [hello, Buffer.from([0, 0, 0, 50, 1, 2])], true],
      ['no hello', [encodeFrame('hi')]],
      ['unknown kind', [hello, lengthPrefixed(Buffer.from([9, 0xc0]))]],
      ['truncated batch', [hello, lengthPrefixed(Buffer.from([5, 0x01, 0x92, 0x01]))]],
      ['silent client (no hello in time)', []],
    ]
    let bad = 0
    for (const [name, bytes, end] of cases) {
      await hostile(srv.address.port, bytes, end)
      bad++
      await until(() => srv.stats().badFrames >= bad, 3000, `badFrames after ${name}`)
      expect(await good.request(addr(srv), name)).toBe(name)
    }
    expect(srv.stats().badFrames).toBe(cases.length)
    expect(logs.length).toBe(cases.length)
    // random bytes on many connections at once
    const junk = Array.from({length: 20}, () => hostile(srv.address.port, [Buffer.from(Array.from({length: 64}, () => (Math.random() * 256) | 0))], true))
    await Promise.all(junk)
    expect(await good.request(addr(srv), 'after')).toBe('after')
    await until(() => srv.stats().connections === 1, 3000, 'hostile connections gone')
  })

  it('a handler that throws on a one-way message does not take the process down', async () => {
    const a = await transport({id: 'a'})
    const b = await transport({id: 'b'})
    let n = 0
    b.onMessage(() => {
      n++
      throw new Error('handler bug')
    })
    a.send(addr(b), 1)
    a.send(addr(b), 2)
    await until(() => n === 2)
  })
})
