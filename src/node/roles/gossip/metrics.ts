/**
 * What a gossip node counts about itself. Plain numbers, read by the control RPC
 * (`dtk cluster metrics`) and exported in Prometheus text format when a metrics port is set.
 */
export interface GossipCounters {
  probes: number
  acks: number
  nacks: number
  indirectProbes: number
  pushPulls: number
  suspicionsRaised: number
  suspectEvents: number
  deadEvents: number
  refutations: number
  /** Times this node learned that others had declared it dead while it was alive. */
  falsePositives: number
  messagesIn: number
  messagesOut: number
  bytesIn: number
  bytesOut: number
  /** Inputs dropped before the core: failed authentication, decoding or validation (by reason: `rejects`). */
  rejected: number
  /** Messages the core wanted sent to a member whose address is not known yet. */
  unroutable: number
  /** UDP messages that did not fit one datagram and went out with their updates split off. */
  splits: number
}

/** What `dtk cluster metrics` shows of a gossip node: the counters, rejects by reason, and the UDP endpoint's own. */
export interface GossipMetrics extends GossipCounters {
  rejects: Record<string, number>
  udp: {datagramsIn: number; datagramsOut: number; bytesIn: number; bytesOut: number; badDatagrams: number; dropped: number}
}

export function newCounters(): GossipCounters {
  return {
    probes: 0,
    acks: 0,
    nacks: 0,
    indirectProbes: 0,
    pushPulls: 0,
    suspicionsRaised: 0,
    suspectEvents: 0,
    deadEvents: 0,
    refutations: 0,
    falsePositives: 0,
    messagesIn: 0,
    messagesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    rejected: 0,
    unroutable: 0,
    splits: 0,
  }
}

const HELP: Record<keyof GossipCounters, string> = {
  probes: 'pings sent: direct probes, and re-checks of members this node holds suspect',
  acks: 'acks received',
  nacks: 'nacks received (Lifeguard)',
  indirectProbes: 'indirect probe requests (ping-req) sent',
  pushPulls: 'push-pull full state syncs sent',
  suspicionsRaised: 'suspicions this node raised',
  suspectEvents: 'members this node saw become suspect',
  deadEvents: 'members this node saw declared dead',
  refutations: 'times this node refuted a suspicion of itself',
  falsePositives: 'times others declared this node dead while it was alive',
  messagesIn: 'gossip messages received',
  messagesOut: 'gossip messages sent',
  bytesIn: 'gossip bytes received',
  bytesOut: 'gossip bytes sent',
  rejected: 'inputs dropped before the detector core, by reason: failed authentication (unopened), decoding (undecodable) or validation (see src/gossip/validate.ts)',
  unroutable: 'messages not sent because the member address was unknown',
  splits: 'UDP messages too large for one datagram, sent with their piggybacked updates split off',
}

function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())
}

export interface MetricsServer {
  port: number
  close(): Promise<void>
}

/** Serves `/metrics` in Prometheus text format through prom-client (loaded only when asked for). */
export async function serveMetrics(
  host: string,
  port: number,
  read: () => {counters: GossipCounters; rejects: Record<string, number>; members: Record<string, number>},
  labels: {node: string; detector: string},
): Promise<MetricsServer> {
  const prom = await import('prom-client')
  const {createServer} = await import('node:http')
  const registry = new prom.Registry()
  registry.setDefaultLabels(labels)
  for (const key of Object.keys(HELP) as Array<keyof GossipCounters>) {
    if (key === 'rejected') continue
    new prom.Counter({
      name: `dtk_gossip_${snake(key)}_total`,
      help: HELP[key],
      registers: [registry],
      collect() {
        this.reset()
        this.inc(read().counters[key])
      },
    })
  }
  new prom.Counter({
    name: 'dtk_gossip_rejected_total',
    help: HELP.rejected,
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [reason, n] of Object.entries(read().rejects)) this.inc({reason}, n)
    },
  })
  new prom.Gauge({
    name: 'dtk_gossip_members',
    help: 'members in this node\'s view, by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [state, n] of Object.entries(read().members)) this.set({state}, n)
    },
  })
  prom.collectDefaultMetrics({register: registry})
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end('not found: try /metrics\n')
      return
    }
    registry.metrics().then(
      (text) => res.writeHead(200, {'content-type': registry.contentType}).end(text),
      (error: Error) => res.writeHead(500).end(error.message),
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  const addr = server.address()
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () => new Promise((r) => server.close(() => r())),
  }
}
