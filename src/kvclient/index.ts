/**
 * The KV client (host side: it does I/O): one client for every KV-serving role, speaking the
 * protocol of src/kv/protocol.ts over the transport (`client.ts`), the outcome mapping of the
 * client contract (`outcome.ts`), nodes from a recorded cluster (`cluster.ts`), and the load
 * generator behind `dtk kv load` with its history file and latency histogram. docs/kv.md.
 */
export {KvClient, type KvCall, type KvClientOptions, type KvNode, type NodeLookup} from './client.js'
export {outcomeOfError, outcomeOfResult, resultOf, type KvOutcome} from './outcome.js'
export {KvLoad, type LoadOptions, type LoadProgress, type LoadSummary} from './load.js'
export {HistoryFile} from './history-file.js'
export {LatencyHistogram} from './latency.js'
export {kvTargets, type KvTargets} from './cluster.js'
