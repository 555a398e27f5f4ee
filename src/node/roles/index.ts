import {UsageError} from '../../errors/index.js'
import type {Role, RoleFactory, RoleOptions} from './types.js'

export type {Role, RoleContext, RoleFactory, RoleOptions} from './types.js'

/** Roles load on demand: a command that only lists role names must not load every protocol. */
const registry: Record<string, () => Promise<RoleFactory>> = {
  echo: async () => (await import('./echo.js')).echoRole,
  'kv-local': async () => (await import('./kv-local.js')).kvLocalRole,
  gossip: async () => (await import('./gossip/index.js')).gossipRole,
  'gossip-log': async () => (await import('./gossip/index.js')).gossipLogRole,
  shard: async () => (await import('./shard.js')).shardRole,
}

/** Roles that run the membership core, and so take the gossip flags (`--detector`, `--secret`, …). */
export const MEMBERSHIP_ROLES: readonly string[] = ['gossip', 'gossip-log', 'shard']

export function roleNames(): string[] {
  return Object.keys(registry)
}

export async function createRole(name: string, options: RoleOptions = {}): Promise<Role> {
  const load = registry[name]
  if (!load) throw new UsageError(`unknown role '${name}' (known: ${roleNames().join(', ')})`)
  return (await load())(options)
}
