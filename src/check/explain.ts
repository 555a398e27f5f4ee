import type {Step} from './check.js'
import {linesOf, type Op} from './history.js'
import type {ModelSpec, Role} from './model.js'
import type {Search} from './search.js'
import {show, type Value} from './values.js'

/**
 * Why a history is not linearizable, in terms a person can check against the log (the approach
 * of Knossos and Porcupine: the longest linearizable prefix and the operation that cannot follow
 * it, made concrete):
 * - the *blocked* operation: the first operation of the history that no order can place — the
 *   history up to just before its completion is linearizable, up to its completion it is not;
 * - the states the object can be in once every operation that completed before it has taken
 *   effect (in any valid order, with or without the concurrent ones), each with an operation that
 *   produced it: the search's frontier, so every order was considered, not a sample;
 * - the *window*: the blocked operation, the operations that produced those states, and every
 *   operation overlapping the span from the earliest of them to the blocked one's completion;
 * - a longest linearizable prefix, with the state after each step: the search's stack when it
 *   first reached that completion with everything before it placed.
 */
export interface FrontierState {
  state: string
  stateJson: unknown
  /** Operations (indices into the partition's ops) whose effect left this state; −1: the initial state. */
  after: number[]
}

export interface Failure {
  /** The blocked operation (index into the partition's ops). */
  op: number
  states: FrontierState[]
  /** Indices into the partition's ops, in invocation order. */
  window: number[]
  /** A longest linearizable prefix: every operation that completed before the blocked one, and some concurrent ones. */
  prefix: Step[]
  /** Sentences, in order. */
  explanation: string[]
}

const LIST = 4

export function explainFailure(spec: ModelSpec, ops: Op[], roles: Role[], search: Search, key: Value | undefined): Failure {
  const keptIdx: number[] = []
  roles.forEach((r, i) => r !== 'dropped' && keptIdx.push(i))
  const x = keptIdx[search.frontierOp]!
  const X = ops[x]!
  const model = search.problem.model
  const states: FrontierState[] = [...search.frontierStates].map(([s, writers]) => ({
    state: model.describeState(s),
    stateJson: model.stateJson(s),
    after: [...writers].map((w) => (w < 0 ? -1 : keptIdx[w]!)).sort((a, b) => a - b),
  }))

  // The window: from the earliest producer of a frontier state (or the blocked op) to its completion.
  const writers = new Set(states.flatMap((s) => s.after).filter((w) => w >= 0))
  const hasInitial = states.some((s) => s.after.includes(-1))
  let start = X.invoke
  for (const w of writers) start = Math.min(start, ops[w]!.invoke)
  if (hasInitial) start = 0
  const window = keptIdx.filter((i) => {
    const o = ops[i]!
    if (i === x || writers.has(i)) return true
    if (o.invoke > X.complete) return false
    return o.complete >= 0 ? o.complete >= start : o.invoke >= start
  })

  const object = key !== undefined ? `key ${show(key)}` : spec.name === 'set' ? 'set' : 'register'
  const who = (o: Op) => `${spec.describe(o)} by process ${o.process} (${linesOf(o)})`
  const explanation: string[] = []
  explanation.push(`${who(X)} cannot be placed: the history can be linearized up to just before line ${X.completeLine}, and not once it returns.`)
  const held = states.slice(0, LIST).map((s) => {
    const by = s.after.slice(0, 2).map((w) => (w < 0 ? 'its initial value' : `after ${spec.describe(ops[w]!)} by process ${ops[w]!.process}, ${linesOf(ops[w]!)}`))
    const more = s.after.length > 2 ? ` or ${plural(s.after.length - 2, 'other operation')}` : ''
    return `${s.state} (${by.join('; or ')}${more})`
  })
  if (states.length > LIST) held.push(`${plural(states.length - LIST, 'other state')}${search.frontierStates.size >= 64 ? ' or more' : ''}`)
  explanation.push(`Every valid order of the operations that completed before it, with or without those still running, leaves the ${object} holding ${joinOr(held)}; but ${spec.requirement(X)}.`)
  const producers = spec.producers(X, ops)
  if (X.f === 'read' || producers.length > 0) {
    const initial = X.f === 'read' && model.describeState(model.init) === show(X.output)
    if (producers.length === 0) explanation.push(initial ? `${show(X.output)} is the initial value, and no operation puts it back.` : 'No operation in the history could have produced that.')
    else {
      const rel = producers.slice(0, LIST).map((p) => `${who(p)} ${relation(p, X)}`)
      if (producers.length > LIST) rel.push(`${producers.length - LIST} more`)
      explanation.push(`Operations that could have produced it: ${rel.join('; ')}.`)
    }
  }

  let state = model.init
  const prefix = search.prefixOrder().map((k) => {
    state = model.step(state, k)
    return {op: keptIdx[k]!, state: model.describeState(state), stateJson: model.stateJson(state)}
  })
  return {op: x, states, window, prefix, explanation}
}

function relation(p: Op, x: Op): string {
  if (p.outcome === 'fail' && !p.timedOut && p.f !== 'cas') return 'failed, so it changed nothing'
  if (p.complete >= 0 && p.complete < x.invoke) return 'ended before it began'
  if (p.invoke > x.complete) return 'began after it ended'
  return 'overlaps it'
}

function joinOr(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? 'nothing') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`
}
