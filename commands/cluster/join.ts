import {Flags} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef, parseDuration} from '../../src/cli/index.js'
import {cluster, loadState, clusterDir, moveCounters, rebalanceLine, watchRebalance, type JoinResult, type RebalanceProgress} from '../../src/cluster/index.js'
import {guardInterrupts, plural} from '../../src/cli/interrupt.js'

export default class ClusterJoin extends DtkCommand {
  static override summary = 'Start new nodes that join the running cluster'
  static override description = `Starts one (or --count) new node process with the same role and role options as the cluster's other nodes, seeded with nodes that run now, and records it. Gossip nodes announce themselves and the others learn of them within a few protocol periods (watch \`dtk cluster events --type member\`). Shard nodes (role shard) change the ring: the keys it now places on the new node are streamed to it, and the command waits until every node says the rebalance is over (--rebalance-wait), drawing a progress line on a terminal; \`dtk cluster events --type shard\` shows each move.`
  static override examples = ['<%= config.bin %> cluster join', '<%= config.bin %> cluster join --count 3 --json', '<%= config.bin %> cluster join --id late1']
  static override flags = {
    ...clusterFlags,
    count: Flags.integer({description: 'how many nodes', default: 1, min: 1, max: 100}),
    id: Flags.string({description: 'id of the new node (default: the next nK)'}),
    wait: Flags.string({description: 'how long to wait for the new nodes to answer', default: '20s'}),
    'rebalance-wait': Flags.string({description: 'shard role: how long to wait for the rebalance to finish (0: do not wait)', default: '10m'}),
  }

  async run(): Promise<JoinResult & {rebalance?: RebalanceProgress}> {
    const {flags} = await this.parse(ClusterJoin)
    const ref = clusterRef(flags)
    const before = (loadState(clusterDir(ref.stateDir, ref.name))?.nodes ?? []).map((n) => n.id)
    // Ctrl-C while the new nodes start: stop them and forget them; the nodes that ran before stay.
    const guard = guardInterrupts(async () => [`stopped ${plural(await cluster.abortJoin(ref, before), 'new node')}`])
    const shard = loadState(clusterDir(ref.stateDir, ref.name))?.nodes.some((n) => n.role === 'shard') ?? false
    const base = shard ? await moveCounters(ref) : undefined
    const res = await cluster.join({...ref, count: flags.count, id: flags.id, waitMs: parseDuration(flags.wait, 'wait', {min: 1})}).finally(() => guard.dispose())
    for (const j of res.joined) this.out(`started ${j.id} on port ${j.port} (pid ${j.pid})`)
    const state = loadState(clusterDir(ref.stateDir, ref.name))
    const waitMs = parseDuration(flags['rebalance-wait'], 'rebalance-wait')
    if (state && base && waitMs > 0) {
      const rebalance = await this.rebalance(ref, state.nodes.length, waitMs, base)
      this.out(`rebalanced: ${rebalance.moved} keys moved in ${(rebalance.elapsedMs / 1000).toFixed(1)} s; every node settled on a ring of ${state.nodes.length}`)
      return {...res, rebalance}
    }
    return res
  }

  /** Waits until every shard node settled on the new ring; a progress line on a terminal only. */
  private async rebalance(ref: ReturnType<typeof clusterRef>, members: number, timeoutMs: number, base: Awaited<ReturnType<typeof moveCounters>>): Promise<RebalanceProgress> {
    const err = process.stderr
    const draw = !this.jsonEnabled() && err.isTTY && err.columns > 0
    const guard = guardInterrupts(async () => ['stopped waiting; the rebalance goes on (dtk cluster events --type shard)'])
    try {
      return await watchRebalance(ref, {timeoutMs, members, base, onProgress: (p) => draw && err.write(`\r${rebalanceLine(p).slice(0, err.columns - 1)}\u001b[K`)})
    } finally {
      guard.dispose()
      if (draw) err.write('\r\u001b[K')
    }
  }
}
