import {UsageError} from '../../errors/index.js'
import {parseRequest} from '../../kv/index.js'
import type {Keyring} from '../../security/index.js'
import {parseShardMessage, resolveShardConfig, shardCoreFactory, shardRoute, SHARD_CORE, type ShardConfig, type ShardCore, type ShardEvent} from '../../shard/index.js'
import type {Validator} from '../host/types.js'
import {GossipRole, gossipRoleOptions, keyringOf, type GossipRoleOptions} from './gossip/role.js'
import type {Role, RoleContext, RoleOptions} from './types.js'

/**
 * The `shard` role (docs/shard.md, "On real processes"): the membership core (SWIM, src/gossip)
 * and the shard core (src/shard) side by side on the node host, composed by src/shard/compose.ts:
 * membership events become the shard core's `member` commands, its ring entry travels in the
 * membership tags, its `left` becomes the membership core's leave. The shard core runs as core
 * `kv`, durable (its own DurableLog under <data-dir>/kv/), so `dtk kv …` reaches it, and its
 * messages ride the transport's streams (FIFO per pair; a break reaches it as `streamBroken`).
 *
 * What stays here: its events as `shard.*` in the node's event log, its status, and its control
 * ops — `leave` (the shard core's leave: everything moves away first), `left` (has it?),
 * `holdings` (a page of `[key, version]` pairs, for `dtk ring verify`) and `ring`.
 */
export interface ShardRoleOptions extends GossipRoleOptions {
  shard: ShardConfig
}

export type ShardControl = {op: 'leave'} | {op: 'left'} | {op: 'ring'} | {op: 'holdings'; offset?: number; limit?: number} | {op: 'shard'}

/** `[key, version]` pairs per `holdings` page at most (a control frame stays far below its 16 MiB limit). */
export const HOLDINGS_PAGE = 50_000

/** What a shard node reports of the moves it made since it started (the figures `dtk cluster join` draws its progress from). */
export interface MoveTotals {
  /** Keys acknowledged durably by receivers, over every move this node sent. */
  sent: number
  /** Keys of the moves begun (what `sent` will reach once they are done). */
  planned: number
  movesStarted: number
  movesDone: number
  handoffs: number
  drops: number
}

class ShardRole extends GossipRole {
  private left = false
  private leaving = false
  private readonly moves: MoveTotals = {sent: 0, planned: 0, movesStarted: 0, movesDone: 0, handoffs: 0, drops: 0}
  /** Keys acknowledged so far per move in flight (`partition/to`), so totals add deltas only. */
  private readonly inFlight = new Map<string, number>()
  private ctxRef: RoleContext | undefined

  constructor(
    opts: GossipRoleOptions,
    ring: Keyring | undefined,
    private readonly shard: ShardConfig,
    private readonly baseTags: Record<string, string>,
  ) {
    const partitions = resolveShardConfig(shard).partitions
    // The event callback is made before `this` exists: it reaches the role through this box.
    const self: {role?: ShardRole} = {}
    const validate: Validator = (x) => (parseRequest(x) !== null || parseShardMessage(x, partitions) !== null ? {ok: true, msg: x} : {ok: false, reason: 'malformed'})
    super(opts, ring, {
      name: 'shard',
      cores: {[SHARD_CORE]: {factory: shardCoreFactory(shard), durable: true, validate}},
      route: shardRoute({baseTags}),
      clientCore: SHARD_CORE,
      event: (ctx, core, e) => self.role?.onShardEvent(ctx, core, e as ShardEvent),
    })
    self.role = this
  }

  override async start(ctx: RoleContext): Promise<void> {
    this.ctxRef = ctx
    const {host, port} = ctx.transport.address
    this.baseTags.addr = `${host.includes(':') ? `[${host}]` : host}:${port}`
    await super.start(ctx)
    ctx.events.emit('shard.start', {initial: this.shard.initial, replicas: resolveShardConfig(this.shard).replicas, partitions: resolveShardConfig(this.shard).partitions})
  }

  private get shardCore(): ShardCore | undefined {
    return this.ctxRef?.host.core<ShardCore>(SHARD_CORE)
  }

  onShardEvent(ctx: RoleContext, core: string, e: ShardEvent): void {
    if (core !== SHARD_CORE) return
    const {type, ...fields} = e
    if (type === 'move.progress') {
      const k = `${e.partition}/${e.to}`
      this.moves.sent += e.sent - (this.inFlight.get(k) ?? 0)
      this.inFlight.set(k, e.sent)
    } else if (type === 'move.start') {
      this.moves.movesStarted++
      this.moves.planned += e.keys
      this.inFlight.set(`${e.partition}/${e.to}`, 0)
    } else if (type === 'move.done') {
      const k = `${e.partition}/${e.to}`
      this.moves.movesDone++
      this.moves.sent += Math.max(0, e.keys - (this.inFlight.get(k) ?? 0))
      // A move's key count can change while it runs (writes): planned follows what was sent.
      this.moves.planned = Math.max(this.moves.planned, this.moves.sent)
      this.inFlight.delete(k)
    } else if (type === 'handoff') this.moves.handoffs++
    else if (type === 'drop') this.moves.drops++
    else if (type === 'left') this.left = true
    // `announce` is the route's business (set-tags); a progress event per batch is the progress bar's.
    if (type !== 'announce') ctx.events.emit(`shard.${type}`, fields)
  }

  override onControl(body: unknown): unknown {
    const req = body as ShardControl
    const core = this.shardCore
    switch (req?.op) {
      case 'leave':
        if (!core) throw new UsageError('the shard core has not started')
        if (!this.leaving) {
          this.leaving = true
          this.ctxRef?.events.emit('shard.leave', {})
          this.ctxRef?.host.command(SHARD_CORE, {type: 'leave'})
        }
        // The supervisor waits for `left` (everything moved away) before it stops the node.
        return {ok: true, wait: 'left'}
      case 'left':
        return {left: this.left}
      case 'ring':
        if (!core) throw new UsageError('the shard core has not started')
        return {...core.ringView(), spec: this.spec()}
      case 'holdings': {
        if (!core) throw new UsageError('the shard core has not started')
        const all = core.holdings()
        const offset = Math.max(0, Math.floor(req.offset ?? 0))
        const limit = Math.min(HOLDINGS_PAGE, Math.max(1, Math.floor(req.limit ?? HOLDINGS_PAGE)))
        return {total: all.length, offset, keys: all.slice(offset, offset + limit)}
      }
      case 'shard':
        return this.status()
      default:
        return super.onControl(body)
    }
  }

  private spec(): {partitions: number; replicas: number; algo: string; vnodes: number} {
    const c = resolveShardConfig(this.shard)
    return {partitions: c.partitions, replicas: c.replicas, algo: c.algo, vnodes: c.vnodes}
  }

  override status(): Record<string, unknown> {
    const core = this.shardCore
    return {...super.status(), ...(core ? {shard: core.status(), moves: {...this.moves}, left: this.left} : {})}
  }
}

function shardConfigOf(o: Record<string, unknown>): ShardConfig {
  const initial = o.shardInitial
  if (typeof initial !== 'string' || initial === '') throw new UsageError('role shard needs --shard-initial: the ids of the nodes the cluster first started with (dtk cluster up passes it)')
  const cfg: ShardConfig = {initial: initial.split(',').map((s) => s.trim()).filter(Boolean)}
  if (o.replicas !== undefined) cfg.replicas = Number(o.replicas)
  if (o.partitions !== undefined) cfg.partitions = Number(o.partitions)
  if (o.moveRate !== undefined) cfg.moveRate = Number(o.moveRate)
  resolveShardConfig(cfg)
  return cfg
}

export async function shardRole(options: RoleOptions): Promise<Role> {
  const o = gossipRoleOptions(options)
  const shard = shardConfigOf(options)
  // set-tags replaces every tag: the route keeps the node's own (its address among them), filled in once it is bound.
  const baseTags: Record<string, string> = {...o.tags}
  return new ShardRole(o, await keyringOf(o), shard, baseTags)
}
