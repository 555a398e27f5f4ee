import {Args} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef} from '../src/cli/index.js'
import {cluster, type RestartResult} from '../src/cluster/index.js'

export default class Restart extends DtkCommand {
  static override summary = 'Start a node again with the same id, port and data dir'
  static override description = `If the node is running (or paused) it is stopped first with SIGTERM. The new process recovers from its data dir and gets back the partition and message faults recorded for it: restarting a process does not heal the network.`
  static override examples = ['<%= config.bin %> restart n3', '<%= config.bin %> restart n3 --name kv --json']
  static override args = {node: Args.string({description: 'node id', required: true})}
  static override flags = {...clusterFlags}

  async run(): Promise<RestartResult> {
    const {args, flags} = await this.parse(Restart)
    const res = await cluster.restart(clusterRef(flags), args.node)
    this.out(`restarted ${res.node} on port ${res.port} (pid ${res.pid}${res.wasRunning ? ', stopped the old process first' : ''})`)
    return res
  }
}
