import {heartbeatProfiles, phiConfig, swimProfiles} from '../../../gossip/index.js'
import {UsageError} from '../../../errors/index.js'

/** Every parameter name `--param` accepts: the fields of the SWIM, phi and heartbeat configs. */
export function paramNames(): string[] {
  return [...new Set([...Object.keys(swimProfiles.lan), ...Object.keys(phiConfig('lan')), ...Object.keys(heartbeatProfiles.lan)])].sort()
}

const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000}

/**
 * `--param probeInterval=500ms --param lifeguard=false --param threshold=10`: durations become
 * milliseconds, true/false booleans, anything else a number. Unknown names are a usage error, so a
 * typo cannot silently leave a default in place.
 */
export function parseParams(items: string[] = []): Record<string, number | boolean> {
  const known = paramNames()
  const out: Record<string, number | boolean> = {}
  for (const item of items) {
    const m = /^([A-Za-z]+)=(.+)$/.exec(item.trim())
    if (!m) throw new UsageError(`--param '${item}' is not name=value`)
    const [, name, raw] = m as unknown as [string, string, string]
    if (!known.includes(name)) throw new UsageError(`--param: unknown parameter '${name}' (known: ${known.join(', ')})`)
    if (raw === 'true' || raw === 'false') {
      out[name] = raw === 'true'
      continue
    }
    const d = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw)
    if (!d) throw new UsageError(`--param ${name}: '${raw}' is not a number, duration or true/false`)
    out[name] = Number(d[1]) * UNITS[d[2] ?? 'ms']!
  }
  return out
}

export function parseTags(text: string | undefined): Record<string, string> {
  const tags: Record<string, string> = {}
  if (!text) return tags
  for (const item of text.split(',')) {
    const m = /^([A-Za-z0-9_.-]+)=(.*)$/.exec(item.trim())
    if (!m) throw new UsageError(`--tags '${item}' is not key=value`)
    if (m[1] === 'addr') throw new UsageError("--tags: 'addr' is set by dtk itself")
    tags[m[1]!] = m[2]!
  }
  return tags
}
