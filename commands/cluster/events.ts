import {Flags} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef} from '../../src/cli/index.js'
import {UsageError} from '../../src/errors/index.js'
import {cluster, eventFiles} from '../../src/cluster/index.js'
import type {EventRecord} from '../../src/events/index.js'

function human(e: EventRecord): string {
  const {ts, node, type, ...fields} = e
  const rest = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ')
  return `${new Date(ts).toISOString().slice(11, 23)} ${node.padEnd(4)} ${type}${rest ? ' ' + rest : ''}`
}

export default class ClusterEvents extends DtkCommand {
  static override summary = "Print the cluster's events, merged from every node in time order"
  static override description = `Each node appends JSONL events (ts, node, type, fields) to its data dir; dtk's own actions on the cluster (crash, pause, partition…) are recorded as node "dtk". Only the current run's events are shown: a cluster started again under the same name begins a new story. --node also takes a node that has left. With --json the output is JSONL, one event per line, ready for jq. --follow keeps printing new events until interrupted.`
  static override examples = [
    '<%= config.bin %> cluster events',
    '<%= config.bin %> cluster events --node n3 --type fault',
    '<%= config.bin %> cluster events --type member.suspect,member.dead',
    '<%= config.bin %> cluster events --follow --json | jq -c .',
  ]
  static override flags = {
    ...clusterFlags,
    follow: Flags.boolean({char: 'f', description: 'keep printing new events', default: false}),
    node: Flags.string({description: 'only these nodes (comma-separated)'}),
    type: Flags.string({description: 'only events whose type starts with this (comma-separated: any of them)'}),
    limit: Flags.integer({description: 'only the last N events (not with --follow)', min: 1}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(ClusterEvents)
    if (flags.limit !== undefined && flags.follow) throw new UsageError('--limit shows the last N events and --follow waits for new ones: use one or the other')
    const ref = clusterRef(flags)
    const nodes = flags.node?.split(',').map((s) => s.trim())
    const types = flags.type?.split(',').map((t) => t.trim()).filter(Boolean)
    const keep = (e: EventRecord) => !types || types.some((t) => e.type.startsWith(t))
    const print = (e: EventRecord) => process.stdout.write((this.jsonEnabled() ? JSON.stringify(e) : human(e)) + '\n')
    let recs = cluster.events(ref, nodes).filter(keep)
    if (flags.limit) recs = recs.slice(-flags.limit)
    for (const e of recs) print(e)
    if (!flags.follow) return
    const {followEvents} = await import('../../src/events/index.js')
    const handle = followEvents(() => eventFiles(ref, nodes), (e) => keep(e) && print(e))
    await new Promise<void>((resolve) => {
      const interrupted = () => {
        process.exitCode = 130
        resolve()
      }
      process.once('SIGINT', interrupted)
      process.once('SIGTERM', interrupted)
      process.once('SIGHUP', interrupted)
      process.stdout.once('error', () => resolve()) // reader went away (| head)
    })
    handle.stop()
  }
}
