import {Args, Flags} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef, parseDuration} from '../../src/cli/index.js'
import {cluster, rebalanceLine, type LeaveResult, type RebalanceProgress} from '../../src/cluster/index.js'

export default class ClusterLeave extends DtkCommand {
  static override summary = 'Remove a node gracefully: it says goodbye, then stops'
  static override description = `A gossip node broadcasts that it is leaving and keeps gossiping for --linger so the news spreads, then shuts down; the others mark it "left", not "dead" — no suspicion, no false alarm. The node is then removed from the cluster's records (its data dir stays). A shard node (role shard) first moves every key it holds to the nodes the ring now gives them to, and the command waits for that (--wait), with a progress line on a terminal. Compare with \`dtk crash\`, after which the others must detect the failure.`
  static override examples = ['<%= config.bin %> cluster leave n4', '<%= config.bin %> cluster leave n4 --linger 3s --json', '<%= config.bin %> cluster leave n6 --name shards --wait 2m']
  static override args = {node: Args.string({description: 'node id', required: true})}
  static override flags = {
    ...clusterFlags,
    linger: Flags.string({description: 'how long the node keeps gossiping its leave', default: '1500ms'}),
    wait: Flags.string({description: 'shard role: how long to wait for its keys to move away', default: '10m'}),
  }

  async run(): Promise<LeaveResult> {
    const {args, flags} = await this.parse(ClusterLeave)
    const err = process.stderr
    const draw = !this.jsonEnabled() && err.isTTY && err.columns > 0
    const onProgress = (p: RebalanceProgress) => draw && err.write(`\r${rebalanceLine(p).slice(0, err.columns - 1)}\u001b[K`)
    const res = await cluster
      .leave({...clusterRef(flags), lingerMs: parseDuration(flags.linger, 'linger'), waitMs: parseDuration(flags.wait, 'wait', {min: 1}), onProgress}, args.node)
      .finally(() => draw && err.write('\r\u001b[K'))
    this.out(res.graceful ? `${res.node} announced its leave and stopped` : `${res.node} stopped (its role has no graceful leave)`)
    return res
  }
}
