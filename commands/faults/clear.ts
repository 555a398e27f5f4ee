import {Flags} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef} from '../../src/cli/index.js'
import {cluster, type NetworkChange} from '../../src/cluster/index.js'

export default class FaultsClear extends DtkCommand {
  static override summary = 'Remove injected message faults (and, with no --from/--to, the partition too)'
  static override description = `With no --from/--to the network is made whole again: every message fault and the partition go. With --from and/or --to only the message faults on those links are removed.`
  static override examples = ['<%= config.bin %> faults clear', '<%= config.bin %> faults clear --from n1 --to n2 --json']
  static override flags = {
    ...clusterFlags,
    from: Flags.string({description: 'sending nodes, comma-separated'}),
    to: Flags.string({description: 'receiving nodes, comma-separated'}),
  }

  async run(): Promise<NetworkChange> {
    const {flags} = await this.parse(FaultsClear)
    const list = (s?: string) => s?.split(',').map((x) => x.trim()).filter(Boolean)
    const res = await cluster.clearFaults(clusterRef(flags), list(flags.from), list(flags.to))
    this.out(flags.from || flags.to ? `cleared faults on links ${flags.from ?? 'all'} -> ${flags.to ?? 'all'}` : 'cleared every fault: the network is whole')
    return res
  }
}
