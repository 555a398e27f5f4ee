import type {KvResult} from './protocol.js'

/**
 * Client sessions for at-most-once writes (Raft dissertation §6.3; etcd and LogCabin keep the
 * same table): per client session, the number of its latest write and that write's result, so
 * that a retry or a duplicate of it is answered from here instead of being applied again.
 *
 * Bounded two ways, and both are deterministic functions of the persisted records (a replay
 * rebuilds the same table): a session idle for `ttl` ms (server time) is dropped, and beyond
 * `max` sessions the least recently written is dropped. A duplicate that arrives after its
 * session was dropped would be applied again: the TTL (default 5 minutes) is far above any
 * delay a retry or the network adds, and clients give up on a request long before it.
 */
export interface Session {
  req: number
  result: KvResult
  /** Server time of the session's latest write. */
  at: number
}

export type SessionCheck = {kind: 'new'} | {kind: 'duplicate'; result: KvResult} | {kind: 'stale'}

export class Sessions {
  /** In order of latest write, oldest first (a write re-inserts its session at the end). */
  private readonly table = new Map<string, Session>()

  constructor(
    readonly max: number,
    readonly ttl: number,
  ) {
    if (!(Number.isInteger(max) && max >= 1) || !(ttl > 0)) throw new Error('kv: sessions need max ≥ 1 and ttl > 0')
  }

  get size(): number {
    return this.table.size
  }

  /** What to do with write `req` of session `client`. */
  check(client: string, req: number): SessionCheck {
    const s = this.table.get(client)
    if (s === undefined || req > s.req) return {kind: 'new'}
    if (req === s.req) return {kind: 'duplicate', result: s.result}
    return {kind: 'stale'}
  }

  /** The newest request number of a session (0 when unknown): reads older than it are stale. */
  latest(client: string): number {
    return this.table.get(client)?.req ?? 0
  }

  /** Records write `req` of `client` at server time `at`, then enforces both bounds. */
  record(client: string, req: number, result: KvResult, at: number): void {
    this.table.delete(client)
    this.table.set(client, {req, result, at})
    this.expire(at)
    while (this.table.size > this.max) this.table.delete(this.table.keys().next().value as string)
  }

  /** Drops sessions idle since before `now − ttl`. */
  expire(now: number): void {
    for (const [client, s] of this.table) {
      if (s.at >= now - this.ttl) break
      this.table.delete(client)
    }
  }

  entries(): [string, Session][] {
    return [...this.table]
  }
}
