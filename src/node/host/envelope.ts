import {packr} from '../../transport/codec.js'

/**
 * The node host's wire envelopes. Every message a core sends travels with its id (the sender's
 * node id and a sequence number) and the sender's Lamport clock, beside the core's message,
 * which is never touched (src/core: Channels). Arrays, not maps: no key names on the wire.
 *
 * - datagram (UDP, one per datagram): `[from, core, seq, lc, msg]`. UDP has no hello, so the
 *   sender's id travels in it.
 * - stream (a one-way TCP frame of the transport): `[core, seq, lc, body]`; the sender is the id
 *   its transport hello named. `body` is the message, or with a key, the message packed and
 *   sealed with the keyring (AES-GCM), so a stream carries nothing readable or forgeable.
 *
 * The wire format's version is the transport's hello version (src/transport/frames.ts), which
 * the envelope change raised: peers of another version are refused at the hello.
 */
export type DatagramEnvelope = [from: string, core: string, seq: number, lc: number, msg: unknown]
export type StreamEnvelope = [core: string, seq: number, lc: number, body: unknown]

/** Node and client ids: letters, digits, '.', '_' and '-', 1 to 64 of them (what `dtk node run --id` accepts). */
const ID = /^[A-Za-z0-9_.-]{1,64}$/
const CORE = /^[A-Za-z0-9_-]{1,32}$/

export function isPeerId(x: unknown): x is string {
  return typeof x === 'string' && ID.test(x)
}

export function isCoreName(x: unknown): x is string {
  return typeof x === 'string' && CORE.test(x)
}

function isCounter(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0
}

/** A datagram's envelope, or null when it is not one. */
export function parseDatagram(x: unknown): DatagramEnvelope | null {
  if (!Array.isArray(x) || x.length !== 5) return null
  return isPeerId(x[0]) && isCoreName(x[1]) && isCounter(x[2]) && isCounter(x[3]) ? (x as DatagramEnvelope) : null
}

/** A stream frame's envelope, or null when it is not one. */
export function parseStream(x: unknown): StreamEnvelope | null {
  if (!Array.isArray(x) || x.length !== 4) return null
  return isCoreName(x[0]) && isCounter(x[1]) && isCounter(x[2]) ? (x as StreamEnvelope) : null
}

/** The largest sequence number or clock an envelope carries: msgpack spends 9 bytes on it. */
const MAX_COUNTER = Number.MAX_SAFE_INTEGER

/**
 * Bytes a datagram envelope adds to the core's message, at most (sequence numbers and clocks at
 * their widest): what a core filling datagrams to a budget must leave free.
 */
export function datagramEnvelopeBytes(from: string, core: string): number {
  return packr.pack([from, core, MAX_COUNTER, MAX_COUNTER, null]).length - packr.pack(null).length
}
