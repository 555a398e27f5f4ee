/** The node process runtime: one role's cores on the node host, the control protocol, events, clean shutdown. */
export {startNode, type NodeOptions, type RunningNode} from './runtime.js'
export type {ControlRequest, NodeStatus, PingResult, PeerRequest} from './control.js'
export {roleNames, createRole, MEMBERSHIP_ROLES, type Role, type RoleContext} from './roles/index.js'
export {NodeHost, isClientId, type HostedCore, type HostedComposition, type HostHooks, type HostOptions, type Validator} from './host/index.js'
export {parsePeerList, formatPeer} from './peers.js'
export {nodeRunFlags, nodeOptionsFrom, parseNodeRunArgv, type NodeRunValues, type FlagSpec} from './run-flags.js'
export {launchNode} from './launch.js'
