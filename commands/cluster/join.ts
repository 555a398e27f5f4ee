import {Flags} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef, parseDuration} from '../../src/cli/index.js'
import {cluster, loadState, clusterDir, type JoinResult} from '../../src/cluster/index.js'
import {guardInterrupts, plural} from '../../src/cli/interrupt.js'

export default class ClusterJoin extends DtkCommand {
  static override summary = 'Start new nodes that join the running cluster'
  static override description = `Starts one (or --count) new node process with the same role and role options as the cluster's other nodes, seeded with nodes that run now, and records it. Gossip nodes announce themselves and the others learn of them within a few protocol periods (watch \`dtk cluster events --type member\`).`
  static override examples = ['<%= config.bin %> cluster join', '<%= config.bin %> cluster join --count 3 --json', '<%= config.bin %> cluster join --id late1']
  static override flags = {
    ...clusterFlags,
    count: Flags.integer({description: 'how many nodes', default: 1, min: 1, max: 100}),
    id: Flags.string({description: 'id of the new node (default: the next nK)'}),
    wait: Flags.string({description: 'how long to wait for the new nodes to answer', default: '20s'}),
  }

  async run(): Promise<JoinResult> {
    const {flags} = await this.parse(ClusterJoin)
    const ref = clusterRef(flags)
    const before = (loadState(clusterDir(ref.stateDir, ref.name))?.nodes ?? []).map((n) => n.id)
    // Ctrl-C while the new nodes start: stop them and forget them; the nodes that ran before stay.
    const guard = guardInterrupts(async () => [`stopped ${plural(await cluster.abortJoin(ref, before), 'new node')}`])
    const res = await cluster.join({...ref, count: flags.count, id: flags.id, waitMs: parseDuration(flags.wait, 'wait', {min: 1})}).finally(() => guard.dispose())
    for (const j of res.joined) this.out(`started ${j.id} on port ${j.port} (pid ${j.pid})`)
    return res
  }
}
