import {explainFailure, type Failure} from './explain.js'
import {HistoryError, pairOperations, type History, type HistoryEvent, type Op} from './history.js'
import {roleOf, type ModelName, type ModelSpec, type Role} from './model.js'
import {registerSpec} from './model-register.js'
import {setSpec} from './model-set.js'
import {Search, type SearchStatus} from './search.js'
import {canonical, type Value} from './values.js'

/**
 * Checking one history: pair events into operations, pick the model, split per key when the
 * model is `kv`, give each operation its role (required, optional, dropped: see model.ts), and
 * run one Search per partition. Sans-IO and resumable: `run(maxSteps)` does a bounded amount of
 * work and returns, so the host decides about time limits, progress and interruption.
 */
export type Verdict = 'linearizable' | 'not linearizable' | 'unknown'

export interface Step {
  /** Index into the partition's `ops`. */
  op: number
  /** The state after it. */
  state: string
  stateJson: unknown
}

export interface PartitionResult {
  /** The key (kv), or undefined for a history of one object. */
  key?: Value
  /** Every operation on this key, dropped ones included, in invocation order. */
  ops: Op[]
  roles: Role[]
  status: Verdict
  /** The object's state before any operation: `null`, `{}`. */
  initialState: string
  /** When linearizable: a linearization, with the state after each operation. */
  order?: Step[]
  failure?: Failure
  steps: number
  configurations: number
}

export interface CheckResult {
  verdict: Verdict
  model: ModelName
  /** Operations in the history (all keys). */
  operations: number
  partitions: PartitionResult[]
  steps: number
}

/** `kv` when the history has keys, `set` when it adds, `cas-register` otherwise. */
export function guessModel(ops: Op[]): ModelName {
  if (ops.some((o) => o.key !== undefined)) return 'kv'
  if (ops.some((o) => o.f === 'add')) return 'set'
  return 'cas-register'
}

export function modelSpec(name: ModelName): ModelSpec {
  return name === 'set' ? setSpec() : registerSpec(name)
}

/** Search steps a key gets per turn. */
const PART_SLICE = 20_000

interface Pending {
  key?: Value
  ops: Op[]
  roles: Role[]
  search?: Search
  result?: PartitionResult
}

export class HistoryCheck {
  readonly history: History
  readonly spec: ModelSpec
  private readonly parts: Pending[]
  /** Partitions without a verdict yet, taking turns. */
  private pending: Pending[]
  private turn = 0
  private verdict: Verdict | undefined

  constructor(events: HistoryEvent[] | History, opts: {model?: ModelName} = {}) {
    this.history = Array.isArray(events) ? pairOperations(events) : events
    const ops = this.history.ops
    this.spec = modelSpec(opts.model ?? guessModel(ops))
    if (!this.spec.keyed) {
      const keyed = ops.find((o) => o.key !== undefined)
      if (keyed) throw new HistoryError(`operations carry keys but the ${this.spec.name} model is one object: use --model kv (a register per key)`, keyed.invokeLine)
    }
    for (const op of ops) this.spec.validate(op)
    const byKey = new Map<string, Pending>()
    for (const op of ops) {
      const k = this.spec.keyed ? (op.key === undefined ? '' : canonical(op.key)) : ''
      let p = byKey.get(k)
      if (!p) byKey.set(k, (p = {key: this.spec.keyed ? op.key : undefined, ops: [], roles: []}))
      p.ops.push(op)
      p.roles.push(roleOf(this.spec, op))
    }
    this.parts = [...byKey.values()]
    this.pending = [...this.parts]
  }

  get partitions(): number {
    return this.parts.length
  }

  /** Partitions finished so far (for progress). */
  get done(): number {
    return this.parts.length - this.pending.length
  }

  get steps(): number {
    return this.parts.reduce((a, p) => a + (p.search?.steps ?? 0), 0)
  }

  /**
   * Works for at most `maxSteps` search steps; returns the verdict, or `running`. Keys take turns
   * (PART_SLICE steps each), so one hard key does not keep the others from a verdict before a
   * timeout.
   */
  run(maxSteps = Infinity): Verdict | 'running' {
    if (this.verdict) return this.verdict
    let budget = maxSteps
    while (this.pending.length > 0) {
      if (budget <= 0) return 'running'
      const k = this.turn % this.pending.length
      const p = this.pending[k]!
      if (!p.search) p.search = new Search(compileProblem(this.spec, p.ops, p.roles))
      const before = p.search.steps
      const status = p.search.run(Math.min(budget, PART_SLICE))
      budget -= p.search.steps - before
      if (status === 'running') {
        this.turn++
        continue
      }
      p.result = this.finishPartition(p, status)
      this.pending.splice(k, 1)
    }
    this.verdict = this.parts.some((p) => p.result!.status === 'not linearizable') ? 'not linearizable' : 'linearizable'
    return this.verdict
  }

  /** The result so far; partitions not finished (after a timeout) are `unknown`. */
  result(): CheckResult {
    const partitions = this.parts.map((p): PartitionResult => {
      if (p.result) return p.result
      const model = p.search?.problem.model ?? compileProblem(this.spec, p.ops, p.roles).model
      return {key: p.key, ops: p.ops, roles: p.roles, status: 'unknown', initialState: model.describeState(model.init), steps: p.search?.steps ?? 0, configurations: p.search?.configurations ?? 0}
    })
    const verdict: Verdict = this.verdict ?? (partitions.some((p) => p.status === 'not linearizable') ? 'not linearizable' : 'unknown')
    return {verdict, model: this.spec.name, operations: this.history.ops.length, partitions, steps: this.steps}
  }

  private finishPartition(p: Pending, status: SearchStatus): PartitionResult {
    const s = p.search!
    const model = s.problem.model
    const base = {key: p.key, ops: p.ops, roles: p.roles, initialState: model.describeState(model.init), steps: s.steps, configurations: s.configurations}
    if (status === 'linearizable') {
      const idx = kept(p)
      return {...base, status: 'linearizable', order: replay(model, s.order().map((i) => idx[i]!), p)}
    }
    return {...base, status: 'not linearizable', failure: explainFailure(this.spec, p.ops, p.roles, s, p.key)}
  }
}

/** Indices (into the partition's ops) of the operations the search sees: all but the dropped. */
function kept(p: {roles: Role[]}): number[] {
  const out: number[] = []
  p.roles.forEach((r, i) => r !== 'dropped' && out.push(i))
  return out
}

/** The search's problem for a partition: its operations minus the dropped ones. */
export function compileProblem(spec: ModelSpec, ops: Op[], roles: Role[]) {
  const idx = kept({roles})
  const kOps = idx.map((i) => ops[i]!)
  const kRoles = idx.map((i) => roles[i]!)
  return {ops: kOps, roles: kRoles, model: spec.compile(kOps, kRoles)}
}

/** States along an order given as indices into the partition's ops. */
function replay(model: ReturnType<ModelSpec['compile']>, order: number[], p: {roles: Role[]}): Step[] {
  const pos = new Map(kept(p).map((i, k) => [i, k]))
  let state = model.init
  return order.map((op) => {
    state = model.step(state, pos.get(op)!)
    return {op, state: model.describeState(state), stateJson: model.stateJson(state)}
  })
}

/** Checks a whole history at once (tests, the bench). */
export function checkHistory(events: HistoryEvent[] | History, opts: {model?: ModelName} = {}): CheckResult {
  const c = new HistoryCheck(events, opts)
  c.run()
  return c.result()
}
