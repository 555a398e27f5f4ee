import {effectiveOutcome, HistoryError, type Op} from './history.js'
import type {Value} from './values.js'

/**
 * What the search needs from a sequential specification ("model"): states as small integers, a
 * step function, and which operations only observe. A model is compiled for one partition (one
 * key): operations are numbered 0…n−1 in that partition, values are interned, so a step is a
 * few integer comparisons and the memo stores a number, not an object.
 */
export interface CompiledModel {
  readonly init: number
  /** The state after `op` in `state`, or −1 when `op` cannot take effect in `state`. */
  step(state: number, op: number): number
  /**
   * 1 for operations that never change the state when they can take effect (reads, failed cas):
   * when one can take effect now, taking it now is never worse (it is committed without trying
   * the alternatives; see Search).
   */
  readonly observer: Uint8Array
  /**
   * 1 for operations whose outcome does not depend on the state and that erase it (a register's
   * write): whatever took effect just before one of them made no difference.
   */
  readonly overwrites: Uint8Array
  /** 1 for operations that can take effect in at most one state (a read, a successful cas). */
  readonly singleState: Uint8Array
  /**
   * Optional operations that, in `state`, have the same effect as optional `op` and can do no
   * more than it later (a cas 1→3 of unknown outcome, in state 1, for an unknown write of 3).
   * When one is available, the search uses it and keeps `op`, the stronger one, for later.
   */
  substitutes(op: number, state: number): readonly number[] | undefined
  /** Identical optional operations have equal signatures (for the symmetry reduction). */
  signature(op: number): string
  /** The state as people read it: `3`, `null`, `{1, 2}`. */
  describeState(state: number): string
  /** The state as JSON for --json. */
  stateJson(state: number): unknown
}

export type ModelName = 'register' | 'cas-register' | 'kv' | 'set'
export const MODEL_NAMES: readonly ModelName[] = ['register', 'cas-register', 'kv', 'set']

/**
 * What happens to one operation of the history under a model:
 * - `required`: it certainly took effect (ok, or a failed cas, which happened and found another
 *   value): it must be placed in the order, inside its interval;
 * - `optional`: its outcome is unknown (info, never completed, fail :timed-out): it may take
 *   effect at any point after its invocation, or never;
 * - `dropped`: it cannot constrain anything (a read that failed or whose result is unknown, a
 *   write or add that failed: certainly changed nothing).
 */
export type Role = 'required' | 'optional' | 'dropped'

export interface ModelSpec {
  readonly name: ModelName
  /** The functions (`f`) the model knows. */
  readonly functions: readonly string[]
  /** Whether `f` only reads. */
  readOnly(f: string): boolean
  /** Checks an operation's values; throws a HistoryError naming the line. */
  validate(op: Op): void
  /** Whether the object is split per key (kv). */
  readonly keyed: boolean
  compile(ops: Op[], roles: Role[]): CompiledModel
  /** "read → 3", "write 3", "cas 1→2 (failed)". */
  describe(op: Op): string
  /** What `op` needs of the state to take effect, as the end of a sentence: "it read 3". */
  requirement(op: Op): string
  /** Operations of `ops` whose effect could satisfy `op`'s requirement (writes of the value read). */
  producers(op: Op, ops: Op[]): Op[]
}

export function roleOf(spec: ModelSpec, op: Op): Role {
  const outcome = effectiveOutcome(op)
  if (spec.readOnly(op.f)) return outcome === 'ok' ? 'required' : 'dropped'
  if (outcome === 'ok') return 'required'
  if (outcome === 'unknown') return 'optional'
  // A failed cas happened: it compared and found another value (../shared/histories/README.md).
  return op.f === 'cas' ? 'required' : 'dropped'
}

/** Interns values to small integers per canonical key; `null` (never written) is 0. */
export class Interner<T = Value> {
  private readonly ids = new Map<string, number>()
  readonly values: T[] = []

  id(key: string, value: T): number {
    let id = this.ids.get(key)
    if (id === undefined) {
      id = this.values.length
      this.ids.set(key, id)
      this.values.push(value)
    }
    return id
  }
}

export function unknownFunction(spec: ModelSpec, op: Op): HistoryError {
  const hint = op.f === 'cas' && spec.name === 'register' ? ' (use --model cas-register)' : op.f === 'add' ? ' (use --model set)' : ''
  return new HistoryError(`the ${spec.name} model has no operation '${op.f}': it knows ${spec.functions.join(', ')}${hint}`, op.invokeLine)
}
