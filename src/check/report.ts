import type {CheckResult, PartitionResult} from './check.js'
import {modelSpec} from './check.js'
import {effectiveOutcome, linesOf, type Op} from './history.js'
import type {ModelSpec, Role} from './model.js'
import {show, toJson} from './values.js'

/**
 * What `dtk check` prints: the JSON document's shape for one history, the detailed text for one
 * history, and the one-line summary used when many histories are checked at once.
 */
export interface OpJson {
  process: number | string
  f: string
  key?: unknown
  value: unknown
  output?: unknown
  outcome: 'ok' | 'fail' | 'info' | 'none'
  /** How the checker treated it: must be placed, may have taken effect, or ignored. */
  role: Role
  /** [invocation line, completion line or null]. */
  lines: [number, number | null]
}

export interface PartitionJson {
  key?: unknown
  verdict: string
  operations: number
  configurations: number
  /** A linearization: each operation (by its lines) and the state after it. */
  linearization?: Array<{lines: [number, number | null]; state: unknown}>
  failure?: {
    op: OpJson
    explanation: string[]
    states: Array<{state: unknown; after: Array<OpJson | 'initial'>}>
    window: OpJson[]
    prefix?: Array<{lines: [number, number | null]; state: unknown}>
  }
}

export interface ResultJson {
  file: string
  format: string
  model: string
  verdict: string
  operations: number
  ms: number
  steps: number
  keys?: number
  partitions: PartitionJson[]
}

export function opJson(o: Op, role: Role): OpJson {
  const j: OpJson = {process: o.process, f: o.f, value: toJson(o.input), outcome: o.outcome, role, lines: [o.invokeLine, o.completeLine < 0 ? null : o.completeLine]}
  if (o.key !== undefined) j.key = toJson(o.key)
  if (o.f === 'read' && o.outcome === 'ok') j.output = toJson(o.output)
  return j
}

const lines = (o: Op): [number, number | null] => [o.invokeLine, o.completeLine < 0 ? null : o.completeLine]

export function resultJson(file: string, format: string, r: CheckResult, ms: number): ResultJson {
  // Every failing or unfinished key; linearizable keys too when there are few.
  const parts = r.partitions.filter((p) => p.status !== 'linearizable' || r.partitions.length <= 20)
  return {
    file,
    format,
    model: r.model,
    verdict: r.verdict,
    operations: r.operations,
    ms: Math.round(ms * 100) / 100,
    steps: r.steps,
    ...(r.partitions.length > 1 ? {keys: r.partitions.length} : {}),
    partitions: parts.map((p) => partitionJson(p)),
  }
}

function partitionJson(p: PartitionResult): PartitionJson {
  const j: PartitionJson = {verdict: p.status, operations: p.ops.length, configurations: p.configurations}
  if (p.key !== undefined) j.key = toJson(p.key)
  if (p.order) j.linearization = p.order.map((s) => ({lines: lines(p.ops[s.op]!), state: s.stateJson}))
  const f = p.failure
  if (f) {
    j.failure = {
      op: opJson(p.ops[f.op]!, p.roles[f.op]!),
      explanation: f.explanation,
      states: f.states.map((s) => ({state: s.stateJson, after: s.after.map((w) => (w < 0 ? ('initial' as const) : opJson(p.ops[w]!, p.roles[w]!)))})),
      window: f.window.map((i) => opJson(p.ops[i]!, p.roles[i]!)),
      prefix: f.prefix?.map((s) => ({lines: lines(p.ops[s.op]!), state: s.stateJson})),
    }
  }
  return j
}

/** "92 operations, 4.2 ms" and friends. */
function facts(r: CheckResult, ms: number): string {
  const keys = r.partitions.length > 1 ? `, ${r.partitions.length} keys` : ''
  return `${r.model}, ${r.operations} operations${keys}, ${fmtMs(ms)}`
}

export function fmtMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(ms < 10 ? 1 : 0)} ms` : `${(ms / 1000).toFixed(2)} s`
}

/** The detailed report for one history (everything after the verdict). */
export function detailText(r: CheckResult, ms: number, opts: {maxWindow?: number} = {}): {head: string; body: string[]} {
  const spec = modelSpec(r.model)
  const body: string[] = []
  const failing = r.partitions.filter((p) => p.status === 'not linearizable')
  for (const p of failing.slice(0, 5)) {
    const f = p.failure!
    if (r.partitions.length > 1) body.push(`key ${show(p.key ?? null)}:`)
    for (const s of f.explanation) body.push(`  ${s}`)
    body.push(...windowLines(spec, p, opts.maxWindow ?? 30))
    if (f.prefix) body.push(`  Longest linearizable prefix: ${f.prefix.length} of ${p.roles.filter((x) => x !== 'dropped').length} operations (--html draws it with the state after each).`)
  }
  const only = r.partitions.length === 1 ? r.partitions[0]! : undefined
  if (only?.order && only.order.length > 0) {
    if (only.order.length <= 12) body.push(`  One valid order, with the state after each: ${only.order.map((st) => `${spec.describe(only.ops[st.op]!)} ⇒ ${st.state}`).join(', ')}.`)
    else body.push(`  A valid order of ${only.order.length} operations was found (--html draws it with the state after each; --json lists it).`)
  }
  if (failing.length > 5) body.push(`${failing.length - 5} more keys are not linearizable (--json lists them all).`)
  const unknown = r.partitions.filter((p) => p.status === 'unknown')
  const steps = `${(r.steps / 1e6).toFixed(1)}M steps, ${(unknown.reduce((a, p) => a + p.configurations, 0) / 1e6).toFixed(2)}M configurations remembered`
  if (unknown.length > 0 && r.partitions.length > 1) {
    const keys = unknown.slice(0, 5).map((p) => show(p.key ?? null))
    body.push(`  ${unknown.length} of ${r.partitions.length} keys were not finished when --timeout stopped the search (${steps}): ${keys.join(', ')}${unknown.length > 5 ? '…' : ''}.`)
  } else if (unknown.length > 0) body.push(`  --timeout stopped the search (${steps}) before a verdict.`)
  return {head: facts(r, ms), body}
}

function windowLines(spec: ModelSpec, p: PartitionResult, max: number): string[] {
  const f = p.failure!
  const ops = f.window.map((i) => ({i, o: p.ops[i]!}))
  const ls = ops.flatMap(({o}) => [o.invokeLine, o.completeLine]).filter((l) => l > 0)
  const out = [`  Failing window, lines ${Math.min(...ls)}–${Math.max(...ls)} (${ops.length} operations):`]
  const rows = ops.slice(0, max).map(({i, o}) => [linesOf(o).replace(/^lines? /, ''), String(o.process), spec.describe(o), i === f.op ? '<- cannot be placed' : effectiveOutcome(o) === 'unknown' ? 'may or may not have taken effect' : ''])
  const head = ['LINES', 'PROCESS', 'OPERATION', '']
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)))
  for (const r of [head, ...rows]) out.push(`    ${r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()}`)
  if (ops.length > max) out.push(`    … ${ops.length - max} more (--json or --html show them all)`)
  return out
}

/** One line for a history among many: why, in a few words. */
export function oneLine(r: CheckResult, ms: number): string {
  const f = r.partitions.find((p) => p.status === 'not linearizable')
  if (!f?.failure) return facts(r, ms)
  const spec = modelSpec(r.model)
  const o = f.ops[f.failure.op]!
  const key = r.partitions.length > 1 ? `key ${show(f.key ?? null)}: ` : ''
  const could = f.failure.states.map((s) => s.state)
  return `${key}${spec.describe(o)} by process ${o.process} (${linesOf(o)}) cannot be placed; the state could only be ${could.slice(0, 4).join(', ')}${could.length > 4 ? '…' : ''}`
}
