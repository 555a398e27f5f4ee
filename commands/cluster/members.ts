import {Flags} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef, formatDuration, paint, parseDuration, renderTable} from '../../src/cli/index.js'
import {cluster} from '../../src/cluster/index.js'
import {DtkError, UsageError} from '../../src/errors/index.js'
import type {Member} from '../../src/gossip/index.js'
import type {MembersView} from '../../src/node/roles/gossip/index.js'

const STYLE = {alive: 'green', suspect: 'yellow', dead: 'red', left: 'dim'} as const

export default class ClusterMembers extends DtkCommand {
  static override summary = "Show one gossip node's view of the membership"
  static override description = `Asks a node of a gossip cluster (--role gossip) for its member list: each member's state (alive, suspect, dead, left), its incarnation number, its tags and how long ago its state last changed here. Different nodes can see different things — that is the point: compare --node n1 with --node n7 during a partition. Without --node, the first node that runs is asked. --until waits until the view shows the given states (\`n3=dead\`, \`n2=alive,n4=suspect\`; \`*\` is every other node of the cluster), checking every 100 ms, then prints it; if --timeout passes first it exits 1 and says what the view shows instead. Scripts and tutorials use it instead of \`sleep\`.`
  static override examples = [
    '<%= config.bin %> cluster members',
    '<%= config.bin %> cluster members --node n7',
    '<%= config.bin %> cluster members --node n1 --until n3=dead --timeout 10s',
    "<%= config.bin %> cluster members --until '*=alive' --json",
  ]
  static override flags = {
    ...clusterFlags,
    node: Flags.string({description: 'whose view (default: the first node that is up)'}),
    until: Flags.string({description: 'wait until the view shows these states: ID=STATE, comma-separated (* = every other node)'}),
    timeout: Flags.string({description: 'with --until: give up after this long (exit 1)', default: '30s'}),
  }

  async run(): Promise<MembersView & {node: string}> {
    const {flags} = await this.parse(ClusterMembers)
    const ref = clusterRef(flags)
    const nodeId = flags.node ?? cluster.status(ref).find((n) => n.state === 'up' || n.state === 'remote-down')?.id
    cluster.requireRole(ref, 'gossip', 'cluster members')
    if (!nodeId) throw new DtkError(`no node of cluster '${flags.name}' is up`)
    const want = flags.until ? parseUntil(flags.until, cluster.status(ref).map((n) => n.id).filter((id) => id !== nodeId)) : []
    const timeoutMs = parseDuration(flags.timeout, 'timeout', {min: 1})
    const deadline = Date.now() + timeoutMs
    let view = await cluster.roleCall<MembersView>(ref, nodeId, {op: 'members'})
    for (;;) {
      const missing = want.filter(([id, state]) => stateOf(view, id) !== state)
      if (missing.length === 0) break
      if (Date.now() >= deadline) {
        const seen = missing.map(([id, state]) => `${id} ${state} (it is ${stateOf(view, id) ?? 'unknown'})`).join(', ')
        throw new DtkError(`${nodeId} did not see ${seen} within ${flags.timeout}`)
      }
      await new Promise((r) => setTimeout(r, 100))
      view = await cluster.roleCall<MembersView>(ref, nodeId, {op: 'members'})
    }
    const recorded = new Map(cluster.status(ref).map((n) => [n.id, `${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`]))
    const rows: Array<Member & {self?: boolean}> = [{...view.self, self: true}, ...view.members]
    this.out(`${nodeId}'s view (${view.detector}):`)
    this.out(
      renderTable(rows, [
        {header: 'MEMBER', get: (m) => (m.self ? `${m.id} (self)` : m.id)},
        {header: 'STATE', get: (m) => paint(STYLE[m.state], m.state)},
        {header: 'INC', get: (m) => String(m.incarnation), align: 'right'},
        {header: 'TAGS', get: (m) => Object.entries(m.tags).filter(([k]) => k !== 'addr').map(([k, v]) => `${k}=${v}`).join(',') || '-'},
        // A detector that gossips no tags (heartbeat, phi) may not know a member's address: the cluster's record does.
        {header: 'ADDRESS', get: (m) => m.tags.addr ?? recorded.get(m.id) ?? '-'},
        {header: 'CHANGED', get: (m) => `${formatDuration(Date.now() - m.lastChange)} ago`, align: 'right'},
      ]),
    )
    return {node: nodeId, ...view}
  }
}

const STATES = ['alive', 'suspect', 'dead', 'left']

function stateOf(view: MembersView, id: string): string | undefined {
  return id === view.self.id ? view.self.state : view.members.find((m) => m.id === id)?.state
}

/** `n3=dead,n4=alive` or `*=alive` (every node in `others`) into [id, state] pairs. */
export function parseUntil(text: string, others: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)=(\w+)$/.exec(part)
    if (!m || !STATES.includes(m[2]!)) throw new UsageError(`--until '${part}' is not ID=STATE with STATE one of ${STATES.join(', ')}`)
    if (m[1] === '*') for (const id of others) out.push([id, m[2]!])
    else out.push([m[1]!, m[2]!])
  }
  if (out.length === 0) throw new UsageError('--until needs at least one ID=STATE')
  return out
}
