/** The generic node host: any composition of sans-IO cores on real sockets, timers, disks and traces. */
export {NodeHost, isClientId} from './host.js'
export type {HostedCore, HostedComposition, HostHooks, HostOptions, Validator} from './types.js'
export type {HostCounters} from './outputs.js'
export {RejectLog, type HostRejectReason} from './rejects.js'
export {DEFAULT_CLIENT_LIMITS, type ClientLimits} from './clients.js'
export type {ClockKind} from './clock.js'
export {datagramEnvelopeBytes, parseDatagram, parseStream, type DatagramEnvelope, type StreamEnvelope} from './envelope.js'
