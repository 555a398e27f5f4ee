import {Flags} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef, renderTable} from '../../src/cli/index.js'
import {cluster} from '../../src/cluster/index.js'
import type {GossipCounters} from '../../src/node/roles/gossip/index.js'

export default class ClusterMetrics extends DtkCommand {
  static override summary = "Show every gossip node's counters"
  static override description = `Probes, acks, nacks and indirect probes sent; suspicions raised and refuted; false positives (times a node learned it had been declared dead while alive); messages and bytes in and out. The same counters are served in Prometheus text format at /metrics when nodes are started with --metrics-base-port (or \`dtk node run --metrics-port\`).`
  static override examples = ['<%= config.bin %> cluster metrics', '<%= config.bin %> cluster metrics --node n3 --json']
  static override flags = {...clusterFlags, node: Flags.string({description: 'only this node'})}

  async run(): Promise<{nodes: Array<{node: string; metrics: GossipCounters}>; missing: string[]}> {
    const {flags} = await this.parse(ClusterMetrics)
    const ref = clusterRef(flags)
    const res = flags.node
      ? {answers: [{node: flags.node, answer: await cluster.roleCall<GossipCounters>(ref, flags.node, {op: 'metrics'})}], missing: []}
      : await cluster.roleCallAll<GossipCounters>(ref, {op: 'metrics'})
    const num = (k: keyof GossipCounters) => ({header: k.replace(/[A-Z]/g, (c) => ' ' + c).toUpperCase(), get: (r: {answer: GossipCounters}) => String(r.answer[k]), align: 'right' as const})
    this.out(
      renderTable(res.answers, [
        {header: 'NODE', get: (r) => r.node},
        num('probes'),
        num('acks'),
        num('nacks'),
        num('indirectProbes'),
        num('suspicionsRaised'),
        num('refutations'),
        num('falsePositives'),
        num('messagesIn'),
        num('messagesOut'),
        num('bytesIn'),
        num('bytesOut'),
      ]),
    )
    if (res.missing.length) this.note(`not answering: ${res.missing.join(', ')}`)
    return {nodes: res.answers.map((a) => ({node: a.node, metrics: a.answer})), missing: res.missing}
  }
}
