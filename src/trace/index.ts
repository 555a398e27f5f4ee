/**
 * Traces: every message sent, delivered or dropped, every timer, crash, restart, persist and sync,
 * as JSONL (schema in `types.ts`, documented in docs/trace.md). Infrastructure shared by both
 * hosts; protocol cores never import it.
 */
export * from './types.js'
export {TraceWriter, MemoryTrace, parseTrace, type TraceWriterOptions} from './writer.js'
