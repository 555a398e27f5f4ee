import type {NodeId, Recovered} from '../../src/core/index.js'
import {Rng} from '../../src/random/index.js'
import {decodeRecord, ShardCore, type ShardConfig, type ShardEvent, type ShardOutput, type ShardRecord, type ShardWire} from '../../src/shard/index.js'

/**
 * Shard cores driven by hand, for unit tests of the protocol's rules: every record is durable
 * as soon as it is returned (so an output's messages may leave at once, as a host would after
 * the sync), messages wait in one FIFO queue until the test delivers them (or drops them),
 * timers fire only when the test ticks them. Each record gets a global sequence number, so a
 * test can say which node persisted what first.
 */
export interface Sent {
  from: NodeId
  to: NodeId
  msg: ShardWire
}

export interface Logged {
  seq: number
  node: NodeId
  rec: ShardRecord | 'snapshot'
}

export class Hand {
  readonly cores = new Map<NodeId, ShardCore>()
  readonly logs = new Map<NodeId, {snapshot: Uint8Array | null; records: Uint8Array[]}>()
  readonly restarts = new Map<NodeId, number>()
  queue: Sent[] = []
  /** Messages to nodes that are not shard cores (clients). */
  readonly replies: Sent[] = []
  readonly events: {node: NodeId; event: ShardEvent}[] = []
  readonly persisted: Logged[] = []
  readonly outputs: {node: NodeId; out: ShardOutput}[] = []
  now = 0
  private seq = 0

  constructor(
    readonly config: ShardConfig,
    readonly clients: readonly NodeId[] = ['client'],
  ) {}

  start(id: NodeId): ShardCore {
    const restarts = this.restarts.get(id) ?? 0
    const core = new ShardCore({id, random: new Rng(`${id}#${restarts}`), now: this.now, restarts, core: 'kv'}, this.config)
    this.cores.set(id, core)
    const log = this.logs.get(id) ?? {snapshot: null, records: []}
    const recovered: Recovered = {snapshot: log.snapshot, records: [...log.records], truncatedBytes: 0}
    this.apply(id, core.start(this.now, recovered))
    return core
  }

  /** Power loss: the core is gone; its log keeps what was returned (everything here is durable at once). */
  crash(id: NodeId): void {
    this.cores.delete(id)
    this.restarts.set(id, (this.restarts.get(id) ?? 0) + 1)
    this.queue = this.queue.filter((m) => m.to !== id && m.from !== id)
  }

  core(id: NodeId): ShardCore {
    const c = this.cores.get(id)
    if (!c) throw new Error(`${id} is down`)
    return c
  }

  apply(id: NodeId, out: ShardOutput): ShardOutput {
    this.outputs.push({node: id, out})
    const log = this.logs.get(id) ?? {snapshot: null, records: []}
    this.logs.set(id, log)
    for (const r of out.persist ?? []) {
      if (r.type === 'snapshot') {
        log.snapshot = r.data
        log.records = []
        this.persisted.push({seq: ++this.seq, node: id, rec: 'snapshot'})
      } else {
        log.records.push(r.data)
        this.persisted.push({seq: ++this.seq, node: id, rec: decodeRecord(r.data)})
      }
    }
    for (const e of out.send) {
      const m = {from: id, to: e.to, msg: e.msg}
      if (this.clients.includes(e.to)) this.replies.push(m)
      else this.queue.push(m)
    }
    for (const e of out.events) this.events.push({node: id, event: e})
    return out
  }

  tick(id: NodeId, key = 'plan'): ShardOutput {
    return this.apply(id, this.core(id).tick(key, this.now))
  }

  command(id: NodeId, cmd: Parameters<ShardCore['command']>[0]): ShardOutput {
    return this.apply(id, this.core(id).command(cmd, this.now))
  }

  /** A message from outside (a client, or a forged peer) to `to`. */
  inject(from: NodeId, to: NodeId, msg: unknown): ShardOutput {
    return this.apply(to, this.core(to).receive(from, msg as ShardWire, this.now))
  }

  /** Delivers the next queued message (to a live node; messages to a down node are lost). */
  step(): Sent | undefined {
    const m = this.queue.shift()
    if (!m) return undefined
    const c = this.cores.get(m.to)
    if (c) this.apply(m.to, c.receive(m.from, m.msg, this.now))
    return m
  }

  /** Delivers until nothing is queued, or `until(m)` holds for the message just delivered. */
  run(until?: (m: Sent) => boolean, max = 100_000): Sent | undefined {
    for (let i = 0; i < max; i++) {
      const m = this.step()
      if (!m || until?.(m)) return m
    }
    throw new Error('hand: the queue never emptied')
  }

  /** Time passes: plan (and pace) ticks on every live node, then everything queued is delivered; `rounds` times. */
  settle(rounds = 20, ms = 100): void {
    for (let i = 0; i < rounds; i++) {
      this.now += ms
      for (const id of [...this.cores.keys()]) {
        this.tick(id, 'plan')
        this.tick(id, 'pace')
      }
      this.run()
    }
  }

  /** A client request; returns the answers it got (to `client`) once everything queued is delivered. */
  request(to: NodeId, op: unknown, req: number, client = 'client', session = 'client#0'): unknown[] {
    const before = this.replies.length
    this.inject(client, to, {type: 'kv.req', client: session, req, op})
    this.run()
    return this.replies.slice(before).filter((r) => r.to === client).map((r) => (r.msg as {result: unknown}).result)
  }

  recordsOf(id: NodeId, t?: ShardRecord['t']): ShardRecord[] {
    return this.persisted.filter((x) => x.node === id && x.rec !== 'snapshot' && (t === undefined || (x.rec as ShardRecord).t === t)).map((x) => x.rec as ShardRecord)
  }

  /** Makes `member` known to `id` as in the ring (what the membership core's tags say). */
  join(id: NodeId, member: NodeId, gen = 1): void {
    this.command(id, {type: 'member', event: {type: 'join', member, incarnation: 1, tags: {shard: `${gen}:in`}}})
  }
}
