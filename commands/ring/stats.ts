import {Flags} from '@oclif/core'
import {DtkCommand, formatNumber, paint, renderTable} from '../../src/cli/index.js'
import {keyFlags, loadKeys, ringConfigFrom, ringFlags} from '../../src/cli/ring-flags.js'
import type {LoadStats, NodeLoad} from '../../src/hashring/index.js'

type Result = LoadStats & {algo: string; nodeList: Array<string | null>; keySource: string}

export default class RingStats extends DtkCommand {
  static override summary = 'Count the keys each node gets: per-node load, max/mean and standard deviation'
  static override description = `Places a set of keys (generated user:<i>:<hex> keys with --keys N, default 100000, or the lines of --key-file) and prints each node's keys next to its fair share (weights counted), the largest load over its fair share (max/mean: 1.00 is perfect), and the standard deviation of the loads. On a terminal each node also gets a bar; in a pipe the table stays plain. With --replicas R every key counts once on each of its R nodes.`
  static override examples = [
    '<%= config.bin %> ring stats --nodes a,b,c,d --keys 1000000',
    '<%= config.bin %> ring stats --nodes a,b,c --algo maglev --key-file keys.txt',
    '<%= config.bin %> ring stats --nodes a,b,c --weights a=2 --json',
    '<%= config.bin %> ring stats --nodes a,b,c,d,e --algo ring --vnodes 10',
  ]
  static override flags = {
    nodes: Flags.string({char: 'n', description: 'the nodes, comma-separated (a,b,c)', required: true}),
    ...ringFlags,
    ...keyFlags,
  }

  async run(): Promise<Result> {
    const {flags} = await this.parse(RingStats)
    const {createPlacement, loadStats} = await import('../../src/hashring/index.js')
    const config = ringConfigFrom(flags, flags.nodes)
    const placement = createPlacement(config)
    placement.checkReplicas(flags.replicas)
    const keys = loadKeys(flags, 100_000)
    const keySource = flags['key-file'] ?? 'generated user:<i>:<hex>'
    const stats = loadStats(placement, keys, flags.replicas)
    const result: Result = {algo: config.algo, nodeList: placement.slots as Array<string | null>, keySource, ...stats}
    this.out(render(result, Boolean(process.stdout.isTTY)))
    return result
  }
}

function render(r: Result, tty: boolean): string {
  const head = `${r.algo}, ${r.nodes.length} nodes, ${r.keys.toLocaleString('en-US')} keys (${r.keySource}), ${r.replicas} ${r.replicas === 1 ? 'replica' : 'replicas'} each`
  const top = Math.max(...r.nodes.map((n) => n.keys))
  const columns = [
    {header: 'NODE', get: (n: NodeLoad) => n.node},
    {header: 'KEYS', get: (n: NodeLoad) => String(n.keys), align: 'right' as const},
    {header: 'SHARE', get: (n: NodeLoad) => `${((100 * n.keys) / (r.keys * r.replicas)).toFixed(1)}%`, align: 'right' as const},
    {header: 'FAIR', get: (n: NodeLoad) => n.expected.toFixed(0), align: 'right' as const},
    {header: 'LOAD', get: (n: NodeLoad) => `${n.ratio.toFixed(2)}x`, align: 'right' as const},
  ]
  if (tty) {
    // A bar per node, only for people: scripts get the plain table (or --json).
    columns.push({
      header: '',
      get: (n: NodeLoad) => {
        const bar = '█'.repeat(Math.max(1, Math.round((30 * n.keys) / Math.max(1, top))))
        return n.ratio > 1.1 ? paint('yellow', bar) : bar
      },
    })
  }
  const table = renderTable(r.nodes, columns)
  const tail =
    `max/mean ${r.maxOverMean.toFixed(3)}; standard deviation ${formatNumber(r.stddev)} keys (${r.stddevPct.toFixed(2)}% of the mean ${formatNumber(r.mean)}); ` +
    `min ${r.min}, max ${r.max}`
  return `${head}\n${table}\n${tail}`
}
