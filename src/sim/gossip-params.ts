import {UsageError} from '../errors/index.js'
import {detectorKinds, heartbeatProfiles, phiConfig, resolveSwimConfig, type DetectorKind, type HeartbeatConfig, type PhiConfig, type SwimConfig, type SwimProfile} from '../gossip/index.js'
import {runGossipScenarioAsync, type GossipScenarioOptions, type GossipScenarioResult, type ScenarioProgress} from './gossip-scenario.js'

/**
 * Detector parameter overrides given as text (`--param probeInterval=500ms`), checked against
 * the parameters each detector really has, and the three-detector comparison. Shared by the
 * `dtk sim gossip` command and tests; errors are usage errors (exit 2).
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

/** One row of a detector comparison. */
export interface ComparisonRow {
  detector: DetectorKind
  firstP50: number
  firstP99: number
  fullP50: number
  fullP99: number
  undetected: number
  falsePositives: number
  falseSuspicions: number
  msgsPerNodePerSecond: number
  bytesPerNodePerSecond: number
}

export function comparisonRow(r: GossipScenarioResult): ComparisonRow {
  const t = r.traffic
  return {
    detector: r.options.detector,
    firstP50: r.detection.first.p50,
    firstP99: r.detection.first.p99,
    fullP50: r.detection.full.p50,
    fullP99: r.detection.full.p99,
    undetected: r.detection.undetected.length,
    falsePositives: r.falsePositives.count,
    falseSuspicions: r.falseSuspicions.count,
    msgsPerNodePerSecond: t.udpMessagesPerNodePerSecond + t.tcpMessagesPerNodePerSecond,
    bytesPerNodePerSecond: t.udpBytesPerNodePerSecond + t.tcpBytesPerNodePerSecond,
  }
}

/**
 * The same scenario (seed, nodes, faults: the victims and start times come from the scenario's
 * own random stream, which does not depend on the detector) under each detector in turn.
 */
export async function compareDetectors(
  opts: Omit<GossipScenarioOptions, 'detector'>,
  progress: {onProgress?: (kind: DetectorKind, p: ScenarioProgress) => void} = {},
  kinds: readonly DetectorKind[] = detectorKinds,
): Promise<{rows: ComparisonRow[]; results: GossipScenarioResult[]}> {
  const results: GossipScenarioResult[] = []
  for (const kind of kinds) {
    results.push(await runGossipScenarioAsync({...opts, detector: kind}, {onProgress: (p) => progress.onProgress?.(kind, p)}))
  }
  return {rows: results.map(comparisonRow), results}
}
