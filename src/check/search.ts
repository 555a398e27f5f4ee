import type {Op} from './history.js'
import {ConfigurationSet} from './memo.js'
import type {CompiledModel, Role} from './model.js'

/**
 * The linearizability search of Wing & Gong (1993) as improved by Lowe ("Testing for
 * linearizability", 2017) and implemented by Porcupine (anishathalye/porcupine, checker.go): the
 * history is a doubly linked list of call and return entries in the order they happened; the
 * operations that may be linearized next are those whose call comes before the first remaining
 * return. Linearizing one lifts its call and return out of the list (dancing links) and pushes it
 * on a stack; when no candidate can take effect and a return is reached, the last choice is undone.
 * Every (set of linearized operations, state) reached is remembered, and reaching one again is a
 * dead end (ConfigurationSet).
 *
 * What dtk adds to that search, each sound because it only skips configurations whose futures
 * another explored configuration already covers:
 * - Unknown outcomes. An operation whose outcome is unknown (info, never completed) has no return
 *   entry: it may be linearized any time after its call, and the search succeeds as soon as every
 *   *required* operation is placed. Porcupine gets the same effect by putting the return at
 *   infinity and linearizing the leftovers at the end.
 * - Optional operations that change nothing in the current state (a cas that would not match, a
 *   write of the value already there) are never tried: (L ∪ {x}, s) has no future that (L, s)
 *   lacks.
 * - Symmetry: of several identical optional operations (write 3, unknown; write 3, unknown) only the
 *   earliest not yet linearized is tried; the others are interchangeable with it.
 * - Optional operations only where needed: right after a run of optional operations, an
 *   operation that overwrites the state (a write) is not taken, since it erases the run, nor is a
 *   required one that already fit the state before the run and fits a single state (a read, a
 *   successful cas): leaving the run out, or taking the operation first, does as well with fewer
 *   operations used up. So an unknown operation is tried only just before one that needs it.
 * - The weakest tool for the job: an optional write of 3 is not tried in state 1 while an optional
 *   cas 1→3 is available; that cas does the same now, and the write, kept, can do more later.
 * - Observers first: when a required read (or failed cas) can take effect in the current state, it
 *   is taken now and the configuration's alternatives are not tried: moving an operation that
 *   changes nothing to the earliest point where it fits keeps every order valid (Lowe 2017, §5).
 *
 * For explanations, the search records the *frontier*: the latest return entry any configuration
 * reached without being able to pass it. That return belongs to the first operation of the
 * history that no order can place (the history up to that point is linearizable, up to and
 * including it is not), and the states recorded there are every state the object can be in once
 * all operations that completed before it have taken effect (up to MAX_STATES of them).
 *
 * The search is resumable (`run(maxSteps)`), so a host can interleave it with a clock, a spinner
 * or Ctrl-C without the core reading any of them.
 */
export interface Problem {
  /** The operations of one partition, in invocation order; none dropped. */
  ops: Op[]
  roles: Role[]
  model: CompiledModel
}

export type SearchStatus = 'linearizable' | 'not linearizable' | 'running'

/** States recorded at the frontier: state → the operations that produced it (−1: the initial state). */
export type FrontierStates = Map<number, Set<number>>

const HEAD = 0
const FRESH = 0
const SCAN = 1
const BACK = 2
/** Bounds on what the frontier records, so that explaining never costs more than searching. */
const MAX_STATES = 64
const MAX_WRITERS = 16

export class Search {
  readonly problem: Problem
  status: SearchStatus = 'running'
  /** Loop iterations so far (one candidate looked at, or one undo). */
  steps = 0
  /** The event position of the frontier's return entry, and its operation (−1 before any). */
  frontierEvent = -1
  frontierOp = -1
  readonly frontierStates: FrontierStates = new Map()

  private readonly model: CompiledModel
  private readonly n: number
  private readonly bitOf: Int32Array
  private readonly optional: Uint8Array
  private readonly twin: Int32Array
  private readonly zA: Int32Array
  private readonly zB: Int32Array
  private readonly entryOp: Int32Array
  private readonly entryRet: Int32Array
  private readonly isRet: Uint8Array
  private readonly entryEvent: Int32Array
  private readonly next: Int32Array
  private readonly prev: Int32Array
  private readonly words: Uint32Array
  private readonly detWords: number
  private readonly memo: ConfigurationSet
  private readonly stEntry: Int32Array
  private readonly stState: Int32Array
  private readonly stWriter: Int32Array
  private readonly stForced: Uint8Array
  private readonly stChain: Int32Array
  /** The stack when the frontier last moved forward: a longest linearizable prefix. */
  private readonly best: Int32Array
  private bestLen = 0
  /** best[0..bestValid) equals the stack's bottom: only the rest is copied on the next save. */
  private bestValid = 0
  /** R's words from `lo` (the first not all ones) to `hi` (past the last not zero), within the required part. */
  private lo = 0
  private hi = 0
  private h1 = 0
  private h2 = 0
  private state: number
  private writer = -1
  /** The state before the optional operations linearized last (−1 when the last one is required). */
  private chainState = -1
  private entry = HEAD
  private sp = 0
  private mode = FRESH
  private remaining: number

  constructor(problem: Problem) {
    this.problem = problem
    const {ops, roles, model} = problem
    const n = ops.length
    this.model = model
    this.n = n
    this.state = model.init
    // Bits: required operations first, numbered by completion so that, on a long history, the
    // linearized ones form a solid prefix of ones (short memo keys); optional ones after them.
    const required = [...ops.keys()].filter((i) => roles[i] === 'required').sort((a, b) => ops[a]!.complete - ops[b]!.complete)
    const optional = [...ops.keys()].filter((i) => roles[i] === 'optional')
    this.remaining = required.length
    this.bitOf = new Int32Array(n)
    required.forEach((op, bit) => (this.bitOf[op] = bit))
    this.detWords = Math.max(1, Math.ceil(required.length / 32))
    const optBase = this.detWords * 32
    optional.forEach((op, k) => (this.bitOf[op] = optBase + k))
    const optWords = Math.ceil(optional.length / 32)
    this.words = new Uint32Array(this.detWords + optWords)
    this.memo = new ConfigurationSet(optWords)
    this.optional = new Uint8Array(n)
    this.twin = new Int32Array(n).fill(-1)
    const lastBySignature = new Map<string, number>()
    for (const op of optional) {
      this.optional[op] = 1
      const sig = model.signature(op)
      const prevTwin = lastBySignature.get(sig)
      if (prevTwin !== undefined) this.twin[op] = prevTwin
      lastBySignature.set(sig, op)
    }
    // Zobrist keys of required operations; optional ones are not hashed (see ConfigurationSet).
    this.zA = new Int32Array(n)
    this.zB = new Int32Array(n)
    for (const i of required) {
      this.zA[i] = mix32(2 * this.bitOf[i]! + 1)
      this.zB[i] = mix32(2 * this.bitOf[i]! + 2 + 0x5bd1e995)
    }

    // Entries 1…E in event order; 0 is the head, E+1 the tail (a return that is never reached).
    const byEvent: Array<[number, number, boolean]> = []
    for (let i = 0; i < n; i++) {
      byEvent.push([ops[i]!.invoke, i, false])
      if (roles[i] === 'required') byEvent.push([ops[i]!.complete, i, true])
    }
    byEvent.sort((a, b) => a[0] - b[0])
    const E = byEvent.length
    this.entryOp = new Int32Array(E + 2).fill(-1)
    this.entryRet = new Int32Array(E + 2).fill(-1)
    this.isRet = new Uint8Array(E + 2)
    this.entryEvent = new Int32Array(E + 2)
    this.next = new Int32Array(E + 2)
    this.prev = new Int32Array(E + 2)
    const callEntry = new Int32Array(n)
    byEvent.forEach(([ev, op, ret], k) => {
      const e = k + 1
      this.entryOp[e] = op
      this.entryEvent[e] = ev
      if (ret) {
        this.isRet[e] = 1
        this.entryRet[callEntry[op]!] = e
      } else callEntry[op] = e
    })
    this.isRet[E + 1] = 1
    this.entryEvent[E + 1] = 0x7fffffff
    for (let e = 0; e <= E + 1; e++) {
      this.next[e] = e + 1
      this.prev[e] = e - 1
    }
    this.stEntry = new Int32Array(n + 1)
    this.stState = new Int32Array(n + 1)
    this.stWriter = new Int32Array(n + 1)
    this.stForced = new Uint8Array(n + 1)
    this.stChain = new Int32Array(n + 1)
    this.best = new Int32Array(n + 1)
    if (this.remaining === 0) this.status = 'linearizable'
  }

  /** Configurations remembered so far. */
  get configurations(): number {
    return this.memo.configurations
  }

  get memoBytes(): number {
    return this.memo.bytes
  }

  /** The operations linearized, in order (the full linearization once `linearizable`). */
  order(): number[] {
    const out: number[] = []
    for (let i = 0; i < this.sp; i++) out.push(this.entryOp[this.stEntry[i]!]!)
    return out
  }

  /**
   * The operations of a longest linearizable prefix, in order: the stack of the configuration that
   * reached the frontier (every operation that completed before the blocked one, and whichever
   * concurrent ones it took).
   */
  prefixOrder(): number[] {
    const out: number[] = []
    for (let i = 0; i < this.bestLen; i++) out.push(this.entryOp[this.best[i]!]!)
    return out
  }

  /** Runs at most `maxSteps` iterations; returns the status (still `running` if out of steps). */
  run(maxSteps = Infinity): SearchStatus {
    if (this.status !== 'running') return this.status
    const {next, isRet, entryOp, model} = this
    const observer = model.observer
    const overwrites = model.overwrites
    const optional = this.optional
    const twin = this.twin
    const limit = this.steps + maxSteps
    let entry = this.entry
    let mode = this.mode
    while (this.steps < limit) {
      this.steps++
      if (mode === FRESH) {
        // A new configuration: a required observer that fits now is taken now, alternatives unexplored.
        const state = this.state
        let e = next[HEAD]!
        while (isRet[e] === 0) {
          const op = entryOp[e]!
          if (observer[op] === 1 && optional[op] === 0 && model.step(state, op) >= 0) break
          e = next[e]!
        }
        if (isRet[e] === 0) {
          if (this.push(e, entryOp[e]!, state, 1)) {
            if (this.remaining === 0) return this.finish('linearizable')
            continue
          }
          mode = BACK
          continue
        }
        entry = next[HEAD]!
        mode = SCAN
        continue
      }
      if (mode === SCAN) {
        if (isRet[entry] === 1) {
          this.recordFrontier(entry)
          mode = BACK
          continue
        }
        const op = entryOp[entry]!
        if ((observer[op] === 0 || optional[op] === 1) && (optional[op] === 0 ? this.chainState < 0 || !this.needless(op) : overwrites[op] === 0 || this.chainState < 0)) {
          const state = this.state
          const ns = model.step(state, op)
          if (ns >= 0 && (optional[op] === 0 || (ns !== state && (twin[op]! < 0 || this.has(twin[op]!)) && !this.weakerAvailable(op, state)))) {
            if (this.push(entry, op, ns, 0)) {
              if (this.remaining === 0) return this.finish('linearizable')
              mode = FRESH
              continue
            }
          }
        }
        entry = next[entry]!
        continue
      }
      // BACK: undo the last choice; a forced choice (an observer) leaves nothing else to try.
      for (;;) {
        if (this.sp === 0) return this.finish('not linearizable')
        const c = this.pop()
        if (this.stForced[this.sp] === 0) {
          entry = next[c]!
          mode = SCAN
          break
        }
      }
    }
    this.entry = entry
    this.mode = mode
    return 'running'
  }

  private finish(status: SearchStatus): SearchStatus {
    this.status = status
    return status
  }

  /**
   * Whether required `op`, about to follow a run of optional operations, did not need them: it
   * fits the state before the run and either erases the state or fits one state only. Then
   * leaving the run out (or taking `op` before it) reaches a configuration that subsumes this one.
   */
  private needless(op: number): boolean {
    const m = this.model
    return (m.overwrites[op] === 1 || m.singleState[op] === 1) && m.step(this.chainState, op) >= 0
  }

  /** Whether a weaker optional operation with the same effect now is available (see CompiledModel.substitutes). */
  private weakerAvailable(op: number, state: number): boolean {
    const subs = this.model.substitutes(op, state)
    if (!subs) return false
    // The frontier: the first return still in the list; operations called before it are available.
    let e = this.next[HEAD]!
    while (this.isRet[e] === 0) e = this.next[e]!
    const frontier = this.entryEvent[e]!
    const ops = this.problem.ops
    for (const y of subs) if (!this.has(y) && ops[y]!.invoke < frontier) return true
    return false
  }

  private has(op: number): boolean {
    const b = this.bitOf[op]!
    return (this.words[b >>> 5]! & (1 << (b & 31))) !== 0
  }

  /** Linearizes the call entry `e` (operation `op`, new state `ns`) unless already seen. */
  private push(e: number, op: number, ns: number, forced: number): boolean {
    const words = this.words
    const b = this.bitOf[op]!
    const w = b >>> 5
    words[w] = words[w]! | (1 << (b & 31))
    let lo = this.lo
    if (w === lo) while (lo < this.detWords && words[lo] === 0xffffffff) lo++
    const hi = w < this.detWords ? Math.max(this.hi, w + 1) : this.hi
    const h1 = this.h1 ^ this.zA[op]!
    const h2 = this.h2 ^ this.zB[op]!
    if (!this.memo.add(words, lo, Math.max(lo, hi), this.detWords, h1, h2, ns)) {
      words[w] = words[w]! & ~(1 << (b & 31))
      return false
    }
    this.lo = lo
    this.hi = hi
    this.h1 = h1
    this.h2 = h2
    const sp = this.sp
    this.stEntry[sp] = e
    this.stState[sp] = this.state
    this.stWriter[sp] = this.writer
    this.stForced[sp] = forced
    this.stChain[sp] = this.chainState
    this.sp = sp + 1
    this.chainState = this.optional[op] === 1 ? (this.chainState < 0 ? this.state : this.chainState) : -1
    if (ns !== this.state) this.writer = op
    this.state = ns
    // Lift the call and its return out of the list.
    const {next, prev} = this
    next[prev[e]!] = next[e]!
    prev[next[e]!] = prev[e]!
    const r = this.entryRet[e]!
    if (r >= 0) {
      next[prev[r]!] = next[r]!
      prev[next[r]!] = prev[r]!
      this.remaining--
    }
    return true
  }

  /** Undoes the top of the stack; returns its call entry. */
  private pop(): number {
    const sp = --this.sp
    if (sp < this.bestValid) this.bestValid = sp
    const e = this.stEntry[sp]!
    const op = this.entryOp[e]!
    const {next, prev, words} = this
    const r = this.entryRet[e]!
    if (r >= 0) {
      next[prev[r]!] = r
      prev[next[r]!] = r
      this.remaining++
    }
    next[prev[e]!] = e
    prev[next[e]!] = e
    const b = this.bitOf[op]!
    const w = b >>> 5
    words[w] = words[w]! & ~(1 << (b & 31))
    if (w < this.lo) this.lo = w
    if (w === this.hi - 1) while (this.hi > 0 && words[this.hi - 1] === 0) this.hi--
    this.h1 ^= this.zA[op]!
    this.h2 ^= this.zB[op]!
    this.state = this.stState[sp]!
    this.writer = this.stWriter[sp]!
    this.chainState = this.stChain[sp]!
    return e
  }

  private recordFrontier(r: number): void {
    const ev = this.entryEvent[r]!
    if (ev < this.frontierEvent) return
    if (ev > this.frontierEvent) {
      this.frontierEvent = ev
      this.frontierOp = this.entryOp[r]!
      this.frontierStates.clear()
      for (let i = this.bestValid; i < this.sp; i++) this.best[i] = this.stEntry[i]!
      this.bestLen = this.bestValid = this.sp
    }
    let writers = this.frontierStates.get(this.state)
    if (!writers) {
      if (this.frontierStates.size >= MAX_STATES) return
      writers = new Set()
      this.frontierStates.set(this.state, writers)
    }
    if (writers.size < MAX_WRITERS) writers.add(this.writer)
  }
}

/** MurmurHash3's 32-bit finalizer: distinct inputs, well-spread outputs (Zobrist keys). */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return x ^ (x >>> 16)
}
