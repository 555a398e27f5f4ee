import {randomBytes} from 'node:crypto'
import {pack, unpack} from 'msgpackr'
import {Keyring} from './keyring.js'

/**
 * Authenticated control requests. When a cluster has a key, reaching a node's port must not be
 * enough to stop it or inject faults: the CLI seals each control request with the cluster's
 * primary key (AES-GCM, see keyring.ts, on a key derived for control only), together with the
 * time it was sent and a random nonce; the node opens it with any installed key, refuses it if it
 * is older or newer than `windowMs`, or if its nonce was seen within the window (a replay), and
 * only then acts. The nonce cache holds one window of requests and is bounded: when full, new
 * requests are refused until entries expire, rather than forgetting nonces a replay could reuse.
 *
 * Only `status` is served unsealed, so a node can be found and identified (`dtk cluster add`)
 * before its key is known; it changes nothing.
 */
export const CONTROL_LABEL = 'control'
const VERSION = 1

export interface SealedControl {
  op: 'control.sealed'
  v: number
  s: Uint8Array
}

interface Envelope {
  t: number
  n: Uint8Array
  r: unknown
}

export function isSealedControl(msg: unknown): msg is SealedControl {
  return typeof msg === 'object' && msg !== null && (msg as SealedControl).op === 'control.sealed'
}

/** The CLI's side: wraps a control request for a node whose cluster has this keyring. */
export function sealControl(keyring: Keyring, req: unknown, now = Date.now()): SealedControl {
  const body: Envelope = {t: now, n: randomBytes(16), r: req}
  return {op: 'control.sealed', v: VERSION, s: keyring.derive(CONTROL_LABEL).seal(pack(body))}
}

export class ControlAuthError extends Error {
  constructor(readonly reason: 'unsealed' | 'bad-seal' | 'stale' | 'replay' | 'busy' | 'malformed', message: string) {
    super(message)
    this.name = 'ControlAuthError'
  }
}

export interface ControlGuardOptions {
  windowMs?: number
  maxNonces?: number
  now?: () => number
}

/** The node's side: decides whether a control request may act. One per node process. */
export class ControlGuard {
  private readonly seen = new Map<string, number>()
  private readonly windowMs: number
  private readonly maxNonces: number
  private readonly now: () => number
  refused = 0

  /** `keyring()` is asked on every request, so a rotated keyring applies at once; undefined = no key, no checks. */
  constructor(private readonly keyring: () => Keyring | undefined, opts: ControlGuardOptions = {}) {
    this.windowMs = opts.windowMs ?? 60_000
    this.maxNonces = opts.maxNonces ?? 10_000
    this.now = opts.now ?? Date.now
  }

  /** The request to act on, or a ControlAuthError (counted) saying why it is refused. */
  admit(msg: unknown, isExempt: (req: unknown) => boolean): unknown {
    const ring = this.keyring()
    if (!isSealedControl(msg)) {
      if (!ring || isExempt(msg)) return msg
      return this.refuse('unsealed', 'this node requires control requests sealed with the cluster key (start the CLI with the cluster\'s state dir, or set DTK_SECRET)')
    }
    if (!ring) return this.refuse('bad-seal', 'this node has no key, so it cannot open a sealed control request')
    const raw = msg.s instanceof Uint8Array ? ring.derive(CONTROL_LABEL).open(Buffer.from(msg.s)) : null
    if (msg.v !== VERSION || !raw) return this.refuse('bad-seal', 'the control request is not sealed with a key this node has')
    let env: Envelope
    try {
      env = unpack(raw) as Envelope
    } catch {
      return this.refuse('malformed', 'the sealed control request does not decode')
    }
    if (typeof env !== 'object' || env === null || typeof env.t !== 'number' || !(env.n instanceof Uint8Array) || env.n.length !== 16) {
      return this.refuse('malformed', 'the sealed control request has no time or nonce')
    }
    const now = this.now()
    if (Math.abs(now - env.t) > this.windowMs) return this.refuse('stale', `the control request was sealed ${Math.round((now - env.t) / 1000)} s from now; more than ${this.windowMs / 1000} s apart (clocks out of step, or a replay)`)
    this.expire(now)
    const nonce = Buffer.from(env.n).toString('hex')
    if (this.seen.has(nonce)) return this.refuse('replay', 'this control request was already received (a replay)')
    if (this.seen.size >= this.maxNonces) return this.refuse('busy', `more than ${this.maxNonces} control requests within ${this.windowMs / 1000} s; try again shortly`)
    this.seen.set(nonce, env.t)
    return env.r
  }

  private expire(now: number): void {
    for (const [nonce, t] of this.seen) if (Math.abs(now - t) > this.windowMs) this.seen.delete(nonce)
  }

  private refuse(reason: ControlAuthError['reason'], message: string): never {
    this.refused++
    throw new ControlAuthError(reason, `control request refused: ${message}`)
  }
}
