import {UsageError} from '../errors/index.js'
import {heartbeatConfig, type HeartbeatConfig} from './heartbeat.js'
import {phiConfig, type PhiConfig} from './phi-detector.js'
import {resolveSwimConfig, type SwimConfig, type SwimProfile} from './config.js'
import type {DetectorKind} from './types.js'

/**
 * Detector parameters: what each one may be, checked where it is parsed. One parser for the
 * simulator command, for real node processes and for code (the cores' config resolvers call the
 * same checks), so the same flag means the same thing everywhere and a bad value is one line
 * naming the parameter and its allowed range (a usage error: exit 2). Without these checks
 * `gossipInterval=0` or `awarenessMaxMultiplier=0` made a core re-arm a timer at the same instant
 * forever, and `probeTimeout=0` or `indirectChecks=0.5` were silently accepted.
 */

export type ParamValue = number | boolean
export interface DetectorOverrides {
  swim: Partial<SwimConfig>
  phi: Partial<PhiConfig>
  heartbeat: Partial<HeartbeatConfig>
}

/** The longest duration a timer can take on real nodes (setTimeout's 2^31 − 1 ms, ≈ 24.8 days). */
export const MAX_DURATION = 2 ** 31 - 1

type Spec =
  | {type: 'boolean'}
  /** Milliseconds; `min` is exclusive when `open` (an interval must be > 0). */
  | {type: 'duration'; min: number; open?: boolean}
  | {type: 'count'; min: number; max?: number}
  | {type: 'number'; min: number; max?: number; open?: boolean; openMax?: boolean}

const interval: Spec = {type: 'duration', min: 0, open: true}
const window: Spec = {type: 'duration', min: 0}
const count: Spec = {type: 'count', min: 1}
const multiplier: Spec = {type: 'number', min: 1}
const flag: Spec = {type: 'boolean'}

const swimSpecs: Record<keyof SwimConfig, Spec> = {
  probeInterval: interval,
  probeTimeout: interval,
  indirectChecks: count,
  retransmitMult: count,
  suspicionMult: count,
  suspicionMaxTimeoutMult: multiplier,
  gossipInterval: interval,
  gossipNodes: {type: 'count', min: 0},
  gossipToTheDeadTime: window,
  pushPullInterval: interval,
  reconnectInterval: interval,
  reconnectTimeout: interval,
  tombstoneTimeout: interval,
  awarenessMaxMultiplier: count,
  udpBufferSize: {type: 'count', min: 512, max: 65_507},
  lifeguard: flag,
  sharedClock: flag,
  nackAt: {type: 'number', min: 0, max: 1, open: true},
  correctStale: flag,
  recheckSuspects: flag,
  urgentGossip: flag,
  ackAccusations: flag,
  restartSuspicion: flag,
}

const allToAllSpecs = {interval, syncInterval: interval, reconnectTimeout: interval, tombstoneTimeout: interval}
const heartbeatSpecs: Record<keyof HeartbeatConfig, Spec> = {...allToAllSpecs, timeout: interval}
const phiSpecs: Record<keyof PhiConfig, Spec> = {
  ...allToAllSpecs,
  threshold: {type: 'number', min: 0, open: true},
  windowSize: {type: 'count', min: 2},
  minStdDeviation: interval,
  acceptableHeartbeatPause: window,
  firstHeartbeatEstimate: interval,
}

const specsOf: Record<DetectorKind, Record<string, Spec>> = {swim: swimSpecs, phi: phiSpecs, heartbeat: heartbeatSpecs}

/** The allowed range of a parameter, in words. */
function range(s: Spec): string {
  switch (s.type) {
    case 'boolean':
      return 'true or false'
    case 'duration':
      return `a duration ${s.open ? '>' : '>='} ${s.min} ms and <= ${MAX_DURATION} ms (e.g. 200ms, 1.5s, 24h)`
    case 'count':
      return `a whole number ${s.max === undefined ? `>= ${s.min}` : `from ${s.min} to ${s.max}`}`
    case 'number':
      return `a number ${s.open ? '>' : '>='} ${s.min}${s.max === undefined ? '' : ` and ${s.openMax ? '<' : '<='} ${s.max}`}`
  }
}

function inRange(s: Spec, v: unknown): boolean {
  switch (s.type) {
    case 'boolean':
      return typeof v === 'boolean'
    case 'duration':
      return typeof v === 'number' && Number.isFinite(v) && (s.open ? v > s.min : v >= s.min) && v <= MAX_DURATION
    case 'count':
      return typeof v === 'number' && Number.isSafeInteger(v) && v >= s.min && (s.max === undefined || v <= s.max)
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) && (s.open ? v > s.min : v >= s.min) && (s.max === undefined || (s.openMax ? v < s.max : v <= s.max))
  }
}

function fail(name: string, value: unknown, why: string): never {
  throw new UsageError(`--param ${name}=${String(value)}: ${why}`)
}

function checkEach(specs: Record<string, Spec>, c: Record<string, unknown>): void {
  for (const [name, s] of Object.entries(specs)) if (!inRange(s, c[name])) fail(name, c[name], `must be ${range(s)}`)
}

/**
 * Checks a whole SWIM configuration: every value in its range, and the probe timeout short
 * enough that a helper's nack (sent nackAt · probeTimeout after the ping-req, itself sent
 * probeTimeout into the period) is due within the period: probeTimeout · (1 + nackAt) <=
 * probeInterval. memberlist's LAN defaults sit exactly on that bound (500 ms · 2 = 1 s).
 */
export function checkSwimConfig(c: SwimConfig): void {
  checkEach(swimSpecs, c as unknown as Record<string, unknown>)
  const most = c.probeInterval / (1 + c.nackAt)
  if (c.probeTimeout > most) {
    fail('probeTimeout', c.probeTimeout, `with probeInterval=${c.probeInterval} and nackAt=${c.nackAt}, probeTimeout must be > 0 ms and <= probeInterval / (1 + nackAt) = ${+most.toFixed(3)} ms, so that a nack can arrive within the probe period`)
  }
}

export function checkHeartbeatConfig(c: HeartbeatConfig): void {
  checkEach(heartbeatSpecs, c as unknown as Record<string, unknown>)
  if (c.timeout <= c.interval) fail('timeout', c.timeout, `must be > interval (${c.interval} ms): a peer is silent for one interval between heartbeats`)
}

export function checkPhiConfig(c: PhiConfig): void {
  checkEach(phiSpecs, c as unknown as Record<string, unknown>)
}

const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000}

function parseValue(name: string, text: string, s: Spec): ParamValue {
  if (s.type === 'boolean') {
    if (/^(true|on|yes|1)$/i.test(text)) return true
    if (/^(false|off|no|0)$/i.test(text)) return false
    fail(name, text, 'must be true or false')
  }
  const m = /^\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text)
  if (!m || (m[2] !== undefined && s.type !== 'duration')) fail(name, text, `must be ${range(s)}`)
  const v = Number(m[1]) * UNITS[m[2]?.toLowerCase() ?? 'ms']!
  if (!inRange(s, v)) fail(name, text, `must be ${range(s)}`)
  return v
}

/**
 * Parses `name=value` overrides. A name applies to every detector in `kinds` that has it; a
 * name none of them has is a usage error listing the known names. Times are milliseconds
 * (`500`, `500ms`, `1.5s`, `24h`); booleans `true`/`false`. Each value is checked against its
 * range here, and the resolved configuration (profile + overrides) against the rules that tie
 * parameters together (the probe timeout and the nack within the probe period).
 */
export function parseDetectorParams(specs: readonly string[], kinds: readonly DetectorKind[], profile: SwimProfile = 'lan'): DetectorOverrides {
  const out: DetectorOverrides = {swim: {}, phi: {}, heartbeat: {}}
  for (const spec of specs) {
    const eq = spec.indexOf('=')
    if (eq <= 0) throw new UsageError(`--param '${spec}' is not name=value (e.g. probeInterval=500ms)`)
    const name = spec.slice(0, eq).trim()
    const text = spec.slice(eq + 1).trim()
    let used = false
    for (const kind of kinds) {
      const s = specsOf[kind][name]
      if (s === undefined) continue
      ;(out[kind] as Record<string, ParamValue>)[name] = parseValue(name, text, s)
      used = true
    }
    if (!used) {
      const names = [...new Set(kinds.flatMap((k) => Object.keys(specsOf[k])))].sort()
      throw new UsageError(`--param '${name}' is not a parameter of ${kinds.join('/')} (known: ${names.join(', ')})`)
    }
  }
  for (const kind of kinds) resolveChecked(kind, profile, out)
  return out
}

/** Resolves (and so checks) the configuration `kind` would run with on `profile` with `o`. */
function resolveChecked(kind: DetectorKind, profile: SwimProfile, o: DetectorOverrides): Record<string, ParamValue> {
  if (kind === 'swim') return {...resolveSwimConfig(profile, o.swim)}
  if (kind === 'phi') return {...phiConfig(profile, o.phi)}
  return {...heartbeatConfig(profile, o.heartbeat)}
}

/** Every tunable parameter of `kind` with its value on `profile`. */
export function detectorParams(kind: DetectorKind, profile: SwimProfile = 'lan'): Record<string, ParamValue> {
  return resolveChecked(kind, profile, {swim: {}, phi: {}, heartbeat: {}})
}
