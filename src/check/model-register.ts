import {effectiveOutcome, HistoryError, type Op} from './history.js'
import {Interner, unknownFunction, type CompiledModel, type ModelName, type ModelSpec, type Role} from './model.js'
import {canonical, show, toJson, type Value} from './values.js'

/**
 * A register (read, write) and a compare-and-set register (read, write, cas [expected new]),
 * starting empty (null) — Jepsen's etcd test and Porcupine's etcd model. `kv` is a map of
 * independent cas-registers, one per key: a history on many keys is split per key and each key
 * checked on its own, which is sound because linearizability is local (Herlihy & Wing 1990,
 * "P-compositionality" in Horn & Kroening 2015).
 */
const READ = 0
const WRITE = 1
const CAS_OK = 2
const CAS_MAYBE = 3
const CAS_FAIL = 4

class RegisterModel implements CompiledModel {
  readonly init = 0

  constructor(
    private readonly kind: Uint8Array,
    private readonly a: Int32Array,
    private readonly b: Int32Array,
    readonly observer: Uint8Array,
    readonly overwrites: Uint8Array,
    readonly singleState: Uint8Array,
    private readonly values: Value[],
  ) {}

  step(state: number, op: number): number {
    switch (this.kind[op]) {
      case READ:
        return state === this.a[op] ? state : -1
      case WRITE:
        return this.a[op]!
      case CAS_OK:
        return state === this.a[op] ? this.b[op]! : -1
      case CAS_MAYBE:
        return state === this.a[op] ? this.b[op]! : state
      default:
        return state !== this.a[op] ? state : -1
    }
  }

  /** Unknown-outcome cas operations by [expected, new]: the substitutes of an unknown write. */
  private maybeCas: Map<number, number[]> | undefined

  substitutes(op: number, state: number): readonly number[] | undefined {
    if (this.kind[op] !== WRITE) return undefined
    if (!this.maybeCas) {
      this.maybeCas = new Map()
      for (let i = 0; i < this.kind.length; i++) {
        if (this.kind[i] !== CAS_MAYBE || this.a[i] === this.b[i]) continue
        const k = this.a[i]! * this.values.length + this.b[i]!
        const list = this.maybeCas.get(k)
        if (list) list.push(i)
        else this.maybeCas.set(k, [i])
      }
    }
    return this.maybeCas.get(state * this.values.length + this.a[op]!)
  }

  signature(op: number): string {
    return `${this.kind[op]} ${this.a[op]} ${this.b[op]}`
  }

  describeState(state: number): string {
    return show(this.values[state]!)
  }

  stateJson(state: number): unknown {
    return toJson(this.values[state]!)
  }
}

function casArgs(op: Op): [Value, Value] {
  const v = op.input
  if (!Array.isArray(v) || v.length !== 2) throw new HistoryError(`a cas needs [expected, new] as its value, not ${show(v)}`, op.invokeLine)
  return [v[0]!, v[1]!]
}

export function registerSpec(name: Extract<ModelName, 'register' | 'cas-register' | 'kv'>): ModelSpec {
  const cas = name !== 'register'
  const functions = cas ? ['read', 'write', 'cas'] : ['read', 'write']
  const spec: ModelSpec = {
    name,
    functions,
    keyed: name === 'kv',
    readOnly: (f) => f === 'read',
    validate(op) {
      if (!functions.includes(op.f)) throw unknownFunction(spec, op)
      if (op.f === 'cas') casArgs(op)
    },
    compile(ops: Op[], roles: Role[]): CompiledModel {
      const n = ops.length
      const kind = new Uint8Array(n)
      const a = new Int32Array(n)
      const b = new Int32Array(n)
      const observer = new Uint8Array(n)
      const overwrites = new Uint8Array(n)
      const singleState = new Uint8Array(n)
      const values = new Interner()
      values.id('nil', null)
      const id = (v: Value) => values.id(canonical(v), v)
      for (let i = 0; i < n; i++) {
        const op = ops[i]!
        const optional = roles[i] === 'optional'
        if (op.f === 'read') {
          kind[i] = READ
          a[i] = id(op.output)
          observer[i] = 1
          singleState[i] = 1
        } else if (op.f === 'write') {
          kind[i] = WRITE
          a[i] = id(op.input)
          overwrites[i] = 1
        } else {
          const [e, nv] = casArgs(op)
          a[i] = id(e)
          b[i] = id(nv)
          if (optional) kind[i] = CAS_MAYBE
          else if (effectiveOutcome(op) === 'ok') {
            kind[i] = CAS_OK
            singleState[i] = 1
          }
          else {
            kind[i] = CAS_FAIL
            observer[i] = 1
          }
        }
      }
      return new RegisterModel(kind, a, b, observer, overwrites, singleState, values.values)
    },
    describe(op) {
      const outcome = effectiveOutcome(op)
      const tag = outcome === 'unknown' ? ' (unknown)' : outcome === 'fail' ? ' (failed)' : ''
      if (op.f === 'read') return outcome === 'ok' ? `read → ${show(op.output)}` : `read${tag}`
      if (op.f === 'write') return `write ${show(op.input)}${tag}`
      if (op.f === 'cas' && Array.isArray(op.input) && op.input.length === 2) return `cas ${show(op.input[0]!)}→${show(op.input[1]!)}${tag}`
      return `${op.f} ${show(op.input)}${tag}`
    },
    requirement(op) {
      if (op.f === 'read') return `it read ${show(op.output)}`
      const [e] = casArgs(op)
      return effectiveOutcome(op) === 'fail' ? `it failed, so the value cannot have been ${show(e)}` : `its compare needs ${show(e)}`
    },
    producers(op, ops) {
      let want: string
      if (op.f === 'read') want = canonical(op.output)
      else if (op.f === 'cas' && effectiveOutcome(op) === 'ok') want = canonical(casArgs(op)[0])
      else return []
      return ops.filter((o) => o !== op && ((o.f === 'write' && canonical(o.input) === want) || (o.f === 'cas' && effectiveOutcome(o) !== 'fail' && canonical(casArgs(o)[1]) === want)))
    },
  }
  return spec
}
