import {randomInt} from 'node:crypto'
import {pack, unpack} from 'msgpackr'
import type {Output} from '../../../core/index.js'
import {
  createDetector,
  isNodeId,
  messageValidator,
  swimProfileNames,
  swimProfiles,
  validateTags,
  type Detector,
  type DetectorKind,
  type DetectorOverrides,
  type GossipMessage,
  type Member,
  type MembershipEvent,
  type SwimProfile,
  type Tags,
  type Validator,
} from '../../../gossip/index.js'
import {Keyring, parseKey} from '../../../security/index.js'
import {Rng} from '../../../random/index.js'
import {UdpEndpoint, type PeerAddress} from '../../../transport/index.js'
import {UsageError} from '../../../errors/index.js'
import type {Role, RoleContext, RoleOptions} from '../types.js'
import {newCounters, serveMetrics, type GossipCounters, type GossipMetrics, type MetricsServer} from './metrics.js'
import {AddressBook} from './address-book.js'
import {RejectLog} from './rejects.js'

export interface GossipRoleOptions {
  detector: DetectorKind
  profile: SwimProfile
  /** Overrides of the detector's parameters, from `--param` (see src/gossip/params.ts). */
  overrides: DetectorOverrides
  tags: Tags
  /** Comma-separated keys, the first primary; see src/security. */
  secret?: string
  metricsPort?: number
  seed?: number
}

export type GossipControl =
  | {op: 'members'}
  | {op: 'metrics'}
  | {op: 'leave'}
  | {op: 'tags'; tags: Tags}
  | {op: 'keys'; action: 'list' | 'install' | 'use' | 'remove'; key?: string}

/** `lastChange` is wall-clock ms since the epoch (the clock the gossip core runs on). */
export interface MembersView {
  self: Member
  detector: DetectorKind
  members: Member[]
}

/** Wire envelope of a gossip datagram: the sender's id and the core's message. */
interface Datagram {
  f: unknown
  m: unknown
}

function isEnvelope(x: unknown): x is Datagram {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && 'f' in x && 'm' in x
}


/**
 * The I/O shell around a failure-detector core: UDP datagrams (sealed when a key is set) and TCP
 * push-pull through the one transport, real timers, a monotonic clock, and a seeded PRNG. All the
 * rules — who to probe, when to suspect, what to gossip — are the core's (src/gossip); this file
 * only carries its outputs out and the world's inputs in, and counts what passes.
 */
export class GossipShell implements Role {
  readonly name = 'gossip'
  private core!: Detector<GossipMessage>
  private ctx!: RoleContext
  private udp!: UdpEndpoint
  private keyring: Keyring | undefined
  private metricsServer: MetricsServer | undefined
  private readonly timers = new Map<string, NodeJS.Timeout>()
  private book!: AddressBook
  private readonly counters: GossipCounters = newCounters()
  /** Inputs dropped before the core, by reason (rate-limited `gossip.rejected` events). */
  private rejects!: RejectLog
  /** Datagrams the keyring could not open (the rest of the UDP endpoint's bad datagrams did not decode). */
  private udpUnopened = 0
  private validate!: Validator<GossipMessage>
  /** The highest incarnation at which we learned of our own (false) death; counted once each. */
  private deadAboutMeAt = -1
  private stopped = false
  /** The core has started: inputs before that (while the metrics server binds) are dropped. */
  private started = false
  private readonly t0 = performance.now()
  private readonly wall0 = Date.now()

  constructor(private readonly opts: GossipRoleOptions) {}

  /**
   * The core's clock: wall-clock ms, advanced by the monotonic clock. Members must share it
   * (the aligned probe schedule and the timing of suspicions do; see src/gossip/probe-ring.ts),
   * and a process-relative clock would give every node its own.
   */
  private now(): number {
    return this.wall0 + (performance.now() - this.t0)
  }

  async start(ctx: RoleContext): Promise<void> {
    this.ctx = ctx
    const {host, port} = ctx.transport.address
    this.rejects = new RejectLog((fields) => ctx.events.emit('gossip.rejected', fields))
    this.validate = messageValidator(this.opts.detector) as Validator<GossipMessage>
    if (this.opts.secret) this.keyring = Keyring.fromSecret(this.opts.secret)
    else {
      ctx.events.emit('gossip.insecure', {msg: 'no key set (--secret or DTK_SECRET): gossip is neither authenticated nor encrypted'})
      process.stderr.write(`warning: node ${ctx.id}: gossip runs without a key; set --secret or DTK_SECRET to authenticate and encrypt it\n`)
    }
    // UDP on the same port number as TCP, as memberlist does: one address per member.
    this.udp = await UdpEndpoint.bind({
      id: ctx.id,
      host,
      port,
      faults: ctx.transport.faults,
      seal: this.keyring ? (b) => this.keyring!.seal(b) : undefined,
      open: this.keyring
        ? (b) => {
            const plain = this.keyring!.open(b)
            if (plain === null) {
              this.udpUnopened++
              this.rejects.add('unopened')
            }
            return plain
          }
        : undefined,
      log: (level, msg, fields) => {
        if (level === 'warn' || level === 'error') ctx.events.emit(`gossip.${level}`, {msg, ...fields})
      },
    })
    this.udp.onMessage((raw, from) => {
      if (!isEnvelope(raw) || !isNodeId(raw.f)) return this.rejects.add('envelope')
      const v = this.validate(raw.m)
      if (!v.ok) return this.rejects.add(v.reason, raw.f)
      // A member's address is where its datagrams come from (UDP and TCP share the port number).
      this.book.heard({id: raw.f, host: from.host, port: from.port})
      this.deliver(raw.f, v.msg)
    })
    const seed = this.opts.seed ?? randomInt(2 ** 31)
    const o = this.opts.overrides
    this.core = createDetector(this.opts.detector, {
      id: ctx.id,
      random: new Rng(seed),
      seeds: ctx.seedPeers.map((p) => p.id),
      tags: {...this.opts.tags, addr: `${host.includes(':') ? `[${host}]` : host}:${port}`},
      profile: this.opts.profile,
      swim: o.swim,
      datagramOverhead: this.datagramOverhead(o.swim.udpBufferSize),
      phi: o.phi,
      heartbeat: o.heartbeat,
    })
    this.book = new AddressBook(ctx.seedPeers, (id) => this.core.member(id), () => this.core.members().length)
    if (this.opts.metricsPort !== undefined) {
      this.metricsServer = await serveMetrics(host, this.opts.metricsPort, () => ({counters: this.counters, rejects: this.metrics().rejects, members: this.memberCounts()}), {
        node: ctx.id,
        detector: this.opts.detector,
      })
    }
    ctx.events.emit('gossip.start', {detector: this.opts.detector, profile: this.opts.profile, seed, secure: Boolean(this.keyring), metricsPort: this.metricsServer?.port})
    this.apply(this.core.start(this.now()))
    this.started = true
  }

  /**
   * The core fills a datagram up to `udpBufferSize` bytes of its own message, but what goes on
   * the wire is larger: the envelope carrying our id ({f, m}) and, with a key, the seal (version,
   * nonce, tag). Left at the endpoint's ceiling (1400, memberlist's UDPBufferSize), every full
   * datagram was refused by UdpEndpoint.send as oversize — dropped, with the updates it carried
   * counted as transmitted by the core — which is exactly when news piles up (joins, crashes).
   * So the core is told both overheads, and any excess of udpBufferSize over the endpoint's
   * ceiling, to take off what it fills (memberlist subtracts its own too).
   */
  private datagramOverhead(requested: number | undefined): number {
    const wanted = typeof requested === 'number' ? requested : swimProfiles[this.opts.profile].udpBufferSize
    const envelope = pack({f: this.ctx.id, m: null}).length - pack(null).length
    const seal = this.keyring ? this.keyring.seal(Buffer.alloc(0)).length : 0
    return Math.max(0, wanted - this.udp.maxDatagramBytes) + envelope + seal
  }

  /**
   * Sends one UDP message; should it still not fit (a size estimate off), its piggybacked updates
   * are split off into gossip datagrams rather than lost. False only if a lone message cannot fit.
   */
  private sendUdp(to: PeerAddress, msg: GossipMessage): boolean {
    if (this.udp.send(to, {f: this.ctx.id, m: msg})) return true
    const updates = (msg as {updates?: unknown[]}).updates
    if (!Array.isArray(updates) || updates.length === 0) return false
    this.counters.splits++
    const half = updates.length >> 1
    // Messages are never mutated once handed over (the core may share them): copy.
    const head = {...msg, updates: updates.slice(0, half)} as GossipMessage
    const tail = {type: 'gossip', updates: updates.slice(half)} as unknown as GossipMessage
    const ok = this.sendUdp(to, head)
    return this.sendUdp(to, tail) && ok
  }

  /**
   * Push-pull arrives over TCP as a one-way transport message. With a key, its body is sealed like
   * a datagram (`s`); a plain body (`m`) is then a stranger's and is dropped, and the other way round.
   */
  onPeerMessage(msg: {op: string; [k: string]: unknown}, from: string): void {
    if (msg.op !== 'gossip' || this.stopped) return
    if (!isNodeId(from)) return this.rejects.add('envelope')
    let body: unknown
    if (this.keyring) {
      if (!(Buffer.isBuffer(msg.s) || msg.s instanceof Uint8Array)) return this.rejects.add('unsealed', from)
      const plain = this.keyring.open(Buffer.from(msg.s as Uint8Array))
      if (plain === null) return this.rejects.add('unopened', from)
      try {
        body = unpack(plain)
      } catch {
        return this.rejects.add('unopened', from)
      }
    } else {
      if (msg.m === undefined) return this.rejects.add('unsealed', from)
      body = msg.m
    }
    const v = this.validate(body)
    if (!v.ok) return this.rejects.add(v.reason, from)
    this.deliver(from, v.msg)
  }

  /** Hands a validated message to the core. */
  private deliver(from: string, m: GossipMessage): void {
    if (this.stopped || !this.started) return
    this.counters.messagesIn++
    this.observe(m, 'in')
    const before = this.core.self().incarnation
    let out: Output<GossipMessage, MembershipEvent>
    try {
      out = this.core.receive(from, m, this.now())
    } catch (error) {
      // Validated input must never make a core throw; should one, the node lives on and says so.
      this.rejects.add('core-error', from)
      this.ctx.events.emit('gossip.error', {msg: 'the detector core threw on a message', from, error: String(error).slice(0, 200)})
      return
    }
    this.apply(out)
    if (this.core.self().incarnation > before) this.counters.refutations++
  }


  /** Counting only: which kinds of message pass, and news of our own death. */
  private observe(m: GossipMessage, dir: 'in' | 'out'): void {
    const type = (m as {type?: string}).type
    if (dir === 'out') {
      if (type === 'ping') this.counters.probes++
      else if (type === 'ping-req') this.counters.indirectProbes++
      else if (type === 'push-pull') this.counters.pushPulls++
      return
    }
    if (type === 'ack') this.counters.acks++
    else if (type === 'nack') this.counters.nacks++
    const updates = (m as {updates?: Array<{kind: string; node: string; inc: number; from?: string}>}).updates
    if (Array.isArray(updates)) {
      for (const u of updates) {
        // Once per incarnation at which we were declared dead (a verdict spreads in many copies).
        if (u.kind === 'dead' && u.node === this.ctx.id && u.from !== this.ctx.id && u.inc > this.deadAboutMeAt) {
          this.deadAboutMeAt = u.inc
          this.counters.falsePositives++
          this.ctx.events.emit('gossip.false-positive', {by: u.from, incarnation: u.inc})
        }
      }
    }
  }


  private apply(out: Output<GossipMessage, MembershipEvent>): void {
    // The core may reuse these arrays on its next call, so everything is consumed here, now.
    for (const key of out.cancel) {
      clearTimeout(this.timers.get(key))
      this.timers.delete(key)
    }
    for (const t of out.timers) {
      clearTimeout(this.timers.get(t.key))
      const key = t.key
      this.timers.set(
        key,
        setTimeout(() => {
          this.timers.delete(key)
          if (!this.stopped) this.apply(this.core.tick(key, this.now()))
        }, Math.max(0, t.at - this.now())),
      )
    }
    for (const env of out.send) {
      const to = this.book.lookup(env.to)
      if (!to) {
        this.counters.unroutable++
        continue
      }
      this.counters.messagesOut++
      this.observe(env.msg, 'out')
      if (env.channel === 'stream') {
        try {
          this.ctx.transport.send(to, this.keyring ? {op: 'gossip', s: this.keyring.seal(pack(env.msg))} : {op: 'gossip', m: env.msg})
        } catch {
          // A full queue to a dead member: push-pull is best effort, the next round retries.
        }
      } else if (!this.sendUdp(to, env.msg)) {
        this.ctx.events.emit('gossip.oversize', {to: env.to, message: (env.msg as {type?: string}).type})
      }
    }
    for (const e of out.events) this.onEvent(e)
  }

  private onEvent(e: MembershipEvent): void {
    this.book.onEvent(e)
    if (e.type === 'suspect') {
      this.counters.suspectEvents++
      if (e.by === this.ctx.id) this.counters.suspicionsRaised++
    }
    if (e.type === 'dead') this.counters.deadEvents++
    const fields: Record<string, unknown> = {member: e.member, incarnation: e.incarnation}
    if (e.by) fields.by = e.by
    if (e.type === 'join' || e.type === 'update') fields.tags = e.tags
    this.ctx.events.emit(`member.${e.type}`, fields)
  }

  private memberCounts(): Record<string, number> {
    const counts: Record<string, number> = {alive: 0, suspect: 0, dead: 0, left: 0}
    for (const m of this.core.members()) counts[m.state] = (counts[m.state] ?? 0) + 1
    return counts
  }

  metrics(): GossipMetrics {
    const udp = this.udp.stats()
    const rejects: Record<string, number> = {...this.rejects.counts}
    // The UDP endpoint counts what it could not open or decode; the opening is ours, so the rest did not decode.
    const undecodable = udp.badDatagrams - this.udpUnopened
    if (undecodable > 0) rejects.undecodable = undecodable
    let rejected = 0
    for (const n of Object.values(rejects)) rejected += n
    return {...this.counters, bytesIn: udp.bytesIn, bytesOut: udp.bytesOut, rejected, rejects, udp}
  }

  onControl(body: unknown): unknown {
    const req = body as GossipControl
    switch (req?.op) {
      case 'members': {
        // The core's clock is wall-clock ms already; people read whole milliseconds.
        const wall = (m: Member): Member => ({...m, lastChange: Math.round(m.lastChange)})
        const members = this.core.members().sort((a, b) => a.id.localeCompare(b.id, 'en', {numeric: true}))
        return {self: wall(this.core.self()), detector: this.opts.detector, members: members.map(wall)} satisfies MembersView
      }
      case 'metrics':
        return this.metrics()
      case 'leave':
        this.ctx.events.emit('gossip.leave', {})
        this.apply(this.core.command!({type: 'leave'}, this.now()))
        return {ok: true}
      case 'tags': {
        // Refused while leaving: peers would see left, then alive again, then left.
        if (this.core.self().state === 'left') throw new UsageError('this node is leaving: its tags can no longer change')
        const v = validateTags({...req.tags, addr: this.core.self().tags.addr!})
        if (!v.ok) throw new UsageError('tags: at most 32, keys of 1–64 characters, values of at most 512 (what peers accept)')
        this.apply(this.core.command!({type: 'set-tags', tags: v.msg}, this.now()))
        return {ok: true, tags: this.core.self().tags}
      }
      case 'keys':
        return this.keys(req)
      default:
        throw new UsageError(`gossip: unknown control op '${(req as {op?: string})?.op}'`)
    }
  }

  private keys(req: Extract<GossipControl, {op: 'keys'}>): unknown {
    if (!this.keyring) throw new UsageError('this node runs without a key; start it with --secret to use a keyring')
    if (req.action !== 'list') {
      if (!req.key) throw new UsageError(`keys ${req.action} needs a key`)
      const key = parseKey(req.key)
      if (req.action === 'install') this.keyring.install(key)
      else if (req.action === 'use') this.keyring.use(key)
      else this.keyring.remove(key)
      this.ctx.events.emit('gossip.keys', {action: req.action})
    }
    return {keys: this.keyring.list()}
  }

  /** Sizes of the shell's own tables (addresses known, timers pending), for the tests that check they stay bounded. */
  tableSizes(): {addresses: number; timers: number} {
    return {addresses: this.book.size, timers: this.timers.size}
  }

  status(): Record<string, unknown> {
    if (!this.core) return {}
    // Lifeguard's local health score (0 = healthy; probes stretch ×(score + 1)), SWIM only.
    const health = (this.core as {health?: () => number}).health?.()
    return {detector: this.opts.detector, incarnation: this.core.self().incarnation, members: this.memberCounts(), ...(health === undefined ? {} : {health}), metricsPort: this.metricsServer?.port}
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.rejects?.flush()
    this.rejects?.stop()
    for (const t of this.timers.values()) clearTimeout(t)
    this.timers.clear()
    await this.metricsServer?.close()
    await this.udp?.close()
  }
}

const KINDS: DetectorKind[] = ['swim', 'phi', 'heartbeat']
const PROFILES: readonly SwimProfile[] = swimProfileNames

export function gossipRole(options: RoleOptions): Role {
  const o = options as Partial<GossipRoleOptions>
  const detector = o.detector ?? 'swim'
  const profile = o.profile ?? 'lan'
  if (!KINDS.includes(detector)) throw new UsageError(`--detector must be one of ${KINDS.join(', ')}`)
  if (!PROFILES.includes(profile)) throw new UsageError(`--profile must be one of ${PROFILES.join(', ')}`)
  return new GossipShell({detector, profile, overrides: o.overrides ?? {swim: {}, phi: {}, heartbeat: {}}, tags: o.tags ?? {}, secret: o.secret, metricsPort: o.metricsPort, seed: o.seed})
}
