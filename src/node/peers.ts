import {UsageError} from '../errors/index.js'
import type {PeerAddress} from '../transport/index.js'

/** Parses `n1@127.0.0.1:7001,n2@10.0.0.2:7001` (the `@host` may be omitted for 127.0.0.1). */
export function parsePeerList(text: string): PeerAddress[] {
  if (text.trim() === '') return []
  return text.split(',').map((item) => {
    const m = /^([A-Za-z0-9_.-]+)@(?:([^:@]+|\[[^\]]+\]):)?(\d{1,5})$/.exec(item.trim())
    if (!m) throw new UsageError(`peer '${item}' is not of the form id@host:port`)
    const port = Number(m[3])
    if (port < 1 || port > 65535) throw new UsageError(`peer '${item}': port out of range`)
    return {id: m[1]!, host: (m[2] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port}
  })
}

export function formatPeer(p: PeerAddress): string {
  return `${p.id}@${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`
}
