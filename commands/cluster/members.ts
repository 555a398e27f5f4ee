import {Flags} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef, formatDuration, paint, renderTable} from '../../src/cli/index.js'
import {cluster} from '../../src/cluster/index.js'
import {DtkError} from '../../src/errors/index.js'
import type {Member} from '../../src/gossip/index.js'
import type {MembersView} from '../../src/node/roles/gossip/index.js'

const STYLE = {alive: 'green', suspect: 'yellow', dead: 'red', left: 'dim'} as const

export default class ClusterMembers extends DtkCommand {
  static override summary = "Show one gossip node's view of the membership"
  static override description = `Asks a node of a gossip cluster (--role gossip) for its member list: each member's state (alive, suspect, dead, left), its incarnation number, its tags and how long ago its state last changed here. Different nodes can see different things — that is the point: compare --node n1 with --node n7 during a partition. Without --node, the first node that runs is asked.`
  static override examples = ['<%= config.bin %> cluster members', '<%= config.bin %> cluster members --node n7', '<%= config.bin %> cluster members --node n2 --json']
  static override flags = {...clusterFlags, node: Flags.string({description: 'whose view (default: the first node that is up)'})}

  async run(): Promise<MembersView & {node: string}> {
    const {flags} = await this.parse(ClusterMembers)
    const ref = clusterRef(flags)
    const nodeId = flags.node ?? cluster.status(ref).find((n) => n.state === 'up' || n.state === 'remote-down')?.id
    if (!nodeId) throw new DtkError(`no node of cluster '${flags.name}' is up`)
    const view = await cluster.roleCall<MembersView>(ref, nodeId, {op: 'members'})
    const rows: Array<Member & {self?: boolean}> = [{...view.self, self: true}, ...view.members]
    this.out(`${nodeId}'s view (${view.detector}):`)
    this.out(
      renderTable(rows, [
        {header: 'MEMBER', get: (m) => (m.self ? `${m.id} (self)` : m.id)},
        {header: 'STATE', get: (m) => paint(STYLE[m.state], m.state)},
        {header: 'INC', get: (m) => String(m.incarnation), align: 'right'},
        {header: 'TAGS', get: (m) => Object.entries(m.tags).filter(([k]) => k !== 'addr').map(([k, v]) => `${k}=${v}`).join(',') || '-'},
        {header: 'ADDRESS', get: (m) => m.tags.addr ?? '-'},
        {header: 'CHANGED', get: (m) => `${formatDuration(Date.now() - m.lastChange)} ago`, align: 'right'},
      ]),
    )
    return {node: nodeId, ...view}
  }
}
