/** Durable, checksummed storage for protocol state that must survive a crash. */
export {AppendLog, type AppendLogOpenResult} from './append-log.js'
