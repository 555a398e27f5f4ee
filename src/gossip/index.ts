/**
 * Gossip membership and failure detection as sans-IO cores (see src/core): SWIM + Lifeguard (the
 * default), phi accrual and fixed-timeout heartbeats, all emitting the same membership events.
 * Hosts: src/sim (deterministic simulation) and the node runtime (real UDP/TCP).
 */
export type {Detector, DetectorBaseOptions, DetectorCommand, DetectorKind, Member, MemberState, MembershipEvent, Tags} from './types.js'
export {createDetector, detectorKinds, type DetectorOptions, type GossipMessage} from './detector.js'
export {SwimCore, createSwim, type SwimOptions} from './swim.js'
export {swimProfiles, swimProfileNames, resolveSwimConfig, pushPullScale, MEMBERLIST_RULES, type SwimConfig, type SwimProfile} from './config.js'
export {AllToAllCore, type AllToAllMessage, type Judge} from './all-to-all.js'
export {createHeartbeat, heartbeatConfig, heartbeatProfiles, TimeoutJudge, type HeartbeatConfig, type HeartbeatOptions} from './heartbeat.js'
export {createPhi, phiConfig, PhiJudge, type PhiConfig, type PhiDetectorOptions} from './phi-detector.js'
export {phi, phiDefaults, ArrivalWindow, type PhiOptions} from './phi.js'
export {Awareness} from './awareness.js'
export {Suspicion, suspicionBounds, suspicionTimeout, type SuspicionBounds} from './suspicion.js'
export {BroadcastQueue, retransmitLimit, type QueuedBroadcast} from './broadcast-queue.js'
export {updateSize, envelopeSize, messageSize, type SwimMessage, type Update, type MemberSnapshot} from './messages.js'
export {encodedSize, utf8Length} from './size.js'
export {parseDetectorParams, detectorParams, checkSwimConfig, checkPhiConfig, checkHeartbeatConfig, MAX_DURATION, type DetectorOverrides, type ParamValue} from './params.js'
export {validateSwimMessage, validateAllToAllMessage, validateTags, messageValidator, isNodeId, WIRE_LIMITS, MAX_INCARNATION, type RejectReason, type Validated, type Validator} from './validate.js'
export {MAX_INDIRECT} from './probe.js'
export {IdInterner} from './interner.js'
