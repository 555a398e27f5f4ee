/**
 * Live rebalancing of a sharded key-value store, as a sans-IO core (src/core): fixed partitions
 * placed on a consistent-hashing ring (src/hashring), an authority per partition handed over
 * explicitly, R copies kept by primary-backup, paced resumable moves, and `dtk ring verify`'s
 * logic. It answers the KV client protocol of src/kv. docs/shard.md describes it.
 */
export {ShardCore, shardCoreFactory, type ShardOutput} from './core.js'
export {type ShardStatus} from './status.js'
export {ShardState} from './state.js'
export {resolveShardConfig, type ShardConfig, type ResolvedShardConfig} from './config.js'
export {type ShardEvent, type ShardCommand} from './events.js'
export {shardComposition, shardRoute, SHARD_CORE, MEMBERSHIP_CORE, type ShardNodeOptions, type ShardRouteOptions} from './compose.js'
export {Layout, partitionOf, type LayoutSpec} from './layout.js'
export {RingState, SHARD_TAG, formatTag, parseTag, type RingEntry, type RingStatus, type RingTuple} from './ring-state.js'
export {parseShardMessage, SHARD_LIMITS, type ShardMessage, type ShardWire, type WriteBody, type KeyTuple, type SessionTuple} from './messages.js'
export {Part, type Role, type Entry} from './part.js'
export {encodeRecord, decodeRecord, decodeSnapshot, type ShardRecord, type ShardSnapshot} from './records.js'
export {verifyRing, type VerifyInput, type VerifyReport, type NodeVerify} from './verify.js'
