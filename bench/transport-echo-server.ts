/**
 * Second process for the transport bench's RPC round trips: a dtk Transport that echoes every
 * request, and a raw TCP server that echoes bytes (the no-codec baseline). Prints its ports as one
 * JSON line on stdout and exits when stdin closes.
 */
import net from 'node:net'
import {Transport} from '../src/transport/index.js'

const t = await Transport.listen({id: 'echo', maxQueueBytes: 256 * 1024 * 1024})
t.onRequest((m) => m)

// The raw baseline splits frames and writes each one back by itself: no codec, no coalescing.
const raw = net.createServer({noDelay: true}, (s) => {
  let pending: Buffer | null = null
  s.on('data', (d: Buffer) => {
    const buf: Buffer = pending ? Buffer.concat([pending, d]) : d
    pending = null
    let off = 0
    while (buf.length - off >= 4) {
      const end = off + 4 + buf.readUInt32BE(off)
      if (end > buf.length) break
      s.write(buf.subarray(off, end))
      off = end
    }
    if (off < buf.length) pending = buf.subarray(off)
  })
  s.on('error', () => {})
})
await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r))

process.stdout.write(JSON.stringify({dtk: t.address.port, raw: (raw.address() as net.AddressInfo).port}) + '\n')
process.stdin.resume()
process.stdin.on('end', () => process.exit(0))
process.stdin.on('close', () => process.exit(0))
