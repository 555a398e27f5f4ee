import {Flags} from '@oclif/core'
import {DtkCommand, formatNumber, renderTable, startProgress} from '../../src/cli/index.js'
import {keyFlags, loadKeys} from '../../src/cli/ring-flags.js'
import {UsageError} from '../../src/errors/index.js'
import type {Algo, KeySet, Placement, RingConfig} from '../../src/hashring/index.js'

export interface CompareRow {
  algo: Algo
  /** Largest load over the fair share (1 is perfect). */
  maxOverMean: number
  /** Standard deviation of the loads, % of the mean. */
  stddevPct: number
  joinMoved: number
  joinIdeal: number
  leaveMoved: number
  leaveIdeal: number
  /** The node that left (the middle one). */
  left: string
  lookupsPerSecond: number
  memoryBytes: number
}

interface Result {
  nodes: string[]
  keys: number
  keySource: string
  rows: CompareRow[]
}

export default class RingCompare extends DtkCommand {
  static override summary = 'Every algorithm side by side: balance, keys moved on a join and a leave, lookups/s, memory'
  static override description = `Places the same keys with every algorithm on N nodes (n1…nN) and prints, for each: the balance (largest load over the fair share, and the standard deviation of the loads), the keys moved when node n(N+1) joins and when the middle node leaves, each next to the ideal (K/(N+1) and K/N), lookups per second in this process, and the memory of the lookup structure.

Jump hash cannot remove a middle bucket without renumbering the rest: the leave here leaves its bucket empty (see dtk ring plan). Bounded loads is an assignment that remembers every key, so its memory column counts only its ring and counters, and its lookups include placing each key. Keys: --keys N generated user:<i>:<hex> keys (default 100000) or --key-file.`
  static override examples = [
    '<%= config.bin %> ring compare --nodes 10 --keys 1000000',
    '<%= config.bin %> ring compare --nodes 100 --algos ring,jump,maglev',
    '<%= config.bin %> ring compare --nodes a,b,c,d --key-file keys.txt --json',
  ]
  static override flags = {
    nodes: Flags.string({char: 'n', description: 'how many nodes (named n1…nN), or the node names comma-separated', default: '10'}),
    algos: Flags.string({description: 'only these algorithms, comma-separated (default: all)'}),
    vnodes: Flags.integer({description: 'ring, bounded: points per node', default: 160, min: 1, max: 100_000}),
    'table-size': Flags.integer({description: 'maglev: lookup table size, a prime', default: 65537}),
    epsilon: Flags.string({description: 'bounded: load factor 1+ε', default: '0.25'}),
    ...keyFlags,
  }

  async run(): Promise<Result> {
    const {flags} = await this.parse(RingCompare)
    const hr = await import('../../src/hashring/index.js')
    const nodes = /^\d+$/.test(flags.nodes.trim()) ? Array.from({length: Number(flags.nodes)}, (_, i) => `n${i + 1}`) : (hr.parseNodeList(flags.nodes) as string[])
    if (nodes.length < 2) throw new UsageError('--nodes: compare needs at least 2 nodes (a leave must leave someone)')
    if (nodes.includes(null as unknown as string)) throw new UsageError('--nodes: no empty slots (~) in compare')
    const algos = flags.algos ? flags.algos.split(',').map((a) => a.trim()) : [...hr.ALGOS]
    for (const a of algos) if (!(hr.ALGOS as readonly string[]).includes(a)) throw new UsageError(`--algos: unknown algorithm '${a}' (known: ${hr.ALGOS.join(', ')})`)
    const epsilon = Number(flags.epsilon)
    if (!(epsilon > 0)) throw new UsageError(`--epsilon: '${flags.epsilon}' is not a number > 0`)
    const keys = loadKeys(flags, 100_000)
    const joiner = uniqueName(nodes)
    const leaver = nodes[Math.floor(nodes.length / 2)]!
    const progress = await startProgress('comparing', {enabled: !this.jsonEnabled()})
    const rows: CompareRow[] = []
    try {
      for (const algo of algos as Algo[]) {
        progress.update(`${algo}: ${nodes.length} nodes, ${keys.count} keys`)
        const config: RingConfig = {algo, nodes, vnodes: flags.vnodes, tableSize: flags['table-size'], epsilon}
        rows.push(compareOne(hr, config, keys, joiner, leaver))
      }
    } finally {
      progress.clear()
    }
    const result: Result = {nodes, keys: keys.count, keySource: flags['key-file'] ?? 'generated user:<i>:<hex>', rows}
    this.out(render(result, joiner, leaver))
    return result
  }
}

type Lib = typeof import('../../src/hashring/index.js')

function compareOne(hr: Lib, config: RingConfig, keys: KeySet, joiner: string, leaver: string): CompareRow {
  // Warm the lookup path on a throwaway placement, then time one pass over every key.
  const warm = hr.createPlacement(config)
  const sample = {...keys, count: Math.min(keys.count, 20_000)}
  hr.assignAll(warm, sample)
  const before = hr.createPlacement(config)
  const t0 = performance.now()
  const assignment = hr.assignAll(before, keys)
  const seconds = (performance.now() - t0) / 1000
  const stats = hr.summarizeLoads(before, hr.loadsOf(before, assignment), keys.count, 1)
  const fresh = (c: RingConfig): Placement => hr.createPlacement(c)
  const joined = fresh(hr.addNode(config, joiner))
  const left = fresh(hr.removeNode(config, leaver))
  return {
    algo: config.algo,
    maxOverMean: stats.maxOverMean,
    stddevPct: stats.stddevPct,
    joinMoved: hr.movedBetween(before, assignment, joined, keys),
    joinIdeal: hr.idealCopies(before, joined, keys.count, 1),
    leaveMoved: hr.movedBetween(before, assignment, left, keys),
    leaveIdeal: hr.idealCopies(before, left, keys.count, 1),
    left: leaver,
    lookupsPerSecond: keys.count / Math.max(seconds, 1e-9),
    memoryBytes: before.memoryBytes(),
  }
}

function uniqueName(nodes: string[]): string {
  for (let i = nodes.length + 1; ; i++) if (!nodes.includes(`n${i}`)) return `n${i}`
}

function bytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${n} B`
}

function render(r: Result, joiner: string, leaver: string): string {
  const n = r.nodes.length
  const head = `${n} nodes, ${r.keys.toLocaleString('en-US')} keys (${r.keySource}); join: ${joiner} joins, ideal K/(N+1) = ${formatNumber(r.keys / (n + 1))}; leave: ${leaver} leaves, ideal K/N = ${formatNumber(r.keys / n)}`
  const table = renderTable(r.rows, [
    {header: 'ALGO', get: (x) => x.algo},
    {header: 'MAX/MEAN', get: (x) => x.maxOverMean.toFixed(3), align: 'right'},
    {header: 'STDDEV', get: (x) => `${x.stddevPct.toFixed(2)}%`, align: 'right'},
    {header: 'JOIN MOVED', get: (x) => String(x.joinMoved), align: 'right'},
    {header: 'X IDEAL', get: (x) => (x.joinMoved / x.joinIdeal).toFixed(3), align: 'right'},
    {header: 'LEAVE MOVED', get: (x) => String(x.leaveMoved), align: 'right'},
    {header: 'X IDEAL', get: (x) => (x.leaveMoved / x.leaveIdeal).toFixed(3), align: 'right'},
    {header: 'LOOKUPS/S', get: (x) => formatNumber(x.lookupsPerSecond), align: 'right'},
    {header: 'MEMORY', get: (x) => bytes(x.memoryBytes), align: 'right'},
  ])
  return `${head}\n${table}\nJump's leave leaves an empty bucket; bounded loads' lookups include placing each key, and its memory leaves out the keys it remembers.`
}
