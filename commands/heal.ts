import {DtkCommand, clusterFlags, clusterRef} from '../src/cli/index.js'
import {cluster, type NetworkChange} from '../src/cluster/index.js'

export default class Heal extends DtkCommand {
  static override summary = 'Remove the partition: every node can reach every other again'
  static override description = 'Message faults set with `dtk faults set` stay; `dtk faults clear` removes those too.'
  static override examples = ['<%= config.bin %> heal', '<%= config.bin %> heal --name kv --json']
  static override flags = {...clusterFlags}

  async run(): Promise<NetworkChange> {
    const {flags} = await this.parse(Heal)
    const res = await cluster.heal(clusterRef(flags))
    this.out(`healed: all ${res.applied.length + res.unreachable.length} nodes can reach each other`)
    if (res.unreachable.length) this.note(`not running now: ${res.unreachable.join(', ')}`)
    return res
  }
}
