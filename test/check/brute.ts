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

/** Whether `order` is a valid sequential order of those operations: real-time respected, each legal. */
export function validOrder(order: Op[], model: Model = 'cas-register'): boolean {
  let s: State | undefined = model === 'set' ? '' : 'nil'
  for (let i = 0; i < order.length; i++) {
    const o = order[i]!
    // Nothing later in the order may have completed (with a known outcome) before o was called.
    if (order.slice(i + 1).some((b) => !unknown(b) && b.complete >= 0 && b.complete < o.invoke)) return false
    s = apply(model, s, o)
    if (s === undefined) return false
  }
  return true
}

/**
 * The same definition, searched with a plain memo of (operations placed, state) and no other
 * shortcut: exact, and fast enough for histories of 20–30 operations, where trying every order
 * is not.
 */
export function memoLinearizable(ops: Op[], model: Model = 'cas-register'): boolean {
  const cand = ops.filter((o) => (o.outcome === 'ok' && !o.timedOut) || (o.f === 'cas' && o.outcome === 'fail' && !o.timedOut) || (unknown(o) && o.f !== 'read'))
  if (cand.length > 30) throw new Error('memoLinearizable: too many operations')
  const required = cand.map((o) => !unknown(o))
  const all = cand.reduce((m, o, i) => (required[i] ? m | (1 << i) : m), 0)
  const seen = new Set<string>()
  const go = (placed: number, s: State): boolean => {
    if ((placed & all) === all) return true
    const key = `${placed} ${s}`
    if (seen.has(key)) return false
    seen.add(key)
    for (let i = 0; i < cand.length; i++) {
      if (placed & (1 << i)) continue
      const o = cand[i]!
      if (cand.some((a, j) => required[j] && !(placed & (1 << j)) && a.complete >= 0 && a.complete < o.invoke)) continue
      const next = apply(model, s, o)
      if (next !== undefined && go(placed | (1 << i), next)) return true
    }
    return false
  }
  return go(0, model === 'set' ? '' : 'nil')
}
