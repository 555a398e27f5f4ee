/**
 * The supervisor's operations, gathered for `import {cluster} from '../cluster/index.js'`:
 * node lifecycle, the network between nodes, role calls and events, one concern per file.
 */
export * from './lifecycle.js'
export * from './faults.js'
export * from './roles.js'
export * from './cluster-events.js'
export type {ClusterRef} from './context.js'
export * from './abort.js'
export * from './keys.js'
