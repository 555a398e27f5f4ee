import {EdnError, EdnReader, readEdn} from './edn.js'
import {HistoryError, type EventType, type HistoryEvent} from './history.js'
import {fromJson, isKeyword, show, type Value, type ValueMap} from './values.js'

/**
 * The three history formats `dtk check` reads, all pure text → events:
 * - `jsonl`: dtk's own (../shared/histories/README.md), what `dtk kv load` writes: one JSON
 *   object per line, `{"process":3,"type":"invoke","f":"write","key":"k1","value":3}`;
 * - `jepsen`: Jepsen's text log, `INFO  jepsen.util - 3	:invoke	:write	3` (anything before the
 *   process number is log noise; lines without `jepsen.util` are skipped as other log output);
 * - `edn`: Jepsen's history as EDN maps, `{:process 2, :type :ok, :f :read, :value 3}`, one
 *   after another or inside one vector (history.edn).
 * Nemesis operations (`:process :nemesis`) are not client operations and are left out.
 */
export type Format = 'jsonl' | 'jepsen' | 'edn'
export const FORMATS: readonly Format[] = ['jsonl', 'jepsen', 'edn']

const TYPES = new Set<EventType>(['invoke', 'ok', 'fail', 'info'])
const JEPSEN_LINE = /jepsen\.util\s*[-:]\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+(.*?))?\s*$/
const BARE_LINE = /^\s*(\d+|:nemesis)\s+:(invoke|ok|fail|info)\s+(\S+)(?:\s+(.*?))?\s*$/

/** Guesses the format from the first meaningful line; undefined when nothing looks like a history. */
export function detectFormat(text: string): Format | undefined {
  for (const raw of text.split('\n', 200)) {
    const line = raw.trim()
    if (line === '' || line.startsWith(';')) continue
    if (/^\{\s*"/.test(line)) return 'jsonl'
    if (/^[[{#(]/.test(line)) return 'edn'
    if (/jepsen\.util/.test(line) || BARE_LINE.test(line)) return 'jepsen'
    if (line.startsWith('{')) return 'jsonl'
  }
  return undefined
}

export function parseHistory(text: string, format: Format): HistoryEvent[] {
  const events = format === 'jsonl' ? parseJsonl(text) : format === 'jepsen' ? parseJepsen(text) : parseEdn(text)
  if (events.length === 0) throw new HistoryError(`no operations found in this ${format} history`)
  return events
}

export function parseJsonl(text: string): HistoryEvent[] {
  const events: HistoryEvent[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === '') continue
    let o: unknown
    try {
      o = JSON.parse(line)
    } catch (e) {
      throw new HistoryError(`not a JSON object (${(e as Error).message})`, i + 1)
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new HistoryError('not a JSON object', i + 1)
    const r = o as Record<string, unknown>
    const ev = event(i + 1, r.process, r.type, r.f, 'value' in r ? fromJson(r.value) : null)
    if (!ev) continue
    if ('key' in r && r.key !== null && r.key !== undefined) {
      if (typeof r.key !== 'string' && typeof r.key !== 'number') throw new HistoryError(`"key" must be a string or a number, not ${JSON.stringify(r.key)}`, i + 1)
      ev.key = r.key
    }
    if ('time' in r && r.time !== undefined) {
      if (typeof r.time !== 'number' || !Number.isFinite(r.time)) throw new HistoryError(`"time" must be a number, not ${JSON.stringify(r.time)}`, i + 1)
      ev.time = r.time
    }
    events.push(ev)
  }
  return events
}

export function parseJepsen(text: string): HistoryEvent[] {
  const events: HistoryEvent[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const m = JEPSEN_LINE.exec(line) ?? BARE_LINE.exec(line)
    if (!m) {
      if (/jepsen\.util/.test(line) && /:(invoke|ok|fail|info)\b/.test(line)) throw new HistoryError(`not a Jepsen operation line (PROCESS :TYPE :F VALUE): '${line.trim()}'`, i + 1)
      continue
    }
    const [, proc, type, f, rest] = m
    if (proc === ':nemesis') continue
    if (!/^\d+$/.test(proc!)) throw new HistoryError(`the process must be a number or :nemesis, not '${proc}'`, i + 1)
    if (!type!.startsWith(':') || !f!.startsWith(':')) throw new HistoryError(`not a Jepsen operation line (PROCESS :TYPE :F VALUE): '${line.trim()}'`, i + 1)
    let value: Value = null
    if (rest !== undefined && rest !== '') {
      try {
        value = readEdn(rest, i + 1)
      } catch (e) {
        throw new HistoryError(`cannot read the value '${rest}': ${(e as Error).message}`, i + 1)
      }
    }
    events.push(event(i + 1, Number(proc), type!.slice(1), f!.slice(1), value)!)
  }
  return events
}

export function parseEdn(text: string): HistoryEvent[] {
  const events: HistoryEvent[] = []
  const r = new EdnReader(text)
  try {
    // A whole-file vector or list of maps, or maps one after another.
    const opener = r.peek()
    const wrapped = opener === '[' || opener === '('
    if (wrapped) r.expect(opener)
    const close = opener === '[' ? ']' : ')'
    while (r.more()) {
      if (wrapped && r.peek() === close) {
        r.expect(close)
        if (r.more()) throw new HistoryError(`unexpected text after the closing '${close}'`, r.line)
        break
      }
      r.more()
      const line = r.line
      const form = r.read()
      if (typeof form !== 'object' || form === null || Array.isArray(form) || !('map' in form)) throw new HistoryError(`expected an operation map {:process …, :type …, :f …, :value …}, got ${show(form)}`, line)
      const ev = fromEdnMap(form, line)
      if (ev) events.push(ev)
    }
  } catch (e) {
    if (e instanceof EdnError) throw new HistoryError(e.message, e.line)
    throw e
  }
  return events
}

function fromEdnMap(m: ValueMap, line: number): HistoryEvent | undefined {
  const get = (name: string): Value | undefined => m.map.find(([k]) => isKeyword(k, name))?.[1]
  const proc = get('process')
  if (isKeyword(proc, 'nemesis')) return undefined
  const type = get('type')
  const f = get('f')
  const ev = event(line, proc, isKeyword(type) ? type.kw : type, isKeyword(f) ? f.kw : f, get('value') ?? null)
  if (!ev) return undefined
  const key = get('key')
  if (key !== undefined && key !== null) {
    if (typeof key !== 'string' && typeof key !== 'number' && !isKeyword(key)) throw new HistoryError(`:key must be a string, a number or a keyword, not ${show(key)}`, line)
    ev.key = isKeyword(key) ? `:${key.kw}` : key
  }
  const time = get('time')
  if (typeof time === 'number') ev.time = time
  return ev
}

/** Validates the fields every format shares; undefined for the nemesis's events. */
function event(line: number, process: unknown, type: unknown, f: unknown, value: Value): HistoryEvent | undefined {
  let proc: number | string
  if (process === 'nemesis' || isKeyword(process as Value, 'nemesis')) return undefined
  if (typeof process === 'number' && Number.isInteger(process)) proc = process
  else if (typeof process === 'string' && process !== '') proc = process
  else throw new HistoryError(`"process" must be an integer or a name, not ${describeField(process)}`, line)
  if (typeof type !== 'string' || !TYPES.has(type as EventType)) throw new HistoryError(`"type" must be invoke, ok, fail or info, not ${describeField(type)}`, line)
  if (typeof f !== 'string' || f === '') throw new HistoryError(`"f" must name the operation (read, write, cas…), not ${describeField(f)}`, line)
  return {line, process: proc, type: type as EventType, f, value}
}

function describeField(x: unknown): string {
  if (x === undefined) return 'missing'
  if (typeof x === 'object' && x !== null && ('kw' in x || 'set' in x || 'map' in x)) return show(x as Value)
  return JSON.stringify(x)
}
