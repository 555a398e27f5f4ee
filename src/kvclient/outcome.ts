import {parseResponse, type KvResult, type KvValue} from '../kv/index.js'
import {TransportError} from '../transport/index.js'

/**
 * What a KV client operation came to, in Jepsen's three words (../shared/histories/README.md):
 * `ok` it took effect; `fail` it certainly did not and never will; `info` it may or may not have.
 * The mapping is the client contract's (docs/kv.md, "Outcomes"):
 *
 * - a `kv.res` result is taken as it is (`ok`, `fail`, `info`);
 * - a TransportError `never-sent` is `fail`: the frame was taken out of every queue before we
 *   heard, so the node never saw it;
 * - a TransportError `unknown` is `info`: the frame was written and no answer came;
 * - REMOTE_ERROR (`answered`) is `fail` only when its text says the request was refused before it
 *   reached a core (a bad request, an unknown op); any other remote error is `info`, because the
 *   node saw the request and we cannot tell how far it got;
 * - an answer that is not a `kv.res` for our request is `info` (the node saw the request).
 */
export type KvOutcome =
  | {type: 'ok'; value?: KvValue; existed?: boolean; keys?: string[]}
  | {type: 'fail'; error: string; message: string; value?: KvValue}
  | {type: 'info'; error: string; message: string}

/** Remote errors that say the request never reached a core: the host refused the envelope. */
const REFUSED_BEFORE_CORE = /\bbad[- ]request\b|refused before|reached no core|unknown op\b|request without an op|no request handler|not a client request|runs no core|no core named|unknown core/i

/** The outcome of a request the transport rejected. Anything that is not a TransportError never left this process (an encoding error): `fail`. */
export function outcomeOfError(err: unknown): KvOutcome {
  if (!(err instanceof TransportError)) return {type: 'fail', error: 'client', message: err instanceof Error ? err.message : String(err)}
  const error = err.code.toLowerCase().replace(/_/g, '-')
  switch (err.outcome) {
    case 'never-sent':
      return {type: 'fail', error, message: err.message}
    case 'unknown':
      return {type: 'info', error, message: err.message}
    case 'answered':
      return REFUSED_BEFORE_CORE.test(err.message) ? {type: 'fail', error: 'bad-request', message: `refused by the node: ${err.message}`} : {type: 'info', error: 'remote-error', message: `the node failed while handling it: ${err.message}`}
  }
}

/** The outcome a node's result stands for. */
export function outcomeOfResult(r: KvResult): KvOutcome {
  switch (r.type) {
    case 'ok': {
      const o: KvOutcome = {type: 'ok'}
      if (r.value !== undefined) o.value = r.value
      if (r.existed !== undefined) o.existed = r.existed
      if (r.keys !== undefined) o.keys = r.keys
      return o
    }
    case 'fail': {
      const o: KvOutcome = {type: 'fail', error: r.error, message: r.message ?? FAIL_TEXT[r.error] ?? r.error}
      if (r.value !== undefined) o.value = r.value
      return o
    }
    case 'info':
      return {type: 'info', error: r.error, message: INFO_TEXT[r.error] ?? r.error}
  }
}

/**
 * A response body checked against the request it answers: a `kv.res` with our `req`, or `null`
 * when it is not one (then the outcome is `info`, see `badResponse`).
 */
export function resultOf(body: unknown, req: number): KvResult | null {
  const res = parseResponse(body)
  return res !== null && res.req === req ? res.result : null
}

export function badResponse(body: unknown): KvOutcome {
  let text: string
  try {
    text = JSON.stringify(body)?.slice(0, 120) ?? String(body)
  } catch {
    text = String(body)
  }
  return {type: 'info', error: 'bad-response', message: `the node answered with something that is not a result for this request: ${text}`}
}

const FAIL_TEXT: Record<string, string> = {
  mismatch: 'the value did not match',
  'bad-request': 'the node refused the request as malformed',
  full: 'the node is full',
  'not-leader': 'the node does not serve this request',
}

const INFO_TEXT: Record<string, string> = {
  timeout: 'the node timed out waiting for the outcome',
  unavailable: 'the node could not reach what it needed',
}
