import {Flags} from '@oclif/core'

/**
 * Flags of the gossip role, shared by `dtk node run`, `dtk cluster up` and `dtk cluster join` so
 * a cluster's nodes are all started alike.
 */
export const gossipFlags = {
  detector: Flags.string({description: 'failure detector of the gossip role', options: ['swim', 'phi', 'heartbeat'], default: 'swim', helpGroup: 'GOSSIP'}),
  profile: Flags.string({description: "parameter defaults: memberlist's LAN or Local config, or fast (LAN / 5, for demos)", options: ['lan', 'local', 'fast'], default: 'lan', helpGroup: 'GOSSIP'}),
  param: Flags.string({
    description: 'override one detector parameter, e.g. probeInterval=500ms, suspicionMult=5, lifeguard=false, threshold=10 (repeatable)',
    multiple: true,
    helpGroup: 'GOSSIP',
  }),
  'phi-threshold': Flags.string({description: 'phi detector: convict above this phi (default 8)', helpGroup: 'GOSSIP'}),
  tags: Flags.string({description: 'node metadata gossiped with membership, k=v,k2=v2', helpGroup: 'GOSSIP'}),
  secret: Flags.string({description: 'key(s) to authenticate and encrypt gossip, comma-separated, first one primary (base64 16/24/32 bytes, or a passphrase)', env: 'DTK_SECRET', helpGroup: 'GOSSIP'}),
  'gossip-seed': Flags.integer({description: "seed for the detector's random choices", helpGroup: 'GOSSIP'}),
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
