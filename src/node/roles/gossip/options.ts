import {UsageError} from '../../../errors/index.js'
import {parseDetectorParams, type DetectorKind, type DetectorOverrides, type SwimProfile} from '../../../gossip/index.js'

/** `--param name=value …` and `--phi-threshold`, checked against the chosen detector's parameters. */
export function gossipOverrides(f: {detector: string; profile: string; param?: string[]; 'phi-threshold'?: string}): DetectorOverrides {
  const specs = [...(f.param ?? [])]
  if (f['phi-threshold'] !== undefined) specs.push(`threshold=${f['phi-threshold']}`)
  return parseDetectorParams(specs, [f.detector as DetectorKind], f.profile as SwimProfile)
}

/** `--tags k=v,k2=v2`: node metadata gossiped with membership. `addr` is dtk's own. */
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
