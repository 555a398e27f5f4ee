/**
 * dtk's one way onto the network: framed msgpack over TCP (one-way, request/response), datagrams
 * over UDP with the same codec, and sender-side fault injection for both. Imports nothing else from
 * dtk so every other package can depend on it.
 */
export {Transport, type PeerAddress, type TransportOptions, type IncomingContext, type TransportStats, type LogFn} from './transport.js'
export {UdpEndpoint, type UdpOptions, type UdpStats} from './udp.js'
export {FaultController, type LinkFaults} from './faults.js'
export {TransportError, FrameError, type TransportErrorCode} from './errors.js'
export {encodeFrame, FrameDecoder, DEFAULT_MAX_FRAME_BYTES} from './codec.js'
