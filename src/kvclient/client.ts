import {randomBytes} from 'node:crypto'
import {performance} from 'node:perf_hooks'
import type {KvOp, KvRequest} from '../kv/index.js'
import {Transport, TransportError, type TransportOptions} from '../transport/index.js'
import {badResponse, outcomeOfError, outcomeOfResult, resultOf, type KvOutcome} from './outcome.js'

/**
 * The one client for every KV-serving role (the contract: docs/kv.md, "The client protocol").
 *
 * A client is a transport endpoint of its own (`client-<pid>-<hex>`, not a control endpoint: its
 * traffic goes through the fault layer like any peer's). Each operation is one request
 * `{op: 'client', core, msg: KvRequest}` to a node; the node's core answers with a `KvResponse`.
 *
 * Request numbers come from one counter per endpoint, so (endpoint, req) names one request even
 * when many sessions share the endpoint (the host matches answers by peer and `req`), and each
 * session's numbers still increase, as the servers' at-most-once sessions require
 * (src/kv/sessions.ts). A session has one request in flight at a time: the load generator gives
 * each of its processes a session of its own.
 *
 * No operation is retried in a way that could apply it twice or hide what happened:
 * - a `fail` result with a `redirect` hint is sent to that node with the SAME (client, req), at
 *   most `maxHops` times (Raft §6.2: "not the leader, try n3");
 * - a request the transport reports `never-sent` because the connection could not be made or
 *   broke before the frame was written (CONNECT_FAILED, CONNECTION_LOST) is sent again, the same
 *   (client, req), until the operation's deadline: the node never saw it, so nothing can happen
 *   twice; the transport's reconnect backoff paces these attempts;
 * - anything whose outcome is unknown (a timeout after the frame was written, a connection lost
 *   under a written request) ends the operation as `info`, at once.
 */
export interface KvNode {
  id: string
  host: string
  port: number
  /** The name under which the node runs its KV-serving core (`roleStatus.clientCore`). */
  core: string
}

export type NodeLookup = (id: string) => KvNode | undefined

export interface KvClientOptions {
  /** Where each node is, by id: redirect hints name nodes by id. */
  nodes: NodeLookup | Map<string, KvNode>
  /** An operation's whole budget, redirects and reconnects included (ms). Default 5000. */
  timeoutMs?: number
  /** Redirects followed per operation. Default 3. */
  maxHops?: number
  /** The endpoint id (a `client-` prefix is required). Default `client-<pid>-<8 hex>`. */
  id?: string
  /** Transport options for the endpoint (tests: tiny queues, a fault seed). */
  transport?: Partial<Omit<TransportOptions, 'id' | 'listen' | 'control'>>
}

/** One operation's end: the outcome, the node that gave it, redirects followed, requests sent. */
export interface KvCall {
  outcome: KvOutcome
  node: string
  hops: number
  attempts: number
  req: number
}

/** Codes of a `never-sent` failure worth another attempt: the connection, not the request, failed. */
const RECONNECTABLE = new Set(['CONNECT_FAILED', 'CONNECTION_LOST'])

export class KvClient {
  readonly id: string
  readonly transport: Transport
  readonly timeoutMs: number
  readonly maxHops: number
  private readonly lookup: NodeLookup
  private nextReq = 1

  private constructor(transport: Transport, opts: KvClientOptions) {
    this.transport = transport
    this.id = transport.id
    this.timeoutMs = opts.timeoutMs ?? 5000
    this.maxHops = opts.maxHops ?? 3
    const nodes = opts.nodes
    this.lookup = typeof nodes === 'function' ? nodes : (id) => nodes.get(id)
  }

  static async open(opts: KvClientOptions): Promise<KvClient> {
    const id = opts.id ?? `client-${process.pid}-${randomBytes(4).toString('hex')}`
    if (!id.startsWith('client-')) throw new Error(`a KV client's endpoint id must start with 'client-' (got '${id}')`)
    if (!(Number.isInteger(opts.maxHops ?? 3) && (opts.maxHops ?? 3) >= 0)) throw new Error('maxHops must be a whole number >= 0')
    // A restarted node should be reached again within a fraction of a second, not after the
    // transport's default 5 s backoff cap: a client has few links and retries only never-sent requests.
    const transport = await Transport.listen({backoff: {initialMs: 20, maxMs: 500}, ...opts.transport, id, listen: false})
    return new KvClient(transport, opts)
  }

  /** A session name for this endpoint: `<id>` alone, or `<id>.<name>` (one per load process). */
  session(name?: string | number): string {
    return name === undefined ? this.id : `${this.id}.${name}`
  }

  /** Runs `op` as the next request of `session`, starting at node `node`. Never rejects. */
  async call(session: string, op: KvOp, node: string, timeoutMs = this.timeoutMs): Promise<KvCall> {
    const req = this.nextReq++
    const msg: KvRequest = {type: 'kv.req', client: session, req, op}
    const deadline = performance.now() + timeoutMs
    let target = node
    let hops = 0
    let attempts = 0
    let reconnects = 0
    let lastReconnect: {error: string; message: string} | null = null
    for (;;) {
      const n = this.lookup(target)
      if (n === undefined) {
        const message = hops === 0 ? `unknown node '${target}'` : `redirected to '${target}', which is not a known node`
        return {outcome: {type: 'fail', error: 'not-leader', message}, node: target, hops, attempts, req}
      }
      attempts++
      let body: unknown
      try {
        body = await this.transport.request(n, {op: 'client', core: n.core, msg}, {timeoutMs: Math.max(1, deadline - performance.now())})
      } catch (err) {
        let outcome = outcomeOfError(err)
        // Out of time while waiting for a connection: say why it never went out.
        if (outcome.type === 'fail' && lastReconnect && err instanceof TransportError && err.code === 'TIMEOUT') {
          outcome = {type: 'fail', error: lastReconnect.error, message: `${lastReconnect.message} (${attempts} attempts in ${timeoutMs} ms)`}
        }
        if (outcome.type === 'fail' && err instanceof TransportError && RECONNECTABLE.has(err.code) && !this.transport.isClosed()) {
          lastReconnect = outcome
          // A pause of our own as well as the transport's backoff: a fault that drops every frame
          // fails each attempt at once, and must not spin the event loop until the deadline.
          const pause = Math.min(200, 10 * 2 ** Math.min(reconnects++, 5))
          if (deadline - performance.now() > pause) {
            await new Promise((r) => setTimeout(r, pause))
            if (!this.transport.isClosed()) continue
          }
        }
        return {outcome, node: target, hops, attempts, req}
      }
      const r = resultOf(body, req)
      if (r === null) return {outcome: badResponse(body), node: target, hops, attempts, req}
      if (r.type === 'fail' && r.redirect !== undefined) {
        if (hops >= this.maxHops) {
          return {outcome: {type: 'fail', error: 'not-leader', message: `redirected ${hops} times without reaching a node that serves it (last hint: ${r.redirect})`}, node: target, hops, attempts, req}
        }
        hops++
        target = r.redirect
        continue
      }
      return {outcome: outcomeOfResult(r), node: target, hops, attempts, req}
    }
  }

  close(): Promise<void> {
    return this.transport.close()
  }
}
