/** The gossip role: a failure-detector core (src/gossip) on real UDP, TCP and timers. */
export {gossipRole, GossipShell, type GossipRoleOptions, type GossipControl, type MembersView} from './role.js'
export type {GossipCounters, GossipMetrics} from './metrics.js'
export {parseTags, gossipOverrides} from './options.js'
