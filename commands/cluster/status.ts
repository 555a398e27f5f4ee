import {DtkCommand, clusterFlags, clusterRef, formatDuration, paint, renderTable} from '../../src/cli/index.js'
import type {NodeView} from '../../src/cluster/index.js'

const STATE_STYLE = {up: 'green', 'remote-up': 'green', paused: 'yellow', down: 'red', 'remote-down': 'red'} as const

export default class ClusterStatus extends DtkCommand {
  static override summary = 'Show the nodes of a cluster and whether each is up, paused or down'
  static override description = `Reads the cluster's state dir and checks each node's process on this machine (nodes added by address are asked over their control RPC). A crashed node shows as down with no pid; a node stopped with \`dtk pause\` shows as paused.`
  static override examples = ['<%= config.bin %> cluster status', '<%= config.bin %> cluster status --name kv --json']
  static override flags = {...clusterFlags}

  async run(): Promise<{cluster: string; nodes: NodeView[]}> {
    const {flags} = await this.parse(ClusterStatus)
    const {cluster} = await import('../../src/cluster/index.js')
    const nodes = await cluster.statusWithRemote(clusterRef(flags))
    this.out(
      renderTable(nodes, [
        {header: 'ID', get: (n) => n.id},
        {header: 'PID', get: (n) => (n.pid === null ? '-' : String(n.pid)), align: 'right'},
        {header: 'ADDRESS', get: (n) => `${n.host}:${n.port}`},
        {header: 'ROLE', get: (n) => n.role},
        {header: 'STATE', get: (n) => paint(STATE_STYLE[n.state], n.state)},
        {header: 'UPTIME', get: (n) => (n.uptimeMs === null ? '-' : formatDuration(n.uptimeMs)), align: 'right'},
      ]),
    )
    return {cluster: flags.name, nodes}
  }
}
