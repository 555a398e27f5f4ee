import {createServer} from 'node:net'
import {DtkError, UsageError} from '../errors/index.js'

type Bind = {port: number} | {code: string}

function tryBind(host: string, port: number): Promise<Bind> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', (e: NodeJS.ErrnoException) => resolve({code: e.code ?? 'ERROR'}))
    srv.listen({host, port, exclusive: true}, () => {
      const addr = srv.address()
      const bound = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve({port: bound}))
    })
  })
}

/** Why nodes could not bind `host` at all, in words; undefined for a port-level problem. */
function hostProblem(host: string, code: string): string | undefined {
  if (code === 'EADDRNOTAVAIL') return `--host ${host} is not an address of this machine, so no node can bind it (use 127.0.0.1, or an address \`ip addr\` lists)`
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NONAME') return `--host ${host} does not resolve to an address (${code})`
  if (code === 'EAFNOSUPPORT') return `--host ${host}: this machine has no network of that address family`
  return undefined
}

/**
 * Ports for `count` nodes: `base, base+1, …` when a base is given (each checked free, so a clash is
 * a clear error before any process starts), else ports the kernel hands out as free right now.
 * An address that is not this machine's fails at once, naming the address, before any port is blamed.
 */
export async function allocatePorts(host: string, count: number, base?: number): Promise<number[]> {
  const probe = await tryBind(host, 0)
  if ('code' in probe) {
    const why = hostProblem(host, probe.code)
    throw why ? new UsageError(why) : new DtkError(`cannot bind ${host}: ${probe.code}`)
  }
  const ports: number[] = []
  for (let i = 0; i < count; i++) {
    if (base !== undefined) {
      const want = base + i
      if (want > 65535) throw new DtkError(`port ${want} is out of range (use a lower --base-port)`)
      const r = await tryBind(host, want)
      if ('code' in r) {
        if (r.code === 'EADDRINUSE') throw new DtkError(`port ${want} on ${host} is in use (choose another --base-port)`)
        if (r.code === 'EACCES') throw new DtkError(`port ${want} on ${host} needs privileges (choose a --base-port above 1023)`)
        throw new DtkError(`cannot bind ${host}:${want}: ${r.code}`)
      }
      ports.push(want)
    } else {
      // The kernel's free ports; bounded, in case it keeps handing out one already taken here.
      for (let attempt = 0; ; attempt++) {
        const r = await tryBind(host, 0)
        if ('port' in r && !ports.includes(r.port)) {
          ports.push(r.port)
          break
        }
        if (attempt >= 100) throw new DtkError(`no free port on ${host} after 100 tries${'code' in r ? ` (${r.code})` : ''}`)
      }
    }
  }
  return ports
}
