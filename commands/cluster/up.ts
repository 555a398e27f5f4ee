import {Flags} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef, renderTable, startProgress} from '../../src/cli/index.js'
import {cluster, type ClusterState} from '../../src/cluster/index.js'
import {MEMBERSHIP_ROLES, roleNames} from '../../src/node/roles/index.js'
import {gossipArgs, gossipFlags} from '../../src/cli/gossip-flags.js'
import {guardInterrupts, plural} from '../../src/cli/interrupt.js'

export default class ClusterUp extends DtkCommand {
  static override summary = 'Start a local cluster of node processes'
  static override description = `Starts N detached \`dtk node run\` processes on one host, records them under the state dir (<state-dir>/<name>/cluster.json, with each node's data dir beside it) and waits until every node answers. Nodes are named n1…nN. Without --base-port the ports are free ones the kernel picks. Starting a cluster whose name is already running is an error. Ctrl-C while the nodes start stops every one of them (exit 130).`
  static override examples = [
    '<%= config.bin %> cluster up --nodes 5',
    '<%= config.bin %> cluster up --nodes 3 --role kv-local --name kv --base-port 7100',
    '<%= config.bin %> cluster up --nodes 10 --role gossip --detector swim --profile lan',
    '<%= config.bin %> cluster up --nodes 10 --role gossip --detector phi --param interval=500ms --name phi',
    'DTK_STATE_DIR=/tmp/dtk <%= config.bin %> cluster up --nodes 5 --json',
    '<%= config.bin %> cluster up --nodes 3 --role gossip --profile fast --trace ./traces',
    '<%= config.bin %> cluster up --nodes 5 --role shard --profile fast --replicas 2 --name shards',
  ]
  static override flags = {
    ...clusterFlags,
    nodes: Flags.integer({char: 'n', description: 'number of nodes', default: 5, min: 1, max: 500}),
    role: Flags.string({char: 'r', description: `what each node does (${roleNames().join(', ')})`, default: 'echo'}),
    'base-port': Flags.integer({description: 'first TCP port; nodes get base, base+1, …', min: 1, max: 65535}),
    host: Flags.string({description: 'address the nodes bind', default: '127.0.0.1'}),
    wait: Flags.string({description: 'how long to wait for the nodes to answer', default: '20s'}),
    trace: Flags.string({description: 'directory where each node appends its JSONL trace, <dir>/<id>.jsonl (docs/trace.md)'}),
    'metrics-base-port': Flags.integer({description: 'gossip role: serve Prometheus metrics from node i on this port + i', min: 1, max: 65535, helpGroup: 'GOSSIP'}),
    ...gossipFlags,
    replicas: Flags.integer({description: 'shard role: copies of every key (R)', min: 1, max: 16, helpGroup: 'SHARD'}),
    partitions: Flags.integer({description: 'shard role: partitions of the key space', min: 1, max: 65536, helpGroup: 'SHARD'}),
    'move-rate': Flags.integer({description: 'shard role: keys per second each node sends in moves', min: 1, helpGroup: 'SHARD'}),
  }

  async run(): Promise<ClusterState> {
    const {flags} = await this.parse(ClusterUp)
    const {parseDuration} = await import('../../src/cli/duration.js')
    if (!roleNames().includes(flags.role)) this.error(`--role '${flags.role}' is not a role (known: ${roleNames().join(', ')})`, {exit: 2})
    if (MEMBERSHIP_ROLES.includes(flags.role)) {
      // Check the role options here, once, rather than in N node logs.
      const {gossipOverrides, parseTags} = await import('../../src/node/roles/gossip/index.js')
      gossipOverrides(flags)
      parseTags(flags.tags)
    }
    const ref = clusterRef(flags)
    const progress = await startProgress(`starting ${flags.nodes} nodes`, {enabled: !this.jsonEnabled()})
    let state: ClusterState
    // Ctrl-C while the nodes start: stop them all rather than leave a half-started cluster.
    const guard = guardInterrupts(async () => {
      progress.clear()
      const n = await cluster.abortCluster(ref)
      return [n > 0 ? `stopped ${plural(n, 'node')} of cluster '${ref.name}'` : `no node of cluster '${ref.name}' was running`]
    })
    try {
      state = await cluster.up({
        ...ref,
        nodes: flags.nodes,
        role: flags.role,
        host: flags.host,
        basePort: flags['base-port'],
        waitMs: parseDuration(flags.wait, 'wait', {min: 1}),
        nodeArgs: [...(MEMBERSHIP_ROLES.includes(flags.role) ? gossipArgs(flags) : []), ...(flags.role === 'shard' ? shardArgs(flags) : [])],
        secret: MEMBERSHIP_ROLES.includes(flags.role) ? flags.secret : undefined,
        metricsBasePort: MEMBERSHIP_ROLES.includes(flags.role) ? flags['metrics-base-port'] : undefined,
        traceDir: flags.trace,
        onProgress: (t) => progress.update(t),
      })
    } catch (error) {
      progress.fail(`cluster '${flags.name}' did not start`)
      throw error
    } finally {
      guard.dispose()
    }
    // The note below says it, at a terminal and in a pipeline alike.
    progress.clear()
    this.out(
      renderTable(state.nodes, [
        {header: 'ID', get: (n) => n.id},
        {header: 'PID', get: (n) => String(n.pid ?? '-'), align: 'right'},
        {header: 'ADDRESS', get: (n) => `${n.host}:${n.port}`},
        {header: 'ROLE', get: (n) => n.role},
      ]),
    )
    this.note(`${state.nodes.length} nodes of cluster '${state.name}' answering; state in ${ref.stateDir}/${state.name}`)
    return state
  }
}

/** The shard role's settings as `dtk node run` arguments (`--shard-initial` is the supervisor's). */
function shardArgs(f: {replicas?: number; partitions?: number; 'move-rate'?: number}): string[] {
  const args: string[] = []
  if (f.replicas !== undefined) args.push('--replicas', String(f.replicas))
  if (f.partitions !== undefined) args.push('--partitions', String(f.partitions))
  if (f['move-rate'] !== undefined) args.push('--move-rate', String(f['move-rate']))
  return args
}
