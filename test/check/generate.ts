import fc from 'fast-check'
import type {HistoryEvent} from '../../src/check/index.js'
import type {Value} from '../../src/check/values.js'

/**
 * Random small histories that look like real ones: P processes run operations against one
 * atomic register (or set); each operation takes effect at one instant between its invocation
 * and its completion, or never. Some completions then lie (a read reports another value, a cas
 * reports the other outcome), some are `info`, some never come: so the histories are a mix of
 * linearizable and not, with unknown outcomes in both.
 */
export interface Action {
  p: number
  r: number
  v: number
}

export const actions = (processes = 3, max = 22) => fc.array(fc.record({p: fc.integer({min: 0, max: processes - 1}), r: fc.integer({min: 0, max: 99}), v: fc.integer({min: 0, max: 2})}), {minLength: 10, maxLength: max})

interface InFlight {
  f: string
  input: Value
  effected: boolean
  result?: Value
  ok?: boolean
}

export function generate(list: Action[], model: 'cas-register' | 'set' = 'cas-register', maxOps = 7): HistoryEvent[] {
  const events: HistoryEvent[] = []
  let reg: Value = null
  const set = new Set<number>()
  let ops = 0
  const procs = new Map<number, InFlight>()
  const emit = (process: number, type: HistoryEvent['type'], f: string, value: Value) => events.push({line: events.length + 1, process, type, f, value})
  for (const {p, r, v} of list) {
    const cur = procs.get(p)
    if (!cur) {
      if (ops >= maxOps) continue
      ops++
      let op: InFlight
      if (model === 'set') op = r < 60 ? {f: 'add', input: v, effected: false} : {f: 'read', input: null, effected: false}
      else if (r < 35) op = {f: 'read', input: null, effected: false}
      else if (r < 65) op = {f: 'write', input: v, effected: false}
      else op = {f: 'cas', input: [v, (v + 1 + (r % 2)) % 3], effected: false}
      procs.set(p, op)
      emit(p, 'invoke', op.f, op.input)
      continue
    }
    if (!cur.effected) {
      if (r < 70) {
        // Take effect now, atomically.
        cur.effected = true
        if (cur.f === 'read') cur.result = model === 'set' ? [...set].sort() : reg
        else if (cur.f === 'write') reg = cur.input
        else if (cur.f === 'add') set.add(cur.input as number)
        else {
          const [e, n] = cur.input as Value[]
          cur.ok = reg === e
          if (cur.ok) reg = n!
        }
      } else if (r < 80) {
        procs.delete(p)
        emit(p, 'info', cur.f, cur.input) // never took effect, outcome unknown to the client
      } else if (r < 86 && (cur.f === 'write' || cur.f === 'add')) {
        procs.delete(p)
        emit(p, 'fail', cur.f, cur.input) // certainly did not happen
      }
      continue
    }
    procs.delete(p)
    if (r >= 80) {
      emit(p, 'info', cur.f, cur.input)
      continue
    }
    const lie = r % 3 === 0
    if (cur.f === 'read') emit(p, 'ok', 'read', lie ? (model === 'set' ? [v] : v) : cur.result!)
    else if (cur.f === 'cas') emit(p, cur.ok !== lie ? 'ok' : 'fail', 'cas', cur.input)
    else emit(p, 'ok', cur.f, cur.input)
  }
  return events
}
