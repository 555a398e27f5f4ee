import {Args} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef} from '../src/cli/index.js'
import {cluster, type NetworkChange} from '../src/cluster/index.js'

export default class Partition extends DtkCommand {
  static override summary = 'Split the cluster into sides that cannot reach each other'
  static override description = `Each argument is one side, a comma-separated list of nodes. Nodes not named form one more side, so \`dtk partition n1\` isolates n1. Messages across the cut are dropped silently in each node's transport, so requests across it time out, as they would on a real network. \`dtk heal\` undoes it. A new partition replaces the previous one.`
  static override examples = ['<%= config.bin %> partition n1,n2 n3,n4,n5', '<%= config.bin %> partition n3', '<%= config.bin %> partition n1,n2 --json']
  static override strict = false
  static override args = {sides: Args.string({description: 'a side: node ids separated by commas (repeat for more sides)', required: true})}
  static override flags = {...clusterFlags}

  async run(): Promise<NetworkChange> {
    const {argv, flags} = await this.parse(Partition)
    const res = await cluster.partition(clusterRef(flags), argv as string[])
    this.out(`partitioned: ${res.partition!.map((g) => `{${g.join(', ')}}`).join(' | ')}`)
    if (res.unreachable.length) this.note(`not running now, gets the partition when restarted: ${res.unreachable.join(', ')}`)
    return res
  }
}
