import {canonical, isKeyword, show, type Value} from './values.js'

/**
 * A history as dtk reads it, whatever the format: events in the order they happened (line
 * order), each an invocation or a completion, with Jepsen's meaning (../shared/histories/README.md):
 * `invoke`, then one of `ok`, `fail` (certainly did not change anything) or `info` (unknown);
 * an invocation that never completes is unknown too.
 */
export type EventType = 'invoke' | 'ok' | 'fail' | 'info'

export interface HistoryEvent {
  /** 1-based line (for EDN, the line where the map starts). */
  line: number
  process: number | string
  type: EventType
  f: string
  /** Absent for a history of one object. */
  key?: Value
  value: Value
  time?: number
}

/** A history that cannot be read: says which line and why. The file is added by the caller. */
export class HistoryError extends Error {
  constructor(
    readonly reason: string,
    readonly line?: number,
  ) {
    super(line === undefined ? reason : `line ${line}: ${reason}`)
    this.name = 'HistoryError'
  }
}

/** How an operation ended; `none` when the history ends before it completes. */
export type Outcome = 'ok' | 'fail' | 'info' | 'none'

/**
 * One operation: an invocation and its completion. `invoke`/`complete` are positions in the
 * event list (the history's own clock: line order); `complete` is -1 when it never completed.
 */
export interface Op {
  id: number
  process: number | string
  /** read, write, cas, add… (`put` and `get` are read as write and read). */
  f: string
  key?: Value
  /** The invocation's value: what to write, [expected, new] for a cas. */
  input: Value
  /** The completion's value: what a read returned. */
  output: Value
  outcome: Outcome
  /** A `fail` whose value is `:timed-out` (Jepsen's etcd reads): its outcome is unknown. */
  timedOut: boolean
  invoke: number
  complete: number
  invokeLine: number
  completeLine: number
  invokeTime?: number
  completeTime?: number
}

export interface History {
  events: HistoryEvent[]
  ops: Op[]
}

const ALIASES: Record<string, string> = {put: 'write', get: 'read'}

/** The outcome as the checker treats it: `unknown` covers info, never completed, and fail :timed-out. */
export function effectiveOutcome(op: Op): 'ok' | 'fail' | 'unknown' {
  if (op.outcome === 'ok') return 'ok'
  if (op.outcome === 'fail' && !op.timedOut) return 'fail'
  return 'unknown'
}

/**
 * Pairs every invocation with its process's next completion. One operation in flight per
 * process: a second invocation before the first completes, a completion with nothing in flight,
 * or a completion of another function is a malformed history, reported with its line.
 */
export function pairOperations(events: HistoryEvent[]): History {
  const ops: Op[] = []
  const inFlight = new Map<string, Op>()
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!
    const f = ALIASES[e.f] ?? e.f
    const proc = procKey(e.process)
    const open = inFlight.get(proc)
    if (e.type === 'invoke') {
      if (open) throw new HistoryError(`process ${e.process} invokes ${f} while its ${open.f} invoked on line ${open.invokeLine} has not completed (one operation in flight per process)`, e.line)
      const op: Op = {
        id: ops.length,
        process: e.process,
        f,
        key: e.key,
        input: e.value,
        output: null,
        outcome: 'none',
        timedOut: false,
        invoke: i,
        complete: -1,
        invokeLine: e.line,
        completeLine: -1,
        invokeTime: e.time,
      }
      ops.push(op)
      inFlight.set(proc, op)
      continue
    }
    if (!open) throw new HistoryError(`process ${e.process} completes ${f} (${e.type}) but has no operation in flight`, e.line)
    if (open.f !== f) throw new HistoryError(`process ${e.process} completes ${f} (${e.type}) but invoked ${open.f} on line ${open.invokeLine}`, e.line)
    if (e.key !== undefined && open.key !== undefined && canonical(e.key) !== canonical(open.key)) {
      throw new HistoryError(`process ${e.process} completes ${f} on key ${show(e.key)} but invoked it on key ${show(open.key)} (line ${open.invokeLine})`, e.line)
    }
    if (open.key === undefined && e.key !== undefined) open.key = e.key
    open.outcome = e.type
    open.output = e.value
    open.timedOut = e.type === 'fail' && isKeyword(e.value, 'timed-out')
    open.complete = i
    open.completeLine = e.line
    open.completeTime = e.time
    inFlight.delete(proc)
  }
  return {events, ops}
}

function procKey(p: number | string): string {
  return typeof p === 'number' ? `n${p}` : `s${p}`
}

/** "lines 12–14", "line 12 (never completed)". */
export function linesOf(op: Op): string {
  return op.completeLine < 0 ? `line ${op.invokeLine}, never completed` : `lines ${op.invokeLine}–${op.completeLine}`
}
