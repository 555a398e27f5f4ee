import type {Role} from './types.js'

/** The smallest role: no core; the node answers `echo` (built into every node) and the control protocol. */
export function echoRole(): Role {
  return {
    name: 'echo',
    composition: {cores: {}},
    status: () => ({}),
  }
}
