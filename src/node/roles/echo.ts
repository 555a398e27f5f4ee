import type {Role} from './types.js'

/** The smallest role: the node answers `echo` (built into every node) and nothing else. */
export function echoRole(): Role {
  return {
    name: 'echo',
    async start() {},
    status: () => ({}),
    async stop() {},
  }
}
