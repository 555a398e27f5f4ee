import {Flags} from '@oclif/core'
import {nodeRunFlags, type FlagSpec} from '../node/run-flags.js'

/** An oclif flag from a row of the node-run flag table. */
export function oclifFlag(spec: FlagSpec) {
  const common = {description: spec.description, required: spec.required, env: spec.env, helpGroup: spec.group}
  if (spec.type === 'integer') return Flags.integer({...common, min: spec.min, max: spec.max, default: spec.default as number | undefined})
  if (spec.multiple) return Flags.string({...common, multiple: true})
  return Flags.string({...common, options: spec.options as string[] | undefined, default: spec.default as string | undefined})
}

const g = nodeRunFlags
const help = {helpGroup: 'GOSSIP'}

/**
 * Flags of the gossip role, shared by `dtk node run`, `dtk cluster up` and `dtk cluster join` so
 * a cluster's nodes are all started alike. Spelled out (from the same table) so oclif types them.
 */
export const gossipFlags = {
  detector: Flags.string({...help, description: g.detector.description, options: [...g.detector.options], default: g.detector.default}),
  profile: Flags.string({...help, description: g.profile.description, options: [...g.profile.options], default: g.profile.default}),
  param: Flags.string({...help, description: g.param.description, multiple: true}),
  'phi-threshold': Flags.string({...help, description: g['phi-threshold'].description}),
  tags: Flags.string({...help, description: g.tags.description}),
  secret: Flags.string({...help, description: g.secret.description, env: g.secret.env}),
  'gossip-seed': Flags.integer({...help, description: g['gossip-seed'].description}),
}

export interface GossipFlagValues {
  detector: string
  profile: string
  param?: string[]
  'phi-threshold'?: string
  tags?: string
  'gossip-seed'?: number
}

/** The same flags as `dtk node run` arguments, for the supervisor to start nodes with (the secret travels in the environment). */
export function gossipArgs(f: GossipFlagValues): string[] {
  const args = ['--detector', f.detector, '--profile', f.profile]
  for (const p of f.param ?? []) args.push('--param', p)
  if (f['phi-threshold']) args.push('--phi-threshold', f['phi-threshold'])
  if (f.tags) args.push('--tags', f.tags)
  if (f['gossip-seed'] !== undefined) args.push('--gossip-seed', String(f['gossip-seed']))
  return args
}
