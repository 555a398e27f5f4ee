import {createServer} from 'node:net'
import {DtkError} from '../errors/index.js'

function tryBind(host: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(undefined))
    srv.listen({host, port, exclusive: true}, () => {
      const addr = srv.address()
      const bound = typeof addr === 'object' && addr ? addr.port : undefined
      srv.close(() => resolve(bound))
    })
  })
}

/**
 * Ports for `count` nodes: `base, base+1, …` when a base is given (each checked free, so a clash is
 * a clear error before any process starts), else ports the kernel hands out as free right now.
 */
export async function allocatePorts(host: string, count: number, base?: number): Promise<number[]> {
  const ports: number[] = []
  for (let i = 0; i < count; i++) {
    if (base !== undefined) {
      const want = base + i
      if (want > 65535) throw new DtkError(`port ${want} is out of range (use a lower --base-port)`)
      if ((await tryBind(host, want)) === undefined) throw new DtkError(`port ${want} on ${host} is in use (choose another --base-port)`)
      ports.push(want)
    } else {
      let p: number | undefined
      do p = await tryBind(host, 0)
      while (p === undefined || ports.includes(p))
      ports.push(p)
    }
  }
  return ports
}
