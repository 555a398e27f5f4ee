import {DtkCommand} from '../../src/cli/index.js'
import {oclifFlag} from '../../src/cli/gossip-flags.js'
import {nodeRunFlags, type NodeRunValues} from '../../src/node/run-flags.js'

export default class NodeRun extends DtkCommand {
  static override summary = 'Run one dtk node process in the foreground'
  static override description = `Hosts one role (echo, kv-local, …) on a TCP port, answers the control protocol that the cluster and fault commands use, and appends JSONL events to <data-dir>/events.jsonl. It runs until SIGTERM or SIGINT, then shuts down cleanly. \`dtk cluster up\` starts these for you; run one by hand to put a node on another machine or network namespace (see --host).`
  static override examples = [
    '<%= config.bin %> node run --id n1 --port 7101 --data-dir /tmp/n1',
    '<%= config.bin %> node run --id n2 --port 7102 --data-dir /tmp/n2 --role kv-local --seed-peers n1@127.0.0.1:7101',
    '<%= config.bin %> node run --id m1 --host 10.0.0.2 --port 7101 --data-dir /var/lib/dtk/m1',
    'DTK_SECRET=$(dtk cluster keys generate) <%= config.bin %> node run --id g2 --port 7102 --data-dir /tmp/g2 --role gossip --seed-peers g1@127.0.0.1:7101',
  ]
  static override flags = Object.fromEntries(Object.entries(nodeRunFlags).map(([name, spec]) => [name, oclifFlag(spec)]))

  async run(): Promise<{id: string; host: string; port: number; pid: number}> {
    const {flags} = (await this.parse(NodeRun as never)) as {flags: Record<string, unknown>}
    const {startNode, nodeOptionsFrom} = await import('../../src/node/index.js')
    const node = await startNode(await nodeOptionsFrom(flags as unknown as NodeRunValues))
    process.once('SIGTERM', () => void node.stop('SIGTERM'))
    process.once('SIGINT', () => void node.stop('SIGINT'))
    this.note(`node ${node.id} (${String(flags.role)}) listening on ${node.address.host}:${node.address.port}, pid ${process.pid}`)
    await node.stopped
    return {id: node.id, host: node.address.host, port: node.address.port, pid: process.pid}
  }
}
