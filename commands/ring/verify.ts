import {Flags} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef, parseDuration, renderTable} from '../../src/cli/index.js'
import {cluster} from '../../src/cluster/index.js'
import {DtkError} from '../../src/errors/index.js'
import {verifyRing, type VerifyReport} from '../../src/shard/index.js'

interface RingAnswer {
  version: string
  members: string[]
  spec: {partitions: number; replicas: number; algo: 'ring' | 'ketama' | 'rendezvous' | 'maglev'; vnodes: number}
}

interface HoldingsPage {
  total: number
  offset: number
  keys: [string, number][]
}

export interface VerifyResult extends VerifyReport {
  ring: {version: string; members: string[]; partitions: number; replicas: number; spec: RingAnswer['spec']}
  /** Nodes whose keys could not be read (down, or not answering): the check is incomplete. */
  unreachable: string[]
  /** Nodes whose ring differs from the one checked against (a rebalance still spreading). */
  disagree: string[]
}

export default class RingVerify extends DtkCommand {
  static override summary = 'Check that every key of a shard cluster is where the ring says'
  static override description = `Asks every node of a shard cluster (dtk cluster up --role shard) for the keys it holds and for its ring, then counts per node the copies it holds (KEYS), the copies the ring wants it to hold (OWNED), copies it holds that the ring gives to other nodes (MISPLACED) and copies it should hold but does not (MISSING); and over the cluster, keys held by fewer owners than R (under-replicated) and owners' copies older than another copy (stale). Exit 0 when clean; exit 1 when anything is misplaced, missing or stale, when a node cannot be read, or when the nodes' rings differ (a rebalance still going on: wait for it, e.g. with dtk cluster join's own wait, or --wait). docs/shard.md explains each count.`
  static override examples = [
    '<%= config.bin %> ring verify --name shards',
    '<%= config.bin %> ring verify --name shards --json | jq .nodes',
    '<%= config.bin %> cluster join --name shards && <%= config.bin %> ring verify --name shards',
    '<%= config.bin %> ring verify --name shards --wait 30s',
  ]
  static override flags = {
    ...clusterFlags,
    name: Flags.string({char: 'c', description: 'cluster name', default: 'default', env: 'DTK_CLUSTER', aliases: ['cluster']}),
    wait: Flags.string({description: 'check again every 500 ms until clean, for at most this long (e.g. 30s); then print the last check'}),
  }

  async run(): Promise<VerifyResult> {
    const {flags} = await this.parse(RingVerify)
    const ref = clusterRef(flags)
    cluster.requireRole(ref, 'shard', 'ring verify')
    const deadline = Date.now() + (flags.wait ? parseDuration(flags.wait, 'wait', {min: 1}) : 0)
    let result = await this.check(ref)
    while (!result.clean && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500))
      result = await this.check(ref)
    }
    return this.print(result)
  }

  private async check(ref: ReturnType<typeof clusterRef>): Promise<VerifyResult & {clean: boolean}> {
    const rings = await cluster.roleCallAll<RingAnswer>(ref, {op: 'ring'}, 3000)
    if (rings.answers.length === 0) throw new DtkError(`no node of cluster '${ref.name}' answered (${[...rings.missing, ...rings.refused.map((r) => r.node)].join(', ') || 'none recorded'})`)
    // The ring the most nodes hold is the one keys are checked against; the others are listed.
    const votes = new Map<string, number>()
    for (const a of rings.answers) votes.set(a.answer.version, (votes.get(a.answer.version) ?? 0) + 1)
    const version = [...votes.entries()].sort((a, b) => b[1] - a[1])[0]![0]
    const ring = rings.answers.find((a) => a.answer.version === version)!.answer
    const disagree = rings.answers.filter((a) => a.answer.version !== version).map((a) => a.node)
    const unreachable = [...rings.missing, ...rings.refused.map((r) => r.node)]
    const holdings: Record<string, [string, number][]> = {}
    for (const a of rings.answers) {
      try {
        holdings[a.node] = await this.holdingsOf(ref, a.node)
      } catch {
        unreachable.push(a.node)
      }
    }
    const report = verifyRing({members: ring.members, spec: ring.spec, holdings, unreachable})
    const clean = report.ok && unreachable.length === 0 && disagree.length === 0
    return {...report, ring: {version, members: ring.members, partitions: ring.spec.partitions, replicas: ring.spec.replicas, spec: ring.spec}, unreachable, disagree, clean}
  }

  private print(result: VerifyResult & {clean: boolean}): VerifyResult {
    const {clean, ...out} = result
    const report = result
    const ring = {members: result.ring.members, spec: result.ring.spec}
    const {unreachable, disagree} = result
    this.out(
      renderTable(report.nodes, [
        {header: 'NODE', get: (n) => n.node},
        {header: 'IN RING', get: (n) => (ring.members.includes(n.node) ? 'yes' : 'no')},
        {header: 'KEYS', get: (n) => String(n.keys), align: 'right'},
        {header: 'OWNED', get: (n) => String(n.owned), align: 'right'},
        {header: 'MISPLACED', get: (n) => String(n.misplaced), align: 'right'},
        {header: 'MISSING', get: (n) => String(n.missing), align: 'right'},
      ]),
    )
    const problems = [
      report.misplaced && `${report.misplaced} misplaced`,
      report.missing && `${report.missing} missing`,
      report.underReplicated && `${report.underReplicated} keys under-replicated`,
      report.stale && `${report.stale} stale`,
      unreachable.length > 0 && `unreadable: ${unreachable.join(', ')}`,
      disagree.length > 0 && `rings differ on ${disagree.join(', ')}`,
    ].filter(Boolean)
    const head = `${report.keys} keys on ${ring.members.length} ring members, R = ${Math.min(ring.spec.replicas, ring.members.length)}`
    this.out(clean ? `clean: ${head}` : `NOT clean: ${head}; ${problems.join('; ')}`)
    for (const [node, key] of report.examples.misplaced.slice(0, 3)) this.note(`misplaced: ${key} on ${node}`)
    for (const [node, key] of report.examples.missing.slice(0, 3)) this.note(`missing: ${key} on ${node}`)
    if (!clean) process.exitCode = 1
    return out
  }

  /** A node's `[key, version]` pairs, page by page. */
  private async holdingsOf(ref: ReturnType<typeof clusterRef>, node: string): Promise<[string, number][]> {
    const out: [string, number][] = []
    for (let offset = 0; ; ) {
      const page = await cluster.roleCall<HoldingsPage>(ref, node, {op: 'holdings', offset}, 10_000)
      out.push(...page.keys)
      offset += page.keys.length
      if (page.keys.length === 0 || offset >= page.total) return out
    }
  }
}
