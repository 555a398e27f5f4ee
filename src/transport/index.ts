/**
 * dtk's one way onto the network: framed msgpack over TCP (one-way, request/response), datagrams
 * over UDP with the same codec, and sender-side fault injection for both. Imports nothing else from
 * dtk so every other package can depend on it.
 */
export {Transport, type MessageHandler, type RequestHandler, type StreamBrokenHandler} from './transport.js'
export {
  DEFAULTS as TRANSPORT_DEFAULTS,
  type PeerAddress,
  type TransportOptions,
  type IncomingContext,
  type TransportStats,
  type LogFn,
  type StreamBreak,
  type StreamBreakReason,
} from './options.js'
export {PROTOCOL_VERSION} from './frames.js'
export {UdpEndpoint, type UdpOptions, type UdpStats} from './udp.js'
export {FaultController, type LinkFaults} from './faults.js'
export {TransportError, FrameError, type TransportErrorCode, type Outcome} from './errors.js'
export {encodeFrame, FrameDecoder, DEFAULT_MAX_FRAME_BYTES} from './codec.js'
