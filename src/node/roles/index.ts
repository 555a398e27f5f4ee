import {UsageError} from '../../errors/index.js'
import {echoRole} from './echo.js'
import {kvLocalRole} from './kv-local.js'
import type {RoleFactory} from './types.js'

export type {Role, RoleContext, RoleFactory} from './types.js'

const registry = new Map<string, RoleFactory>([
  ['echo', echoRole],
  ['kv-local', kvLocalRole],
])

export function roleNames(): string[] {
  return [...registry.keys()]
}

export function createRole(name: string): ReturnType<RoleFactory> {
  const factory = registry.get(name)
  if (!factory) throw new UsageError(`unknown role '${name}' (known: ${roleNames().join(', ')})`)
  return factory()
}

/** Later capabilities register their roles here (gossip, replication, paxos, 2pc). */
export function registerRole(name: string, factory: RoleFactory): void {
  registry.set(name, factory)
}
