/** The gossip role: a failure-detector core (src/gossip) as core `membership` on the node host. */
export {gossipRole, gossipLogRole, GossipRole, MEMBERSHIP, type GossipRoleOptions, type GossipControl, type MembersView, type WithMembership} from './role.js'
export type {GossipCounters, GossipMetrics} from './metrics.js'
export {parseTags, gossipOverrides} from './options.js'
export {MemberLogCore, memberLogFactory, type MemberLogEvent} from './member-log.js'
export {AddressBook, MAX_STRANGERS, parseAddr} from './address-book.js'
