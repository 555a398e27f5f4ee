import {Args} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef} from '../src/cli/index.js'
import {cluster, type SignalResult} from '../src/cluster/index.js'

export default class Pause extends DtkCommand {
  static override summary = 'Freeze a node with SIGSTOP'
  static override description =
    'The process stops running but keeps its sockets open: peers see a node that is there but never answers, the classic GC-pause or VM-stall fault. `dtk resume` continues it.'
  static override examples = ['<%= config.bin %> pause n3', '<%= config.bin %> pause n1 --name kv --json']
  static override args = {node: Args.string({description: 'node id', required: true})}
  static override flags = {...clusterFlags}

  async run(): Promise<SignalResult> {
    const {args, flags} = await this.parse(Pause)
    const res = await cluster.pause(clusterRef(flags), args.node)
    this.out(`paused ${res.node} (pid ${res.pid}, ${res.signal})`)
    return res
  }
}
