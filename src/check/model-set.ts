import {effectiveOutcome, HistoryError, type Op} from './history.js'
import {Interner, unknownFunction, type CompiledModel, type ModelSpec, type Role} from './model.js'
import {canonical, isSet, show, toJson, type Value} from './values.js'

/**
 * A grow-only set: `add x` and `read` returning the whole set (Jepsen's set workload, where the
 * value read is `#{1 2 3}` or a vector). States are interned sets of interned elements; a read
 * compares state numbers, an add looks its successor up in a transition table filled on demand.
 */
class SetModel implements CompiledModel {
  readonly init = 0
  /** Adds never erase what came before. */
  readonly overwrites: Uint8Array
  /** Reads fit exactly one state. */
  readonly singleState: Uint8Array
  /** State number → its sorted elements. */
  private readonly states: number[][] = [[]]
  private readonly ids = new Map<string, number>([['', 0]])
  private readonly next = new Map<number, number>()

  constructor(
    private readonly isAdd: Uint8Array,
    /** For an add: the element; for a read: the state number of the set it read. */
    private readonly arg: Int32Array,
    readonly observer: Uint8Array,
    private readonly elements: Value[],
    readSets: number[][],
  ) {
    this.overwrites = new Uint8Array(isAdd.length)
    this.singleState = observer
    for (let i = 0; i < isAdd.length; i++) if (!isAdd[i]) this.arg[i] = this.stateOf(readSets[i]!)
  }

  stateOf(sorted: number[]): number {
    const key = sorted.join(',')
    let id = this.ids.get(key)
    if (id === undefined) {
      id = this.states.length
      this.states.push(sorted)
      this.ids.set(key, id)
    }
    return id
  }

  step(state: number, op: number): number {
    if (!this.isAdd[op]) return state === this.arg[op] ? state : -1
    const key = state * this.isAdd.length + op
    let s = this.next.get(key)
    if (s === undefined) {
      const cur = this.states[state]!
      const x = this.arg[op]!
      s = cur.includes(x) ? state : this.stateOf([...cur, x].sort((p, q) => p - q))
      this.next.set(key, s)
    }
    return s
  }

  substitutes(): undefined {
    return undefined
  }

  signature(op: number): string {
    return `${this.isAdd[op]} ${this.arg[op]}`
  }

  describeState(state: number): string {
    return show({set: this.states[state]!.map((e) => this.elements[e]!)})
  }

  stateJson(state: number): unknown {
    return toJson({set: this.states[state]!.map((e) => this.elements[e]!)})
  }
}

function readSet(op: Op): Value[] {
  const v = op.output
  if (isSet(v)) return v.set
  if (Array.isArray(v)) return v
  if (v === null) return []
  throw new HistoryError(`a set read returns the whole set (#{…} or […]), not ${show(v)}`, op.completeLine)
}

export function setSpec(): ModelSpec {
  const spec: ModelSpec = {
    name: 'set',
    functions: ['add', 'read'],
    keyed: false,
    readOnly: (f) => f === 'read',
    validate(op) {
      if (!spec.functions.includes(op.f)) throw unknownFunction(spec, op)
      if (op.f === 'read' && effectiveOutcome(op) === 'ok') readSet(op)
    },
    compile(ops: Op[], _roles: Role[]): CompiledModel {
      const n = ops.length
      const isAdd = new Uint8Array(n)
      const arg = new Int32Array(n)
      const observer = new Uint8Array(n)
      const elements = new Interner()
      const readSets: number[][] = []
      for (let i = 0; i < n; i++) {
        const op = ops[i]!
        if (op.f === 'add') {
          isAdd[i] = 1
          arg[i] = elements.id(canonical(op.input), op.input)
        } else {
          observer[i] = 1
          readSets[i] = [...new Set(readSet(op).map((x) => elements.id(canonical(x), x)))].sort((p, q) => p - q)
        }
      }
      return new SetModel(isAdd, arg, observer, elements.values, readSets)
    },
    describe(op) {
      const outcome = effectiveOutcome(op)
      if (op.f === 'read') return outcome === 'ok' ? `read → ${show({set: readSet(op)})}` : 'read'
      return `add ${show(op.input)}${outcome === 'unknown' ? ' (unknown)' : outcome === 'fail' ? ' (failed)' : ''}`
    },
    requirement(op) {
      return `it read ${show({set: readSet(op)})}`
    },
    producers(op, ops) {
      if (op.f !== 'read') return []
      const want = new Set(readSet(op).map(canonical))
      return ops.filter((o) => o.f === 'add' && effectiveOutcome(o) !== 'fail' && want.has(canonical(o.input)))
    },
  }
  return spec
}
