import {Flags} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef, parseDuration} from '../../src/cli/index.js'
import {cluster, type NetworkChange} from '../../src/cluster/index.js'
import {UsageError} from '../../src/errors/index.js'
import type {LinkFaults} from '../../src/transport/index.js'

function probability(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v.endsWith('%') ? Number(v.slice(0, -1)) / 100 : v)
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new UsageError(`--${flag} must be a probability between 0 and 1 (or 0%–100%), not '${v}'`)
  return n
}

export default class FaultsSet extends DtkCommand {
  static override summary = 'Drop, delay or duplicate messages on links between nodes'
  static override description = `Faults act in the sending node's transport on every message (TCP frames and UDP datagrams) from --from to --to; by default from every node to every peer. They add to what is already set on a link (set --drop 0 to remove only the drop). Control traffic from dtk itself is never faulted.`
  static override examples = [
    '<%= config.bin %> faults set --drop 0.2',
    '<%= config.bin %> faults set --delay 50ms --jitter 10ms --from n1 --to n2,n3',
    '<%= config.bin %> faults set --duplicate 5% --json',
  ]
  static override flags = {
    ...clusterFlags,
    drop: Flags.string({description: 'probability of dropping each message (0–1 or %)'}),
    delay: Flags.string({description: 'added one-way delay, e.g. 50ms'}),
    jitter: Flags.string({description: 'extra random delay, uniform in [0, jitter]'}),
    duplicate: Flags.string({description: 'probability of delivering a message twice'}),
    from: Flags.string({description: 'sending nodes, comma-separated (default: all)'}),
    to: Flags.string({description: 'receiving nodes, comma-separated (default: all)'}),
  }

  async run(): Promise<NetworkChange> {
    const {flags} = await this.parse(FaultsSet)
    const faults: LinkFaults = {}
    const drop = probability(flags.drop, 'drop')
    const dup = probability(flags.duplicate, 'duplicate')
    if (drop !== undefined) faults.drop = drop
    if (dup !== undefined) faults.duplicate = dup
    if (flags.delay !== undefined) faults.delayMs = parseDuration(flags.delay, 'delay')
    if (flags.jitter !== undefined) faults.jitterMs = parseDuration(flags.jitter, 'jitter')
    if (Object.keys(faults).length === 0) throw new UsageError('nothing to set: give at least one of --drop, --delay, --jitter, --duplicate')
    const list = (s?: string) => s?.split(',').map((x) => x.trim()).filter(Boolean)
    const res = await cluster.setFaults(clusterRef(flags), faults, list(flags.from), list(flags.to))
    const what = Object.entries(faults).map(([k, v]) => `${k}=${v}`).join(' ')
    this.out(`set ${what} on links ${flags.from ?? 'all'} -> ${flags.to ?? 'all'} (${res.applied.length} nodes updated)`)
    if (res.unreachable.length) this.note(`not running now, gets the faults when restarted: ${res.unreachable.join(', ')}`)
    return res
  }
}
