/** Durable, checksummed storage for protocol state that must survive a crash (docs/storage.md). */
export {DurableLog, type DurableLogOptions, type DurableLogStats} from './durable-log.js'
export {AppendLog, type AppendLogOpenResult} from './append-log.js'
export {CorruptLogError, LogBusyError, LogFailedError} from './errors.js'
export {nodeIo, type StorageIo} from './io.js'
export {segmentFile} from './recover.js'
