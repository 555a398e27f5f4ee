import type {Step} from './check.js'
import {effectiveOutcome, linesOf, type Op} from './history.js'
import type {ModelSpec, Role} from './model.js'
import {Search} from './search.js'
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
 * - a longest linearizable prefix, with the state after each step (a second, smaller search
 *   over the history cut at that completion, where operations still running become unknown).
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
  /** A longest linearizable prefix, or undefined if finding it ran out of its step budget. */
  prefix?: Step[]
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
    const more = s.after.length > 2 ? ` or ${s.after.length - 2} other operations` : ''
    return `${s.state} (${by.join('; or ')}${more})`
  })
  if (states.length > LIST) held.push(`${states.length - LIST} other ${search.frontierStates.size >= 64 ? 'or more ' : ''}states`)
  explanation.push(`Every valid order of the operations that completed before it, with or without those still running, leaves the ${object} holding ${joinOr(held)}; but ${spec.requirement(X)}.`)
  const producers = spec.producers(X, ops)
  if (X.f === 'read' || producers.length > 0) {
    if (producers.length === 0) explanation.push('No operation in the history could have produced that.')
    else {
      const rel = producers.slice(0, LIST).map((p) => `${who(p)} ${relation(p, X)}`)
      if (producers.length > LIST) rel.push(`${producers.length - LIST} more`)
      explanation.push(`Operations that could have produced it: ${rel.join('; ')}.`)
    }
  }

  return {op: x, states, window, prefix: longestPrefix(spec, ops, roles, search), explanation}
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

/**
 * The history cut at the blocked operation's completion: operations that completed before it keep
 * their outcome, those still running become unknown (reads and failed cas among them, which
 * change nothing, are left out), later ones are gone. Its linearization is a longest linearizable prefix of the original.
 */
function longestPrefix(spec: ModelSpec, ops: Op[], roles: Role[], search: Search): Step[] | undefined {
  const cut = search.frontierEvent
  const idx: number[] = []
  const subOps: Op[] = []
  const subRoles: Role[] = []
  ops.forEach((o, i) => {
    const r = roles[i]!
    if (r === 'dropped' || o.invoke >= cut) return
    if (r === 'required' && o.complete < cut) {
      subOps.push(o)
      subRoles.push(r)
    } else if (!spec.readOnly(o.f) && effectiveOutcome(o) !== 'fail') {
      // Still running at the cut and able to change the state: it may or may not have taken effect.
      // (A failed cas still running changes nothing either way: left out.)
      subOps.push({...o, outcome: 'info', timedOut: false, complete: -1, completeLine: -1})
      subRoles.push('optional')
    } else return
    idx.push(i)
  })
  const model = spec.compile(subOps, subRoles)
  const s = new Search({ops: subOps, roles: subRoles, model})
  if (s.run(Math.max(1_000_000, 4 * search.steps)) !== 'linearizable') return undefined
  let state = model.init
  return s.order().map((k) => {
    state = model.step(state, k)
    return {op: idx[k]!, state: model.describeState(state), stateJson: model.stateJson(state)}
  })
}
