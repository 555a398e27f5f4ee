/**
 * The values an operation carries, whatever format the history came in: JSON's scalars and
 * arrays, plus what EDN (Jepsen's notation) adds — keywords (`:timed-out`), sets (`#{1 2}`),
 * maps and integers too large for a double. Two values are the same when their canonical keys are
 * equal, so `3` read from a Jepsen log and `3` from a JSONL history are one value.
 */
export type Value = null | boolean | number | bigint | string | Value[] | Keyword | ValueSet | ValueMap

export interface Keyword {
  kw: string
}
export interface ValueSet {
  set: Value[]
}
export interface ValueMap {
  map: Array<[Value, Value]>
}

export function isKeyword(v: Value | undefined, name?: string): v is Keyword {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'kw' in v && (name === undefined || v.kw === name)
}

export function isSet(v: Value | undefined): v is ValueSet {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'set' in v
}

/** A string that identifies the value: equal values, equal keys; sets are order-free. */
export function canonical(v: Value): string {
  if (v === null) return 'nil'
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false'
    case 'number':
      return Object.is(v, -0) ? '0' : String(v)
    case 'bigint':
      return String(v)
    case 'string':
      return JSON.stringify(v)
  }
  if (Array.isArray(v)) return `[${v.map(canonical).join(' ')}]`
  if ('kw' in v) return `:${v.kw}`
  if ('set' in v) return `#{${[...new Set(v.set.map(canonical))].sort().join(' ')}}`
  return `{${v.map
    .map(([k, x]) => `${canonical(k)} ${canonical(x)}`)
    .sort()
    .join(', ')}}`
}

/** How people read a value in dtk's output: JSON-like, `null` for nil, `{1, 2}` for a set. */
export function show(v: Value): string {
  if (v === null) return 'null'
  switch (typeof v) {
    case 'boolean':
    case 'number':
    case 'bigint':
      return String(v)
    case 'string':
      return JSON.stringify(v)
  }
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`
  if ('kw' in v) return `:${v.kw}`
  if ('set' in v) return `{${sortedForDisplay(v.set).map(show).join(', ')}}`
  return `{${v.map.map(([k, x]) => `${show(k)}: ${show(x)}`).join(', ')}}`
}

function sortedForDisplay(items: Value[]): Value[] {
  const seen = new Map<string, Value>()
  for (const x of items) seen.set(canonical(x), x)
  return [...seen.values()].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : canonical(a) < canonical(b) ? -1 : canonical(a) > canonical(b) ? 1 : 0))
}

/** The value as plain JSON for `--json` output (keywords as ":name", sets as sorted arrays). */
export function toJson(v: Value): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string') return v
  if (typeof v === 'bigint') return String(v)
  if (Array.isArray(v)) return v.map(toJson)
  if ('kw' in v) return `:${v.kw}`
  if ('set' in v) return sortedForDisplay(v.set).map(toJson)
  return Object.fromEntries(v.map.map(([k, x]) => [show(k), toJson(x)]))
}

/** A JSON value (from a JSONL history) as a Value; objects other than the op itself are maps. */
export function fromJson(x: unknown): Value {
  if (x === null || typeof x === 'boolean' || typeof x === 'number' || typeof x === 'string') return x
  if (Array.isArray(x)) return x.map(fromJson)
  if (typeof x === 'object') return {map: Object.entries(x as Record<string, unknown>).map(([k, v]) => [k, fromJson(v)] as [Value, Value])}
  return null
}
