import {Args, Flags} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef, parseDuration} from '../../src/cli/index.js'
import {cluster, type LeaveResult} from '../../src/cluster/index.js'

export default class ClusterLeave extends DtkCommand {
  static override summary = 'Remove a node gracefully: it says goodbye, then stops'
  static override description = `A gossip node broadcasts that it is leaving and keeps gossiping for --linger so the news spreads, then shuts down; the others mark it "left", not "dead" — no suspicion, no false alarm. The node is then removed from the cluster's records (its data dir stays). Compare with \`dtk crash\`, after which the others must detect the failure.`
  static override examples = ['<%= config.bin %> cluster leave n4', '<%= config.bin %> cluster leave n4 --linger 3s --json']
  static override args = {node: Args.string({description: 'node id', required: true})}
  static override flags = {...clusterFlags, linger: Flags.string({description: 'how long the node keeps gossiping its leave', default: '1500ms'})}

  async run(): Promise<LeaveResult> {
    const {args, flags} = await this.parse(ClusterLeave)
    const res = await cluster.leave({...clusterRef(flags), lingerMs: parseDuration(flags.linger, 'linger')}, args.node)
    this.out(res.graceful ? `${res.node} announced its leave and stopped` : `${res.node} stopped (its role has no graceful leave)`)
    return res
  }
}
