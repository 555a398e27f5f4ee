import {Flags} from '@oclif/core'
import {DtkCommand} from '../../src/cli/index.js'
import {gossipFlags} from '../../src/cli/gossip-flags.js'

export default class NodeRun extends DtkCommand {
  static override summary = 'Run one dtk node process in the foreground'
  static override description = `Hosts one role (echo, kv-local, …) on a TCP port, answers the control protocol that the cluster and fault commands use, and appends JSONL events to <data-dir>/events.jsonl. It runs until SIGTERM or SIGINT, then shuts down cleanly. \`dtk cluster up\` starts these for you; run one by hand to put a node on another machine or network namespace (see --host).`
  static override examples = [
    '<%= config.bin %> node run --id n1 --port 7101 --data-dir /tmp/n1',
    '<%= config.bin %> node run --id n2 --port 7102 --data-dir /tmp/n2 --role kv-local --seed-peers n1@127.0.0.1:7101',
    '<%= config.bin %> node run --id m1 --host 10.0.0.2 --port 7101 --data-dir /var/lib/dtk/m1',
    'DTK_SECRET=$(dtk cluster keys generate) <%= config.bin %> node run --id g2 --port 7102 --data-dir /tmp/g2 --role gossip --seed-peers g1@127.0.0.1:7101',
  ]
  static override flags = {
    id: Flags.string({description: 'node id, unique in its cluster', required: true}),
    host: Flags.string({description: 'address to bind; use a non-loopback address to reach other machines', default: '127.0.0.1'}),
    port: Flags.integer({description: 'TCP port to bind (0 = any free port)', required: true, min: 0, max: 65535}),
    'data-dir': Flags.string({description: 'directory for events.jsonl and role state', required: true}),
    role: Flags.string({description: 'what the node does', default: 'echo'}),
    'seed-peers': Flags.string({description: 'comma-separated id@host:port of nodes to contact first', default: ''}),
    'fault-seed': Flags.integer({description: 'seed for the fault layer, so injected drops repeat'}),
    'metrics-port': Flags.integer({description: 'gossip role: serve Prometheus metrics on this port (0 = any free port)', min: 0, max: 65535, helpGroup: 'GOSSIP'}),
    ...gossipFlags,
  }

  async run(): Promise<{id: string; host: string; port: number; pid: number}> {
    const {flags} = await this.parse(NodeRun)
    const {startNode, parsePeerList, roleNames} = await import('../../src/node/index.js')
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(flags.id)) this.error(`--id '${flags.id}' must be letters, digits, '.', '_' or '-'`, {exit: 2})
    if (!roleNames().includes(flags.role)) this.error(`--role '${flags.role}' is not a role (known: ${roleNames().join(', ')})`, {exit: 2})
    let roleOptions: Record<string, unknown> = {}
    if (flags.role === 'gossip') {
      const {parseParams, parseTags} = await import('../../src/node/roles/gossip/index.js')
      const params = parseParams(flags.param)
      if (flags['phi-threshold'] !== undefined) params.threshold = parseParams([`threshold=${flags['phi-threshold']}`]).threshold!
      roleOptions = {
        detector: flags.detector,
        profile: flags.profile,
        params,
        tags: parseTags(flags.tags),
        secret: flags.secret,
        metricsPort: flags['metrics-port'],
        seed: flags['gossip-seed'],
      }
    }
    const node = await startNode({
      roleOptions,
      id: flags.id,
      host: flags.host,
      port: flags.port,
      dataDir: flags['data-dir'],
      role: flags.role,
      seedPeers: parsePeerList(flags['seed-peers']),
      faultSeed: flags['fault-seed'],
    })
    const stop = (signal: string) => void node.stop(signal)
    process.once('SIGTERM', () => stop('SIGTERM'))
    process.once('SIGINT', () => stop('SIGINT'))
    this.note(`node ${node.id} (${flags.role}) listening on ${node.address.host}:${node.address.port}, pid ${process.pid}`)
    await node.stopped
    return {id: node.id, host: node.address.host, port: node.address.port, pid: process.pid}
  }
}
