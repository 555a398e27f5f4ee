import {DtkCommand, clusterFlags, clusterRef, renderTable} from '../../src/cli/index.js'
import {cluster} from '../../src/cluster/index.js'
import type {LinkFaults} from '../../src/transport/index.js'

function describe(f: LinkFaults): string {
  const parts: string[] = []
  if (f.block) parts.push('blocked')
  if (f.drop) parts.push(`drop ${f.drop}`)
  if (f.delayMs) parts.push(`delay ${f.delayMs}ms`)
  if (f.jitterMs) parts.push(`jitter ${f.jitterMs}ms`)
  if (f.duplicate) parts.push(`duplicate ${f.duplicate}`)
  return parts.join(', ')
}

export default class FaultsShow extends DtkCommand {
  static override summary = 'Show the partition and the faults on every link'
  static override description = 'The rules each node applies to what it sends, as recorded in the cluster state.'
  static override examples = ['<%= config.bin %> faults show', '<%= config.bin %> faults show --json']
  static override flags = {...clusterFlags}

  async run(): Promise<ReturnType<typeof cluster.faultTable>> {
    const {flags} = await this.parse(FaultsShow)
    const table = cluster.faultTable(clusterRef(flags))
    this.out(table.partition ? `partition: ${table.partition.map((g) => `{${g.join(', ')}}`).join(' | ')}` : 'no partition')
    const rows = Object.entries(table.rules).flatMap(([from, r]) => Object.entries(r).map(([to, f]) => ({from, to, f})))
    if (rows.length === 0) this.out('no message faults')
    else this.out(renderTable(rows, [{header: 'FROM', get: (r) => r.from}, {header: 'TO', get: (r) => r.to}, {header: 'FAULTS', get: (r) => describe(r.f)}]))
    return table
  }
}
