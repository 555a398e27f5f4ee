import {UsageError} from '../errors/index.js'
import {heartbeatProfiles, type HeartbeatConfig} from './heartbeat.js'
import {phiConfig, type PhiConfig} from './phi-detector.js'
import {resolveSwimConfig, type SwimConfig, type SwimProfile} from './config.js'
import type {DetectorKind} from './types.js'

/**
 * Detector parameter overrides given as text (`--param probeInterval=500ms`), checked against
 * the parameters each detector really has. One parser for the simulator command and for real
 * node processes, so the same flag means the same thing in both; errors are usage errors (exit 2).
 */

export type ParamValue = number | boolean
export interface DetectorOverrides {
  swim: Partial<SwimConfig>
  phi: Partial<PhiConfig>
  heartbeat: Partial<HeartbeatConfig>
}

/** Every tunable parameter of `kind` with its value on `profile`. */
export function detectorParams(kind: DetectorKind, profile: SwimProfile = 'lan'): Record<string, ParamValue> {
  if (kind === 'swim') return {...resolveSwimConfig(profile)}
  if (kind === 'phi') return {...phiConfig(profile)}
  return {...heartbeatProfiles[profile]}
}

const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000}

function parseValue(name: string, text: string, like: ParamValue): ParamValue {
  if (typeof like === 'boolean') {
    if (/^(true|on|yes|1)$/i.test(text)) return true
    if (/^(false|off|no|0)$/i.test(text)) return false
    throw new UsageError(`--param ${name}: '${text}' is not a boolean (true/false)`)
  }
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text)
  if (!m) throw new UsageError(`--param ${name}: '${text}' is not a number (durations: 200ms, 1.5s)`)
  const v = Number(m[1]) * UNITS[m[2] ?? 'ms']!
  if (!Number.isFinite(v) || v < 0) throw new UsageError(`--param ${name}: '${text}' must be a non-negative number`)
  return v
}

/**
 * Parses `name=value` overrides. A name applies to every detector in `kinds` that has it; a
 * name none of them has is a usage error listing the known names. Times are milliseconds
 * (`500`, `500ms`, `1.5s`); booleans `true`/`false`.
 */
export function parseDetectorParams(specs: readonly string[], kinds: readonly DetectorKind[], profile: SwimProfile = 'lan'): DetectorOverrides {
  const out: DetectorOverrides = {swim: {}, phi: {}, heartbeat: {}}
  const known = new Map<DetectorKind, Record<string, ParamValue>>(kinds.map((k) => [k, detectorParams(k, profile)]))
  for (const spec of specs) {
    const eq = spec.indexOf('=')
    if (eq <= 0) throw new UsageError(`--param '${spec}' is not name=value (e.g. probeInterval=500ms)`)
    const name = spec.slice(0, eq).trim()
    const text = spec.slice(eq + 1).trim()
    let used = false
    for (const [kind, params] of known) {
      if (!(name in params)) continue
      ;(out[kind] as Record<string, ParamValue>)[name] = parseValue(name, text, params[name]!)
      used = true
    }
    if (!used) {
      const names = [...new Set([...known.values()].flatMap((p) => Object.keys(p)))].sort()
      throw new UsageError(`--param '${name}' is not a parameter of ${kinds.join('/')} (known: ${names.join(', ')})`)
    }
  }
  if (out.swim.probeTimeout !== undefined || out.swim.probeInterval !== undefined) {
    const c = {...resolveSwimConfig(profile), ...out.swim}
    if (kinds.includes('swim') && c.probeTimeout > c.probeInterval) throw new UsageError('--param: probeTimeout must not exceed probeInterval')
  }
  return out
}
