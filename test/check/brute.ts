import type {Op} from '../../src/check/index.js'
import {canonical, type Value} from '../../src/check/values.js'

/**
 * A brute-force linearizability checker, written from the definition and sharing nothing with
 * src/check's search but the paired operations: try every order of every admissible subset.
 *
 * - An operation that completed `ok` must be in the order; so must a failed cas (it happened and
 *   found another value). A failed write/add changed nothing: left out. A read without a result
 *   constrains nothing: left out.
 * - An operation whose outcome is unknown (info, never completed, fail :timed-out) may be in the
 *   order or not, at any point after its call.
 * - a must come before b when a completed (with a known outcome) before b was called.
 * Only for small histories: the cost is factorial.
 */
type State = string
type Model = 'cas-register' | 'set'

function unknown(o: Op): boolean {
  return o.outcome === 'info' || o.outcome === 'none' || o.timedOut
}

function apply(model: Model, s: State, o: Op): State | undefined {
  if (model === 'set') {
    const items: string[] = s === '' ? [] : s.split('|')
    if (o.f === 'add') return [...new Set([...items, canonical(o.input)])].sort().join('|')
    const read = (Array.isArray(o.output) ? o.output : (o.output as {set: Value[]}).set).map(canonical)
    return [...new Set(read)].sort().join('|') === s ? s : undefined
  }
  if (o.f === 'read') return canonical(o.output) === s ? s : undefined
  if (o.f === 'write') return canonical(o.input)
  const [e, n] = o.input as Value[]
  const match = canonical(e!) === s
  if (unknown(o)) return match ? canonical(n!) : s
  if (o.outcome === 'ok') return match ? canonical(n!) : undefined
  return match ? undefined : s // failed cas
}

export function bruteLinearizable(ops: Op[], model: Model = 'cas-register'): boolean {
  const readOnly = (o: Op) => o.f === 'read'
  const required = ops.filter((o) => (o.outcome === 'ok' && !o.timedOut) || (o.f === 'cas' && o.outcome === 'fail' && !o.timedOut))
  const optional = ops.filter((o) => unknown(o) && !readOnly(o))
  const init: State = model === 'set' ? '' : 'nil'
  // Every subset of the optional operations, every order of the chosen ones.
  for (let mask = 0; mask < 1 << optional.length; mask++) {
    const chosen = [...required, ...optional.filter((_, i) => mask & (1 << i))]
    if (orders(chosen, [], init, model)) return true
  }
  return false
}

function orders(left: Op[], done: Op[], s: State, model: Model): boolean {
  if (left.length === 0) return true
  for (const o of left) {
    // o may go next only if nothing left had to precede it.
    if (left.some((a) => a !== o && !unknown(a) && a.complete >= 0 && a.complete < o.invoke)) continue
    const next = apply(model, s, o)
    if (next === undefined) continue
    if (orders(left.filter((a) => a !== o), [...done, o], next, model)) return true
  }
  return false
}
