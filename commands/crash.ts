import {Args} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef} from '../src/cli/index.js'
import {cluster, type SignalResult} from '../src/cluster/index.js'

export default class Crash extends DtkCommand {
  static override summary = 'SIGKILL the node, as a power cut would'
  static override description =
    'Kills the node process with SIGKILL: no shutdown, no flush. Its data dir stays, and `dtk restart` brings it back with the same id, port and data.'
  static override examples = ['<%= config.bin %> crash n3', '<%= config.bin %> crash n1 --name kv --json']
  static override args = {node: Args.string({description: 'node id', required: true})}
  static override flags = {...clusterFlags}

  async run(): Promise<SignalResult> {
    const {args, flags} = await this.parse(Crash)
    const res = await cluster.crash(clusterRef(flags), args.node)
    this.out(`crashed ${res.node} (pid ${res.pid}, ${res.signal})`)
    return res
  }
}
