/**
 * Structured events: every node process (and the supervisor, for what it does to nodes) appends
 * one JSON object per line — `{ts, node, type, ...fields}` — and commands read them back merged.
 */
export {EventLog, type EventRecord} from './log.js'
export {readEvents, mergeEvents, followEvents, type FollowHandle} from './read.js'
