import {Args, Flags} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef, parseDuration} from '../../src/cli/index.js'
import {cluster, type PingReport} from '../../src/cluster/index.js'

export default class ClusterPing extends DtkCommand {
  static override summary = 'Have node A send an echo request to node B and report the round trip'
  static override description = `The request goes through A's transport with A's faults (and B's on the way back), so this is how to see a partition or injected delay from outside. Exits 1 when the request fails or times out.`
  static override examples = ['<%= config.bin %> cluster ping n1 n2', '<%= config.bin %> cluster ping n1 n4 --timeout 500ms --json']
  static override args = {
    from: Args.string({description: 'node that sends', required: true}),
    to: Args.string({description: 'node that answers', required: true}),
  }
  static override flags = {...clusterFlags, timeout: Flags.string({char: 't', description: 'request timeout', default: '1s'})}

  async run(): Promise<PingReport> {
    const {args, flags} = await this.parse(ClusterPing)
    const res = await cluster.ping(clusterRef(flags), args.from, args.to, parseDuration(flags.timeout, 'timeout', {min: 1}))
    if (res.ok) this.out(`${res.from} -> ${res.to}: reply in ${res.rttMs!.toFixed(2)} ms`)
    else this.out(`${res.from} -> ${res.to}: no reply (${res.code!.toLowerCase().replace('_', ' ')} after ${Math.round(res.afterMs!)} ms)`)
    if (!res.ok) process.exitCode = 1
    return res
  }
}
