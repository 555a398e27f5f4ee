/**
 * The cluster supervisor: local node processes started detached and recorded in a state dir, and
 * the faults dtk injects into them (crash, pause, restart, partition, message faults).
 */
export * as cluster from './supervisor.js'
export type {KeyAction, KeyInfo, KeysResult} from './keys.js'
export type {ClusterRef, UpOptions, NodeView, DownResult, SignalResult, RestartResult, NetworkChange, PingReport, JoinResult, LeaveResult} from './supervisor.js'
export {resolveStateDir, clusterDir, loadState, type ClusterState, type NodeRecord} from './state.js'
export {parsePartition, rulesFor} from './network.js'
export {eventFiles} from './supervisor.js'
export {watchRebalance, moveCounters, rebalanceLine, type RebalanceProgress} from './rebalance.js'
