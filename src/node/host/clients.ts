/**
 * Client requests waiting for a core's answer (the contract shared with the KV client:
 * docs/architecture.md, Client requests). A client is a transport endpoint of its own; its
 * request `{op: 'client', core, msg}` is handed to the core as a message from the client's id,
 * and the RPC is held open. The first message the core sends to that id once it is released
 * (after its records are durable: the Ready rule) answers the oldest pending RPC of that client
 * whose `req` matches the message's `req` (or the oldest, when the message has none).
 *
 * Bounded: at most `maxPending` RPCs per node and `maxPerClient` per client (beyond, the host
 * answers `fail: full` at once, certainly not applied); an entry older than `ttlMs` (the
 * transport's request timeout: the client has given up by then) is forgotten.
 */
export interface ClientLimits {
  maxPending: number
  maxPerClient: number
  ttlMs: number
}

export const DEFAULT_CLIENT_LIMITS: ClientLimits = {maxPending: 10_000, maxPerClient: 1_000, ttlMs: 5_000}

interface PendingRpc {
  req: unknown
  at: number
  resolve: (answer: unknown) => void
  reject: (error: Error) => void
}

/** The `req` field of a message, when it has a readable one. */
export function reqOf(msg: unknown): number | undefined {
  const r = typeof msg === 'object' && msg !== null ? (msg as {req?: unknown}).req : undefined
  return typeof r === 'number' && Number.isSafeInteger(r) ? r : undefined
}

export class ClientRequests {
  private readonly byClient = new Map<string, PendingRpc[]>()
  private total = 0
  private sweeper: NodeJS.Timeout | null = null
  /** RPCs answered, and answers that found no RPC waiting (the client had gone). */
  answered = 0
  unanswered = 0
  expired = 0

  constructor(
    readonly limits: ClientLimits,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.total
  }

  /** Whether `peer` has an RPC waiting (the host's cue to answer it rather than send). */
  waiting(peer: string): boolean {
    return this.total > 0 && this.byClient.has(peer)
  }

  /** Holds an RPC of `peer` open; `null` when a bound is reached (the request must not reach the core). */
  hold(peer: string, msg: unknown): Promise<unknown> | null {
    const list = this.byClient.get(peer)
    if (this.total >= this.limits.maxPending || (list !== undefined && list.length >= this.limits.maxPerClient)) return null
    const entry: PendingRpc = {req: reqOf(msg), at: this.clock(), resolve: () => {}, reject: () => {}}
    const p = new Promise<unknown>((resolve, reject) => {
      entry.resolve = resolve
      entry.reject = reject
    })
    if (list) list.push(entry)
    else this.byClient.set(peer, [entry])
    this.total++
    this.sweeper ??= setInterval(() => this.sweep(), Math.max(100, this.limits.ttlMs / 2)).unref()
    return p
  }

  /** Answers `peer`'s oldest RPC matching `msg`'s `req`; false when none waits. */
  answer(peer: string, msg: unknown): boolean {
    const list = this.byClient.get(peer)
    if (list === undefined) {
      this.unanswered++
      return false
    }
    const req = reqOf(msg)
    let i = 0
    if (req !== undefined) while (i < list.length && list[i]!.req !== undefined && list[i]!.req !== req) i++
    if (i >= list.length) {
      this.unanswered++
      return false
    }
    const [entry] = list.splice(i, 1)
    if (list.length === 0) this.byClient.delete(peer)
    this.total--
    this.answered++
    entry!.resolve(msg)
    return true
  }

  /** Fails every waiting RPC (the node stops: the client learns nothing of the outcome). */
  failAll(why: string): void {
    for (const list of this.byClient.values()) for (const e of list) e.reject(new Error(why))
    this.byClient.clear()
    this.total = 0
    if (this.sweeper) clearInterval(this.sweeper)
    this.sweeper = null
  }

  /** Forgets RPCs older than the TTL (their clients timed out long ago). */
  sweep(): void {
    const limit = this.clock() - this.limits.ttlMs
    for (const [peer, list] of this.byClient) {
      let n = 0
      while (n < list.length && list[n]!.at < limit) n++
      if (n === 0) continue
      for (const e of list.splice(0, n)) e.reject(new Error(`no answer from the core within ${this.limits.ttlMs} ms; its outcome is unknown`))
      this.total -= n
      this.expired += n
      if (list.length === 0) this.byClient.delete(peer)
    }
    if (this.total === 0 && this.sweeper) {
      clearInterval(this.sweeper)
      this.sweeper = null
    }
  }
}
