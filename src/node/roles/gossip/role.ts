import type {CoreContext, Envelope, Route} from '../../../core/index.js'
import {
  createDetector,
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
} from '../../../gossip/index.js'
import type {Keyring} from '../../../security/index.js'
import {UsageError} from '../../../errors/index.js'
import type {NodeHost} from '../../host/host.js'
import type {HostHooks, HostedComposition, HostedCore, Validator} from '../../host/types.js'
import type {Role, RoleContext, RoleOptions} from '../types.js'
import {AddressBook} from './address-book.js'
import {newCounters, serveMetrics, type GossipCounters, type GossipMetrics, type MetricsServer} from './metrics.js'
import {memberLogFactory, type MemberLogEvent} from './member-log.js'

export interface GossipRoleOptions {
  detector: DetectorKind
  profile: SwimProfile
  /** Overrides of the detector's parameters, from `--param` (see src/gossip/params.ts). */
  overrides: DetectorOverrides
  tags: Tags
  /** Comma-separated keys, the first primary; see src/security. */
  secret?: string
  metricsPort?: number
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

/** The name of the failure detector's core on a node (the name works like a port: peers' cores of this name get its messages). */
export const MEMBERSHIP = 'membership'

/** Cores a role runs beside membership, and how membership events reach them (`gossip-log` now; `shard` next). */
export interface WithMembership {
  name: string
  cores: Record<string, HostedCore>
  route: Route
  /** Events of those cores, for the role's own event log. */
  event?(ctx: RoleContext, core: string, event: unknown): void
  clientCore?: string
}

/** A datagram too large for one: its piggybacked updates split in two messages (the core never mutates a message once sent: copies). */
function splitUpdates(msg: GossipMessage): [GossipMessage, GossipMessage] | null {
  const updates = (msg as {updates?: unknown[]}).updates
  if (!Array.isArray(updates) || updates.length === 0) return null
  const half = updates.length >> 1
  return [{...msg, updates: updates.slice(0, half)} as GossipMessage, {type: 'gossip', updates: updates.slice(half)} as unknown as GossipMessage]
}

/**
 * The gossip role: a failure-detector core (src/gossip) as core `membership` on the node host,
 * which carries its datagrams (UDP, sealed with the keyring when a key is set) and push-pull
 * (TCP streams, sealed the same way), validates every input with src/gossip/validate.ts before
 * the core sees it (rejects counted by reason, reported as `gossip.rejected`), runs its timers on
 * the shared wall clock and hands it a seeded Random. What stays here is gossip's own: the
 * address book (a member's address travels in its `addr` tag), the counters and the Prometheus
 * endpoint, `member.*` events, and the control commands (members, metrics, leave, tags, keys).
 * Every decision is the core's.
 */
export class GossipRole implements Role {
  readonly name: string
  readonly datagrams = true
  readonly rejectEvent = 'gossip.rejected'
  readonly composition: HostedComposition
  readonly hooks: HostHooks
  private host!: NodeHost
  private ctx!: RoleContext
  private book!: AddressBook
  private metricsServer: MetricsServer | undefined
  private readonly counters: GossipCounters = newCounters()
  /** The highest incarnation at which we learned of our own (false) death; counted once each. */
  private deadAboutMeAt = -1
  private incarnation = 0

  constructor(
    private readonly opts: GossipRoleOptions,
    /** Made from `opts.secret` by the factories (src/security is loaded only when there is one). */
    private readonly ring: Keyring | undefined,
    private readonly extra?: WithMembership,
  ) {
    this.name = extra?.name ?? 'gossip'
    const membership: HostedCore<GossipMessage> = {
      factory: (c) => this.createCore(c),
      validate: messageValidator(opts.detector) as Validator<GossipMessage>,
      clock: 'wall',
      split: splitUpdates,
    }
    this.composition = extra ? {cores: {[MEMBERSHIP]: membership, ...extra.cores}, route: extra.route, clientCore: extra.clientCore} : {cores: {[MEMBERSHIP]: membership}}
    this.hooks = {
      resolve: (id) => this.book.lookup(id),
      heard: (p) => this.book.heard(p),
      sent: (core, env) => core === MEMBERSHIP && this.observeOut(env),
      received: (core, _from, msg) => core === MEMBERSHIP && this.observeIn(msg as GossipMessage),
      afterReceive: (core) => {
        if (core !== MEMBERSHIP) return
        const inc = this.core.self().incarnation
        if (inc > this.incarnation) this.counters.refutations++
        this.incarnation = inc
      },
      event: (core, e) => (core === MEMBERSHIP ? this.onEvent(e as MembershipEvent) : this.extra?.event?.(this.ctx, core, e)),
      unroutable: () => void this.counters.unroutable++,
      oversize: (_core, to, msg) => this.ctx.events.emit('gossip.oversize', {to, message: (msg as {type?: string}).type}),
    }
  }

  keyring(): Keyring | undefined {
    return this.ring
  }

  private get core(): Detector<GossipMessage> {
    return this.host.core<Detector<GossipMessage>>(MEMBERSHIP)!
  }

  private createCore(c: CoreContext): Detector<GossipMessage> {
    const {host, port} = this.ctx.transport.address
    const o = this.opts.overrides
    // The core fills a datagram up to udpBufferSize bytes of its own message, but the host adds
    // its envelope (sender, core, message id, Lamport clock) and, with a key, the seal; and the
    // endpoint refuses anything above its ceiling (1400, memberlist's UDPBufferSize). Left
    // unsaid, every full datagram was refused as oversize — dropped with the updates it carried
    // counted as sent — exactly when news piles up. So the core is told both overheads, and any
    // excess of udpBufferSize over the ceiling, to take off what it fills (memberlist subtracts
    // its own too).
    const wanted = typeof o.swim.udpBufferSize === 'number' ? o.swim.udpBufferSize : swimProfiles[this.opts.profile].udpBufferSize
    const datagramOverhead = Math.max(0, wanted - this.host.maxDatagramBytes) + this.host.datagramOverhead(MEMBERSHIP)
    return createDetector(this.opts.detector, {
      id: c.id,
      random: c.random,
      seeds: this.ctx.seedPeers.map((p) => p.id),
      tags: {...this.opts.tags, addr: `${host.includes(':') ? `[${host}]` : host}:${port}`},
      profile: this.opts.profile,
      swim: o.swim,
      datagramOverhead,
      phi: o.phi,
      heartbeat: o.heartbeat,
    })
  }

  async start(ctx: RoleContext): Promise<void> {
    this.ctx = ctx
    this.host = ctx.host
    this.book = new AddressBook(ctx.seedPeers, (id) => this.host.core<Detector<GossipMessage>>(MEMBERSHIP)?.member(id), () => this.host.core<Detector<GossipMessage>>(MEMBERSHIP)?.members().length ?? 0)
    if (!this.ring) {
      ctx.events.emit('gossip.insecure', {msg: 'no key set (--secret or DTK_SECRET): gossip is neither authenticated nor encrypted'})
      process.stderr.write(`warning: node ${ctx.id}: gossip runs without a key; set --secret or DTK_SECRET to authenticate and encrypt it\n`)
    }
    if (this.opts.metricsPort !== undefined) {
      this.metricsServer = await serveMetrics(ctx.transport.address.host, this.opts.metricsPort, () => ({counters: this.metrics(), rejects: this.metrics().rejects, members: this.memberCounts()}), {
        node: ctx.id,
        detector: this.opts.detector,
      })
    }
    ctx.events.emit('gossip.start', {detector: this.opts.detector, profile: this.opts.profile, seed: ctx.host.seed, secure: Boolean(this.ring), metricsPort: this.metricsServer?.port})
  }

  /** Counting only: which kinds of message leave. */
  private observeOut(env: Envelope<unknown>): void {
    this.counters.messagesOut++
    const type = (env.msg as {type?: string}).type
    if (type === 'ping') this.counters.probes++
    else if (type === 'ping-req') this.counters.indirectProbes++
    else if (type === 'push-pull') this.counters.pushPulls++
  }

  /** Counting only: which kinds of message arrive, and news of our own death. */
  private observeIn(m: GossipMessage): void {
    this.counters.messagesIn++
    const type = (m as {type?: string}).type
    if (type === 'ack') this.counters.acks++
    else if (type === 'nack') this.counters.nacks++
    const updates = (m as {updates?: Array<{kind: string; node: string; inc: number; from?: string}>}).updates
    if (!Array.isArray(updates)) return
    for (const u of updates) {
      // Once per incarnation at which we were declared dead (a verdict spreads in many copies).
      if (u.kind === 'dead' && u.node === this.ctx.id && u.from !== this.ctx.id && u.inc > this.deadAboutMeAt) {
        this.deadAboutMeAt = u.inc
        this.counters.falsePositives++
        this.ctx.events.emit('gossip.false-positive', {by: u.from, incarnation: u.inc})
      }
    }
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
    const udp = this.host.udpStats()!
    const rejects = this.host.rejectCounts()
    let rejected = 0
    for (const n of Object.values(rejects)) rejected += n
    return {...this.counters, bytesIn: udp.bytesIn, bytesOut: udp.bytesOut, splits: this.host.counters.splits, rejected, rejects, udp}
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
        this.host.command(MEMBERSHIP, {type: 'leave'})
        return {ok: true}
      case 'tags': {
        // Refused while leaving: peers would see left, then alive again, then left.
        if (this.core.self().state === 'left') throw new UsageError('this node is leaving: its tags can no longer change')
        const v = validateTags({...req.tags, addr: this.core.self().tags.addr!})
        if (!v.ok) throw new UsageError('tags: at most 32, keys of 1–64 characters, values of at most 512 (what peers accept)')
        this.host.command(MEMBERSHIP, {type: 'set-tags', tags: v.msg})
        return {ok: true, tags: this.core.self().tags}
      }
      case 'keys':
        return this.keys(req)
      default:
        throw new UsageError(`gossip: unknown control op '${(req as {op?: string})?.op}'`)
    }
  }

  private async keys(req: Extract<GossipControl, {op: 'keys'}>): Promise<unknown> {
    if (!this.ring) throw new UsageError('this node runs without a key; start it with --secret to use a keyring')
    if (req.action !== 'list') {
      if (!req.key) throw new UsageError(`keys ${req.action} needs a key`)
      const key = (await import('../../../security/index.js')).parseKey(req.key)
      if (req.action === 'install') this.ring.install(key)
      else if (req.action === 'use') this.ring.use(key)
      else this.ring.remove(key)
      this.ctx.events.emit('gossip.keys', {action: req.action})
    }
    return {keys: this.ring.list()}
  }

  /** Sizes of the role's own tables (addresses known) and the host's (timers, held outputs), for the tests that check they stay bounded. */
  tableSizes(): {addresses: number; timers: number} {
    return {addresses: this.book.size, timers: this.host.tableSizes().timers}
  }

  status(): Record<string, unknown> {
    const core = this.host?.core<Detector<GossipMessage>>(MEMBERSHIP)
    if (!core) return {}
    // Lifeguard's local health score (0 = healthy; probes stretch ×(score + 1)), SWIM only.
    const health = (core as {health?: () => number}).health?.()
    return {detector: this.opts.detector, incarnation: core.self().incarnation, members: this.memberCounts(), ...(health === undefined ? {} : {health}), metricsPort: this.metricsServer?.port}
  }

  async stop(): Promise<void> {
    await this.metricsServer?.close()
  }
}

const KINDS: DetectorKind[] = ['swim', 'phi', 'heartbeat']

/** The gossip options among a role's options, checked (shared by the roles that run membership). */
export function gossipRoleOptions(options: RoleOptions): GossipRoleOptions {
  const o = options as Partial<GossipRoleOptions>
  const detector = o.detector ?? 'swim'
  const profile = o.profile ?? 'lan'
  if (!KINDS.includes(detector)) throw new UsageError(`--detector must be one of ${KINDS.join(', ')}`)
  if (!swimProfileNames.includes(profile)) throw new UsageError(`--profile must be one of ${swimProfileNames.join(', ')}`)
  return {detector, profile, overrides: o.overrides ?? {swim: {}, phi: {}, heartbeat: {}}, tags: o.tags ?? {}, secret: o.secret, metricsPort: o.metricsPort}
}

export async function keyringOf(o: GossipRoleOptions): Promise<Keyring | undefined> {
  return o.secret ? (await import('../../../security/index.js')).Keyring.fromSecret(o.secret) : undefined
}

export async function gossipRole(options: RoleOptions): Promise<Role> {
  const o = gossipRoleOptions(options)
  return new GossipRole(o, await keyringOf(o))
}

/**
 * `gossip-log`: membership plus a second core, `log`, to which every membership event is routed
 * (composition on real processes, docs/architecture.md). Its reports are `log.member` events.
 */
export async function gossipLogRole(options: RoleOptions): Promise<Role> {
  const o = gossipRoleOptions(options)
  return new GossipRole(o, await keyringOf(o), {
    name: 'gossip-log',
    cores: {log: {factory: memberLogFactory, durable: true}},
    route: (from, e) => (from === MEMBERSHIP ? [{core: 'log', cmd: e}] : undefined),
    event(ctx, core, e) {
      const ev = e as MemberLogEvent
      if (core !== 'log') return
      if (ev.type === 'logged') ctx.events.emit('log.member', {n: ev.n, member: ev.event.member, kind: ev.event.type, incarnation: ev.event.incarnation})
      else ctx.events.emit('log.recovered', {logged: ev.logged})
    },
  })
}
