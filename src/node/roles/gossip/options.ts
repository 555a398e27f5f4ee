import {UsageError} from '../../../errors/index.js'
import {parseDetectorParams, WIRE_LIMITS, type DetectorKind, type DetectorOverrides, type SwimProfile} from '../../../gossip/index.js'

/** `--param name=value …` and `--phi-threshold`, checked against the chosen detector's parameters. */
export function gossipOverrides(f: {detector: string; profile: string; param?: string[]; 'phi-threshold'?: string}): DetectorOverrides {
  const specs = [...(f.param ?? [])]
  if (f['phi-threshold'] !== undefined) specs.push(`threshold=${f['phi-threshold']}`)
  return parseDetectorParams(specs, [f.detector as DetectorKind], f.profile as SwimProfile)
}

/**
 * `--tags k=v,k2=v2`: node metadata gossiped with membership. `addr` is dtk's own. Bounded as
 * peers bound what they accept (src/gossip/validate.ts): a node never gossips tags its peers drop.
 */
export function parseTags(text: string | undefined): Record<string, string> {
  const tags: Record<string, string> = {}
  if (!text) return tags
  for (const item of text.split(',')) {
    const m = /^([A-Za-z0-9_.-]+)=(.*)$/.exec(item.trim())
    if (!m) throw new UsageError(`--tags '${item}' is not key=value`)
    if (m[1] === 'addr') throw new UsageError("--tags: 'addr' is set by dtk itself")
    if (m[1]!.length > WIRE_LIMITS.tagKey) throw new UsageError(`--tags: key '${m[1]!.slice(0, 20)}…' is longer than ${WIRE_LIMITS.tagKey} characters`)
    if (m[2]!.length > WIRE_LIMITS.tagValue) throw new UsageError(`--tags: the value of '${m[1]}' is longer than ${WIRE_LIMITS.tagValue} characters`)
    tags[m[1]!] = m[2]!
  }
  // One more for `addr`.
  if (Object.keys(tags).length > WIRE_LIMITS.tags - 1) throw new UsageError(`--tags: at most ${WIRE_LIMITS.tags - 1} tags`)
  return tags
}
