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
    cluster.requireRole(ref, 'gossip', 'cluster metrics')
    const res = flags.node
      ? {answers: [{node: flags.node, answer: await cluster.roleCall<GossipCounters>(ref, flags.node, {op: 'metrics'})}], missing: [], refused: []}
      : await cluster.roleCallAll<GossipCounters>(ref, {op: 'metrics'})
    // Short headers and compact figures, so the table fits 100 columns; the legend says what each is.
    const num = (header: string, k: keyof GossipCounters, compact = false) => ({
      header,
      get: (r: {answer: GossipCounters}) => (compact ? formatCount(r.answer[k] as number) : String(r.answer[k])),
      align: 'right' as const,
    })
    this.out(
      renderTable(res.answers, [
        {header: 'NODE', get: (r) => r.node},
        num('PROBES', 'probes', true),
        num('ACKS', 'acks', true),
        num('NACKS', 'nacks', true),
        num('INDIR', 'indirectProbes', true),
        num('SUSP', 'suspicionsRaised'),
        num('REFUT', 'refutations'),
        num('FALSE+', 'falsePositives'),
        num('MSGS IN', 'messagesIn', true),
        num('MSGS OUT', 'messagesOut', true),
        num('BYTES IN', 'bytesIn', true),
        num('BYTES OUT', 'bytesOut', true),
      ]),
    )
    if (res.missing.length) this.note(`not answering: ${res.missing.join(', ')}`)
    for (const r of res.refused) this.note(`${r.node} refused: ${r.reason}`)
    return {nodes: res.answers.map((a) => ({node: a.node, metrics: a.answer})), missing: res.missing}
  }
}

/** 987, 12.3k, 4.56M: counts, compact. */
function formatCount(n: number): string {
  if (n < 10_000) return String(n)
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)}k`
  return `${(n / 1e6).toFixed(2)}M`
}
