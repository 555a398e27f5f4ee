import {Args} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef} from '../src/cli/index.js'
import {cluster, type SignalResult} from '../src/cluster/index.js'

export default class Resume extends DtkCommand {
  static override summary = 'Continue a paused node with SIGCONT'
  static override description =
    'The node picks up where it stopped; timers that fired while it was frozen run at once.'
  static override examples = ['<%= config.bin %> resume n3', '<%= config.bin %> resume n1 --name kv --json']
  static override args = {node: Args.string({description: 'node id', required: true})}
  static override flags = {...clusterFlags}

  async run(): Promise<SignalResult> {
    const {args, flags} = await this.parse(Resume)
    const res = await cluster.resume(clusterRef(flags), args.node)
    this.out(`resumed ${res.node} (pid ${res.pid}, ${res.signal})`)
    return res
  }
}
