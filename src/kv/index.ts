/**
 * Key-value cores: the protocol every KV-serving core answers (`protocol.ts`), the single-node
 * durable store (`store.ts`, the first stateful core), a client that generates a workload and
 * records a history (`client.ts`, `history.ts`). Sans-IO: imports only src/core.
 */
export * from './protocol.js'
export {KvCore, kvCoreFactory, type KvConfig, type KvEvent, type KvOutput} from './store.js'
export {KvClientCore, kvClientFactory, type KvClientConfig, type KvClientEvent} from './client.js'
export {historyOf, completionOf, historyJSONL, type HistoryEntry} from './history.js'
export {Sessions, type Session, type SessionCheck} from './sessions.js'
export {encodeWrite, decodeWrite, encodeSnapshot, decodeSnapshot, type WriteRecord, type SnapshotRecord} from './records.js'
