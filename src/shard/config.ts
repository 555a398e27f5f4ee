import type {NodeId} from '../core/index.js'
import {UsageError} from '../errors/index.js'
import {validNodeId, type Algo} from '../hashring/index.js'

/**
 * A shard node's settings. Every node of one cluster must be given the same `initial`,
 * `replicas`, `partitions`, `algo` and `vnodes` (they define where keys live); the rest are
 * local (pacing, bounds) and may differ. docs/shard.md explains each choice.
 */
export interface ShardConfig {
  /**
   * The nodes the cluster was first started with: at its first start each of them claims the
   * partitions it is the primary of under this ring (epoch 1). A node not listed is a joiner:
   * it owns nothing until partitions are handed to it.
   */
  initial: NodeId[]
  /** Copies of every key (R), primary included. Default 2. */
  replicas?: number
  /** Fixed partitions the key space is cut into (Dynamo's strategy 3). Default 128. */
  partitions?: number
  /** How partitions are placed on the ring's members. Default `ring`. */
  algo?: Algo
  /** Points per member for `ring`. Default 160. */
  vnodes?: number
  /** Keys per move batch. Default 64. */
  batchKeys?: number
  /** Move batches sent and not yet acknowledged, per receiving node. Default 4. */
  window?: number
  /** Keys per second this node sends in moves, over all receivers (pacing). Default 10 000. */
  moveRate?: number
  /** After a ring change, wait this long (ms) before starting moves, so views can agree. Default 1000. */
  settle?: number
  /** How often (ms) each node compares what it holds with what the ring wants. Default 500. */
  planInterval?: number
  /** How often (ms) a node exchanges its ring with a random member. Default 2000. */
  ringSync?: number
  /**
   * A member the failure detector holds dead this long (ms) is taken out of the ring. Default
   * Infinity: a crash is not a departure (Dynamo §4.8.1); `dtk cluster leave` is.
   */
  deadGrace?: number
  /** Writes each partition keeps in memory for catching a copy up. Default 128. */
  backlog?: number
  /** Client writes waiting for their copies' acknowledgements, at most. Default 1024. */
  maxPending?: number
  /** Requests held while a partition is being handed over, at most. Default 256. */
  maxParked?: number
  /** Client sessions kept per partition (at-most-once writes). Default 256. */
  maxSessions?: number
  /** A session idle this long (ms) is dropped. Default 300 000. */
  sessionTtl?: number
  /** Keys per partition; a write of a new key beyond fails with `full`. Default 65 536. */
  maxKeysPerPartition?: number
  /** Log records between snapshots (at least the number of keys held). Default 1024. */
  snapshotEvery?: number
}

export type ResolvedShardConfig = Required<ShardConfig>

/** The placements whose answer depends only on the member set (the ring's members are sorted). */
const ALGOS: readonly Algo[] = ['ring', 'ketama', 'rendezvous', 'maglev']

function whole(name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`shard: ${name} must be a whole number from ${min} to ${max}, not ${v}`)
  return v
}

function positive(name: string, v: number, allowInfinity = false): number {
  if (!(v > 0) || (!allowInfinity && !Number.isFinite(v))) throw new UsageError(`shard: ${name} must be a number > 0${allowInfinity ? ' (or Infinity)' : ''}, not ${v}`)
  return v
}

export function resolveShardConfig(c: ShardConfig): ResolvedShardConfig {
  if (!Array.isArray(c.initial) || c.initial.length === 0) throw new UsageError('shard: initial must list the nodes the cluster starts with')
  const seen = new Set<string>()
  for (const id of c.initial) {
    if (typeof id !== 'string' || !validNodeId(id)) throw new UsageError(`shard: bad node id '${String(id)}' in initial`)
    if (seen.has(id)) throw new UsageError(`shard: node '${id}' is listed twice in initial`)
    seen.add(id)
  }
  const algo = c.algo ?? 'ring'
  if (!ALGOS.includes(algo)) throw new UsageError(`shard: algorithm '${algo}' cannot place partitions (use ${ALGOS.join(', ')}: jump depends on the order of members, bounded on the order of lookups)`)
  const r: ResolvedShardConfig = {
    initial: [...c.initial],
    replicas: whole('replicas', c.replicas ?? 2, 1, 16),
    partitions: whole('partitions', c.partitions ?? 128, 1, 65_536),
    algo,
    vnodes: whole('vnodes', c.vnodes ?? 160, 1, 100_000),
    batchKeys: whole('batchKeys', c.batchKeys ?? 64, 1, 100_000),
    window: whole('window', c.window ?? 4, 1, 1024),
    moveRate: positive('moveRate', c.moveRate ?? 10_000, true),
    settle: c.settle ?? 1000,
    planInterval: positive('planInterval', c.planInterval ?? 500),
    ringSync: positive('ringSync', c.ringSync ?? 2000),
    deadGrace: positive('deadGrace', c.deadGrace ?? Infinity, true),
    backlog: whole('backlog', c.backlog ?? 128, 0, 1_000_000),
    maxPending: whole('maxPending', c.maxPending ?? 1024, 1),
    maxParked: whole('maxParked', c.maxParked ?? 256, 0),
    maxSessions: whole('maxSessions', c.maxSessions ?? 256, 1),
    sessionTtl: positive('sessionTtl', c.sessionTtl ?? 300_000),
    maxKeysPerPartition: whole('maxKeysPerPartition', c.maxKeysPerPartition ?? 65_536, 1),
    snapshotEvery: whole('snapshotEvery', c.snapshotEvery ?? 1024, 1),
  }
  if (!(r.settle >= 0 && Number.isFinite(r.settle))) throw new UsageError(`shard: settle must be a number of ms ≥ 0, not ${r.settle}`)
  return r
}
