import {parseArgs} from 'node:util'
import {UsageError} from '../errors/index.js'
import {parsePeerList} from './peers.js'
import {MEMBERSHIP_ROLES, roleNames} from './roles/index.js'
import type {NodeOptions} from './runtime.js'

/**
 * The flags of `dtk node run`, once, as data. The oclif command builds its help and parser from
 * this table, and so does the lean launcher that cluster-started nodes go through (bin/run.js
 * short-circuits `node run` past oclif: a node process is long-lived, and oclif's loaded config
 * would be ~10 MiB of every node's RSS for nothing).
 */
export interface FlagSpec {
  type: 'string' | 'integer'
  description: string
  required?: boolean
  default?: string | number
  options?: readonly string[]
  multiple?: boolean
  env?: string
  min?: number
  max?: number
  /** Help section; flags of the gossip role are also taken by `cluster up` and `cluster join`. */
  group?: 'GOSSIP' | 'SHARD'
}

export const nodeRunFlags = {
  id: {type: 'string', description: 'node id, unique in its cluster', required: true},
  host: {type: 'string', description: 'address to bind; use a non-loopback address to reach other machines', default: '127.0.0.1'},
  port: {type: 'integer', description: 'TCP port to bind (0 = any free port)', required: true, min: 0, max: 65535},
  'data-dir': {type: 'string', description: 'directory for events.jsonl and role state', required: true},
  role: {type: 'string', description: 'what the node does', default: 'echo', options: roleNames()},
  'seed-peers': {type: 'string', description: 'comma-separated id@host:port of nodes to contact first', default: ''},
  'fault-seed': {type: 'integer', description: 'seed for the fault layer, so injected drops repeat'},
  seed: {type: 'integer', description: "seed of the cores' random choices (random when absent; logged in the node.start event)"},
  trace: {type: 'string', description: 'append a JSONL trace of every message, timer, event and persist to this file (docs/trace.md)'},
  'metrics-port': {type: 'integer', description: 'gossip role: serve Prometheus metrics on this port (0 = any free port)', min: 0, max: 65535, group: 'GOSSIP'},
  detector: {type: 'string', description: 'failure detector of the gossip role', options: ['swim', 'phi', 'heartbeat'], default: 'swim', group: 'GOSSIP'},
  profile: {type: 'string', description: "parameter defaults: memberlist's LAN or Local config with dtk's extensions, fast (LAN / 5, for demos), or memberlist (LAN with memberlist's own rules, for comparisons)", options: ['lan', 'local', 'fast', 'memberlist'], default: 'lan', group: 'GOSSIP'},
  param: {type: 'string', description: 'override one detector parameter, e.g. probeInterval=2s, suspicionMult=5, lifeguard=false, threshold=10 (repeatable; a bad value names its range)', multiple: true, group: 'GOSSIP'},
  'phi-threshold': {type: 'string', description: 'phi detector: convict above this phi (default 8)', group: 'GOSSIP'},
  tags: {type: 'string', description: 'node metadata gossiped with membership, k=v,k2=v2', group: 'GOSSIP'},
  secret: {type: 'string', description: 'key(s) to authenticate and encrypt gossip, comma-separated, first one primary (base64 16/24/32 bytes, or a passphrase)', env: 'DTK_SECRET', group: 'GOSSIP'},
  'gossip-seed': {type: 'integer', description: 'the same as --seed (kept for scripts written before it)', group: 'GOSSIP'},
  'shard-initial': {type: 'string', description: 'shard role: ids of the nodes the cluster first started with, comma-separated (dtk cluster up passes it)', group: 'SHARD'},
  replicas: {type: 'integer', description: 'shard role: copies of every key, R (default 2; the same on every node)', min: 1, max: 16, group: 'SHARD'},
  partitions: {type: 'integer', description: 'shard role: partitions of the key space (default 128; the same on every node)', min: 1, max: 65536, group: 'SHARD'},
  'move-rate': {type: 'integer', description: 'shard role: keys per second this node sends in moves (default 10000)', min: 1, max: 10_000_000, group: 'SHARD'},
} as const satisfies Record<string, FlagSpec>

export type NodeRunFlag = keyof typeof nodeRunFlags

export interface NodeRunValues {
  id: string
  host: string
  port: number
  'data-dir': string
  role: string
  'seed-peers': string
  'fault-seed'?: number
  seed?: number
  trace?: string
  'metrics-port'?: number
  detector: string
  profile: string
  param?: string[]
  'phi-threshold'?: string
  tags?: string
  secret?: string
  'gossip-seed'?: number
  'shard-initial'?: string
  replicas?: number
  partitions?: number
  'move-rate'?: number
}

/** Turns parsed flag values into the runtime's options, with every check a usage error. */
export async function nodeOptionsFrom(v: NodeRunValues): Promise<NodeOptions> {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(v.id)) throw new UsageError(`--id '${v.id}' must be letters, digits, '.', '_' or '-'`)
  if (!roleNames().includes(v.role)) throw new UsageError(`--role '${v.role}' is not a role (known: ${roleNames().join(', ')})`)
  let roleOptions: Record<string, unknown> = {}
  if (MEMBERSHIP_ROLES.includes(v.role)) {
    const {parseTags, gossipOverrides} = await import('./roles/gossip/options.js')
    roleOptions = {
      detector: v.detector,
      profile: v.profile,
      overrides: gossipOverrides(v),
      tags: parseTags(v.tags),
      secret: v.secret || undefined,
      metricsPort: v['metrics-port'],
    }
  }
  if (v.role === 'shard') roleOptions = {...roleOptions, shardInitial: v['shard-initial'], replicas: v.replicas, partitions: v.partitions, moveRate: v['move-rate']}
  return {
    id: v.id,
    host: v.host,
    port: v.port,
    dataDir: v['data-dir'],
    role: v.role,
    seedPeers: parsePeerList(v['seed-peers']),
    faultSeed: v['fault-seed'],
    seed: v.seed ?? v['gossip-seed'],
    trace: v.trace,
    roleOptions,
  }
}

/** The lean launcher's parser: the same flags, checked the same way, without oclif. */
export function parseNodeRunArgv(argv: string[]): NodeRunValues {
  const options: Record<string, {type: 'string'; multiple?: boolean}> = {}
  for (const [name, spec] of Object.entries(nodeRunFlags)) options[name] = 'multiple' in spec ? {type: 'string', multiple: true} : {type: 'string'}
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({args: argv, options, strict: true, allowPositionals: false})
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const out: Record<string, unknown> = {}
  for (const [name, spec] of Object.entries(nodeRunFlags) as Array<[string, FlagSpec]>) {
    let value = parsed.values[name] as string | string[] | undefined
    if (value === undefined && spec.env) value = process.env[spec.env]
    if (value === undefined) value = spec.default === undefined ? undefined : String(spec.default)
    if (value === undefined) {
      if (spec.required) throw new UsageError(`missing required flag --${name}`)
      continue
    }
    if (spec.options && !spec.options.includes(value as string)) throw new UsageError(`--${name} must be one of ${spec.options.join(', ')}`)
    if (spec.type === 'integer') {
      const n = Number(value)
      if (!Number.isInteger(n)) throw new UsageError(`--${name}: expected an integer but received: ${String(value)}`)
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) throw new UsageError(`--${name} must be between ${spec.min} and ${spec.max}`)
      out[name] = n
    } else out[name] = value
  }
  return out as unknown as NodeRunValues
}
