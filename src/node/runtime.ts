import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {EventLog} from '../events/index.js'
import {Transport, TransportError, type IncomingContext, type PeerAddress} from '../transport/index.js'
import {CONTROL_OPS, type ControlRequest, type NodeStatus, type PingResult} from './control.js'
import {NodeHost} from './host/host.js'
import {createRole, type Role} from './roles/index.js'
import type {ControlGuard} from '../security/index.js'

export interface NodeOptions {
  id: string
  host: string
  port: number
  dataDir: string
  role: string
  seedPeers?: PeerAddress[]
  /** Options for the role, from `dtk node run` flags. */
  roleOptions?: Record<string, unknown>
  /** Seed for the transport's fault layer, so injected drops replay the same way. */
  faultSeed?: number
  /** Seed of the cores' Random (random when absent; logged in `node.start`). */
  seed?: number
  /** Trace file (JSONL, appended to across restarts; docs/trace.md). */
  trace?: string
}

export interface RunningNode {
  readonly id: string
  readonly address: {host: string; port: number}
  readonly events: EventLog
  readonly host: NodeHost
  readonly role: Role
  /** Resolves when the node has stopped (shutdown request or stop()). */
  readonly stopped: Promise<void>
  /** Set when the node stopped because it could not go on (a failed persist): exit non-zero. */
  readonly failure: Error | null
  stop(reason: string): Promise<void>
}

function isControl(msg: unknown): msg is ControlRequest {
  return typeof msg === 'object' && msg !== null && CONTROL_OPS.has((msg as {op: ControlRequest['op']}).op)
}

/** A control request sealed with the cluster key (src/security/control-auth.ts), told apart without loading it. */
function isSealed(msg: unknown): boolean {
  return typeof msg === 'object' && msg !== null && (msg as {op?: unknown}).op === 'control.sealed'
}

/**
 * One node process: binds the transport, runs the role's cores on the node host, answers the
 * control protocol and client requests, writes the node's JSONL events and shuts down cleanly.
 * Everything protocol-specific is the role's; everything about driving cores is the host's.
 */
export async function startNode(opts: NodeOptions): Promise<RunningNode> {
  mkdirSync(opts.dataDir, {recursive: true})
  const events = new EventLog(join(opts.dataDir, 'events.jsonl'), opts.id)
  const role: Role = await createRole(opts.role, opts.roleOptions ?? {})
  const transport = await Transport.listen({
    id: opts.id,
    host: opts.host,
    port: opts.port,
    faultSeed: opts.faultSeed,
    log: (level, msg, fields) => {
      if (level === 'warn' || level === 'error') events.emit(`transport.${level}`, {msg, ...fields})
    },
  })
  const startedAt = Date.now()
  let stopping: Promise<void> | undefined
  let resolveStopped!: () => void
  const stopped = new Promise<void>((r) => (resolveStopped = r))
  let failure: Error | null = null
  /** Every core has started: `status` answers from then on. */
  let ready = false

  const host = new NodeHost(
    {
      id: opts.id,
      dataDir: opts.dataDir,
      transport,
      events,
      seedPeers: opts.seedPeers ?? [],
      seed: opts.seed,
      trace: opts.trace,
      keyring: role.keyring ? () => role.keyring!() : undefined,
      datagrams: role.datagrams,
      rejectEvent: role.rejectEvent,
      onFatal: (error) => {
        failure = error
        void stop(`fatal: ${error.message}`)
      },
    },
    role.composition,
    role.hooks,
  )

  const status = (): NodeStatus => ({
    id: opts.id,
    pid: process.pid,
    role: role.name,
    host: transport.address.host,
    port: transport.address.port,
    startedAt,
    uptimeMs: Date.now() - startedAt,
    faults: transport.faults.snapshot(),
    transport: transport.stats(),
    roleStatus: {...role.status(), ...(host.clientCore ? {clientCore: host.clientCore} : {})},
    hostStatus: host.status(),
    controlRefused: guard?.refused ?? 0,
  })

  const ping = async (target: PeerAddress, timeoutMs: number): Promise<PingResult> => {
    const t0 = performance.now()
    try {
      await transport.request(target, {op: 'echo', payload: t0}, {timeoutMs})
      const rttMs = performance.now() - t0
      events.emit('ping.ok', {target: target.id, rttMs})
      return {ok: true, rttMs}
    } catch (error) {
      const code = error instanceof TransportError ? error.code : 'ERROR'
      const afterMs = performance.now() - t0
      events.emit('ping.failed', {target: target.id, code, afterMs})
      return {ok: false, code, error: (error as Error).message, afterMs}
    }
  }

  const handleControl = async (req: ControlRequest): Promise<unknown> => {
    switch (req.op) {
      case 'status':
        // Not before every core has started (recovered its log): a node that answers is running,
        // and one that fails to start (a corrupt log) exits without having looked up.
        if (!ready) throw new Error(`node ${opts.id} is starting`)
        return status()
      case 'faults.set':
        transport.faults.set(req.to, req.faults)
        events.emit('faults.set', {to: req.to, ...req.faults})
        return transport.faults.snapshot()
      case 'faults.replace':
        transport.faults.clear()
        for (const [to, f] of Object.entries(req.rules)) transport.faults.set(to, f)
        events.emit('faults.replace', {rules: req.rules})
        return transport.faults.snapshot()
      case 'faults.clear':
        transport.faults.clear(req.to)
        events.emit('faults.clear', req.to ? {to: req.to} : {})
        return transport.faults.snapshot()
      case 'ping':
        return ping(req.target, req.timeoutMs)
      case 'event':
        events.emit(req.type, req.fields ?? {})
        return {ok: true}
      case 'role':
        if (!role.onControl) throw new Error(`role '${role.name}' takes no commands`)
        return role.onControl(req.body)
      case 'shutdown':
        // Answer first, then stop: the caller wants to know the request arrived.
        setImmediate(() => void stop('control shutdown'))
        return {ok: true}
    }
  }

  // With a key (the role's keyring, rotations included), control requests must be sealed with it.
  // The guard (and node:crypto with it) is loaded only when a key or a sealed request needs it:
  // an unsealed request to a node without a key is admitted as it is.
  let guard: ControlGuard | null = null
  const guardFor = async (msg: unknown): Promise<ControlGuard | null> => {
    if (guard === null && (role.keyring?.() || isSealed(msg))) guard = new (await import('../security/index.js')).ControlGuard(() => role.keyring?.())
    return guard
  }
  transport.onRequest(async (msg: unknown, ctx: IncomingContext) => {
    if (isControl(msg) || isSealed(msg)) {
      if (!ctx.control) throw new Error(`control op '${(msg as {op: string}).op}' refused from peer ${ctx.from}`)
      let req: unknown = msg
      const g = await guardFor(msg)
      try {
        if (g) req = g.admit(msg, (m) => isControl(m) && m.op === 'status')
      } catch (error) {
        events.emit('control.refused', {from: ctx.from, remote: ctx.remote, reason: (error as {reason?: string}).reason, count: g?.refused ?? 0})
        throw error
      }
      if (!isControl(req)) throw new Error('a sealed control request without a control op')
      return handleControl(req)
    }
    const m = msg as {op?: unknown}
    if (typeof m !== 'object' || m === null || typeof m.op !== 'string') throw new Error('request without an op')
    if (m.op === 'echo') return {op: 'echo.reply', from: opts.id, payload: (m as {payload?: unknown}).payload}
    if (m.op === 'client') return host.clientRequest(ctx.from, m)
    throw new Error(`unknown op '${m.op.slice(0, 64)}'`)
  })

  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      events.emit('node.stop', {reason})
      await role.stop?.()
      await host.stop()
      await transport.close()
      events.close()
      resolveStopped()
    })()
    return stopping
  }

  try {
    await host.bind()
    await role.start?.({id: opts.id, host, transport, events, dataDir: opts.dataDir, seedPeers: opts.seedPeers ?? []})
    await host.start()
    ready = true
  } catch (error) {
    await role.stop?.().catch(() => undefined)
    await host.stop().catch(() => undefined)
    await transport.close()
    events.close()
    throw error
  }
  events.emit('node.start', {
    pid: process.pid,
    host: transport.address.host,
    port: transport.address.port,
    role: role.name,
    seed: host.seed,
    restarts: host.identity!.restarts,
    ...(opts.trace ? {trace: opts.trace} : {}),
  })
  return {
    id: opts.id,
    address: transport.address,
    events,
    host,
    role,
    stopped,
    get failure() {
      return failure
    },
    stop,
  }
}
