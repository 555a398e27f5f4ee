import {readdirSync, existsSync, mkdirSync, rmSync} from 'node:fs'
import {join as pathJoin, resolve as pathResolve} from 'node:path'
import {DtkError, UsageError} from '../errors/index.js'
import type {NodeStatus} from '../node/index.js'
import {MEMBERSHIP_ROLES} from '../node/roles/index.js'
import {dirOf, record, type ClusterRef} from './context.js'
import {withClusterControl} from './control-client.js'
import {rulesFor} from './network.js'
import {allocatePorts} from './ports.js'
import {processState, waitUntil, type ProcessState} from './procs.js'
import {watchRebalance, type RebalanceProgress} from './rebalance.js'
import {liveNodes, seedArgsFor, spawnNode, waitForNodes, peerArg} from './spawn.js'
import {assertWritable, findNode, loadSecret, loadState, requireState, saveSecret, saveState, type ClusterState, type NodeRecord} from './state.js'

/** The life of node processes: up, status, down, crash/pause/resume, restart, join, leave, add. */
export interface UpOptions extends ClusterRef {
  nodes: number
  role: string
  host: string
  basePort?: number
  /** How long to wait for every node to answer its control RPC. */
  waitMs?: number
  /** Extra arguments for every `dtk node run` (role options). */
  nodeArgs?: string[]
  /** Gossip key(s), handed to nodes in their environment. */
  secret?: string
  /** Serve Prometheus metrics from each node on base, base+1, … */
  metricsBasePort?: number
  /** Each node appends its trace to `<traceDir>/<id>.jsonl` (kept across restarts; docs/trace.md). */
  traceDir?: string
  onProgress?: (text: string) => void
}

export interface NodeView {
  id: string
  pid: number | null
  host: string
  port: number
  role: string
  state: ProcessState | 'remote-up' | 'remote-down'
  uptimeMs: number | null
}

function nodeIds(n: number): string[] {
  return Array.from({length: n}, (_, i) => `n${i + 1}`)
}

/** Starts N detached node processes and records them; refuses if a cluster by that name runs. */
export async function up(opts: UpOptions): Promise<ClusterState> {
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > 500) throw new UsageError('--nodes must be between 1 and 500')
  const dir = dirOf(opts)
  const previous = loadState(dir)
  if (previous) {
    const running = liveNodes(previous)
    if (running.length > 0) {
      throw new UsageError(
        `cluster '${opts.name}' is already running (${running.length} of ${previous.nodes.length} nodes up); stop it with: dtk cluster down --name ${opts.name}`,
      )
    }
  }
  const ports = await allocatePorts(opts.host, opts.nodes, opts.basePort)
  const ids = nodeIds(opts.nodes)
  const state: ClusterState = {
    version: 1,
    name: opts.name,
    createdAt: Date.now(),
    nodes: ids.map((id, i) => ({id, host: opts.host, port: ports[i]!, role: opts.role, dataDir: pathJoin(dir, 'nodes', id)})),
    partition: null,
    linkFaults: {},
    nodeArgs: [...(opts.nodeArgs ?? [])],
  }
  if (opts.metricsBasePort !== undefined) {
    const mports = await allocatePorts(opts.host, opts.nodes, opts.metricsBasePort)
    state.nodes.forEach((n, i) => (n.args = ['--metrics-port', String(mports[i])]))
  }
  // Shard nodes must agree on who the cluster started with (they claim the first partitions); joiners get the same list.
  if (opts.role === 'shard') state.nodeArgs!.push('--shard-initial', ids.join(','))
  if (opts.traceDir !== undefined) {
    const traceDir = pathResolve(opts.traceDir)
    mkdirSync(traceDir, {recursive: true})
    for (const n of state.nodes) n.args = [...(n.args ?? []), '--trace', pathJoin(traceDir, `${n.id}.jsonl`)]
  }
  saveSecret(dir, opts.secret)
  for (const node of state.nodes) {
    // Every node but the first joins through the first, as `serf agent -join` would.
    const seedArgs = node === state.nodes[0] ? [] : ['--seed-peers', peerArg(state.nodes[0]!)]
    node.pid = spawnNode(node, [...seedArgs, ...state.nodeArgs!], opts.secret)
    node.startedAt = Date.now()
  }
  saveState(dir, state)
  record(dir, 'cluster.up', {nodes: state.nodes.map((n) => ({id: n.id, pid: n.pid, port: n.port})), role: opts.role})
  try {
    await withClusterControl(dir, (c) => waitForNodes(c, state.nodes, opts.waitMs ?? 20_000, opts.onProgress))
  } catch (error) {
    // Leave nothing half-started behind: the user asked for a cluster, not a few stray nodes.
    await down({...opts, graceMs: 1000})
    throw error
  }
  return state
}

export function status(ref: ClusterRef, state = requireState(dirOf(ref), ref.name)): NodeView[] {
  const now = Date.now()
  return state.nodes.map((n) => {
    const s = n.remote ? 'remote-down' : processState(n)
    return {
      id: n.id,
      pid: s === 'down' || n.remote ? null : (n.pid ?? null),
      host: n.host,
      port: n.port,
      role: n.role,
      state: s,
      uptimeMs: s === 'down' || !n.startedAt ? null : now - n.startedAt,
    }
  })
}

/** Like status, but asks remote nodes over the control RPC whether they are there. */
export async function statusWithRemote(ref: ClusterRef): Promise<NodeView[]> {
  const state = requireState(dirOf(ref), ref.name)
  const views = status(ref, state)
  const remote = state.nodes.filter((n) => n.remote)
  if (remote.length === 0) return views
  await withClusterControl(dirOf(ref), async (c) => {
    for (const n of remote) {
      const st = await c.tryCall<NodeStatus>(n, {op: 'status'}, 1000)
      const v = views.find((x) => x.id === n.id)!
      if (st) Object.assign(v, {state: 'remote-up', pid: st.pid, uptimeMs: st.uptimeMs})
    }
  })
  return views
}

export interface DownResult {
  stopped: string[]
  killed: string[]
  purged: boolean
}

export async function down(ref: ClusterRef & {graceMs?: number; purge?: boolean}): Promise<DownResult> {
  const dir = dirOf(ref)
  const state = requireState(dir, ref.name)
  assertWritable(dir)
  const result: DownResult = {stopped: [], killed: [], purged: false}
  const live = liveNodes(state)
  for (const n of live) {
    try {
      process.kill(n.pid!, 'SIGCONT') // a paused node cannot act on SIGTERM
      process.kill(n.pid!, 'SIGTERM')
    } catch {
      // already gone
    }
  }
  const remote = state.nodes.filter((n) => n.remote)
  if (remote.length > 0) {
    await withClusterControl(dir, async (c) => {
      for (const n of remote) if (await c.tryCall(n, {op: 'shutdown'}, 1000)) result.stopped.push(n.id)
    })
  }
  await waitUntil(() => live.every((n) => processState(n) === 'down'), ref.graceMs ?? 5000)
  for (const n of live) {
    if (processState(n) !== 'down') {
      process.kill(n.pid!, 'SIGKILL')
      result.killed.push(n.id)
    } else result.stopped.push(n.id)
  }
  await waitUntil(() => live.every((n) => processState(n) === 'down'), 2000)
  for (const n of state.nodes) if (!n.remote) delete n.pid
  if (ref.purge) {
    rmSync(dir, {recursive: true, force: true})
    result.purged = true
  } else {
    saveState(dir, state)
    record(dir, 'cluster.down', {stopped: result.stopped, killed: result.killed})
  }
  return result
}

type Signal = 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'

function localNode(state: ClusterState, id: string, action: string): NodeRecord {
  const node = findNode(state, id)
  if (node.remote) throw new UsageError(`node ${id} runs elsewhere (${node.host}:${node.port}); ${action} needs a process on this machine`)
  return node
}

export interface SignalResult {
  node: string
  pid: number
  signal: Signal
}

async function signalNode(ref: ClusterRef, id: string, signal: Signal, event: string, expect: ProcessState): Promise<SignalResult> {
  const dir = dirOf(ref)
  const state = requireState(dir, ref.name)
  const node = localNode(state, id, event)
  assertWritable(dir)
  const before = processState(node)
  if (before === 'down') throw new DtkError(`node ${id} is not running`)
  if (signal === 'SIGSTOP' && before === 'paused') throw new DtkError(`node ${id} is already paused`)
  if (signal === 'SIGCONT' && before !== 'paused') throw new DtkError(`node ${id} is not paused`)
  process.kill(node.pid!, signal)
  if (!(await waitUntil(() => processState(node) === expect, 3000))) {
    throw new DtkError(`node ${id} did not become ${expect} after ${signal}`)
  }
  record(dir, event, {target: id, pid: node.pid, signal})
  return {node: id, pid: node.pid!, signal}
}

export const crash = (ref: ClusterRef, id: string) => signalNode(ref, id, 'SIGKILL', 'fault.crash', 'down')
export const pause = (ref: ClusterRef, id: string) => signalNode(ref, id, 'SIGSTOP', 'fault.pause', 'paused')
export const resume = (ref: ClusterRef, id: string) => signalNode(ref, id, 'SIGCONT', 'fault.resume', 'up')

export interface RestartResult {
  node: string
  pid: number
  port: number
  wasRunning: boolean
}

/** Stops the node if it runs, then starts it again with the same id, port and data dir. */
export async function restart(ref: ClusterRef & {waitMs?: number}, id: string): Promise<RestartResult> {
  const dir = dirOf(ref)
  const state = requireState(dir, ref.name)
  const node = localNode(state, id, 'restart')
  assertWritable(dir)
  const wasRunning = processState(node) !== 'down'
  if (wasRunning) {
    process.kill(node.pid!, 'SIGCONT')
    process.kill(node.pid!, 'SIGTERM')
    if (!(await waitUntil(() => processState(node) === 'down', 5000))) process.kill(node.pid!, 'SIGKILL')
    await waitUntil(() => processState(node) === 'down', 2000)
  }
  node.pid = spawnNode(node, [...seedArgsFor(state, node), ...(state.nodeArgs ?? [])], loadSecret(dir))
  node.startedAt = Date.now()
  saveState(dir, state)
  await withClusterControl(dir, async (c) => {
    await waitForNodes(c, [node], ref.waitMs ?? 20_000)
    // The network does not heal because a process restarted: give the node back its faults.
    await c.call(node, {op: 'faults.replace', rules: rulesFor(state, node.id)})
  })
  record(dir, 'fault.restart', {target: id, pid: node.pid, wasRunning})
  return {node: id, pid: node.pid, port: node.port, wasRunning}
}

export async function addRemote(ref: ClusterRef, id: string, host: string, port: number): Promise<NodeView> {
  const dir = dirOf(ref)
  const state = loadState(dir) ?? {version: 1 as const, name: ref.name, createdAt: Date.now(), nodes: [], partition: null, linkFaults: {}}
  if (state.nodes.some((n) => n.id === id)) throw new UsageError(`cluster '${ref.name}' already has a node '${id}'`)
  const node: NodeRecord = {id, host, port, role: 'unknown', dataDir: '', remote: true}
  const st = await withClusterControl(dir, (c) => c.tryCall<NodeStatus>(node, {op: 'status'}, 2000))
  if (!st) throw new DtkError(`no dtk node answers at ${host}:${port}`)
  if (st.id !== id) throw new UsageError(`the node at ${host}:${port} is '${st.id}', not '${id}'`)
  node.role = st.role
  state.nodes.push(node)
  saveState(dir, state)
  record(dir, 'cluster.add', {target: id, host, port})
  return {id, pid: st.pid, host, port, role: st.role, state: 'remote-up', uptimeMs: st.uptimeMs}
}

/** Every node's events and the supervisor's, merged in time order. */
export interface JoinResult {
  joined: Array<{id: string; pid: number; port: number}>
}

/** Starts new nodes that join the running cluster through the nodes up now, started like the others. */
export async function join(ref: ClusterRef & {count?: number; id?: string; waitMs?: number}): Promise<JoinResult> {
  const dir = dirOf(ref)
  const state = requireState(dir, ref.name)
  const count = ref.count ?? 1
  assertWritable(dir)
  if (ref.id && count !== 1) throw new UsageError('--id names one node: use it without --count')
  if (ref.id && state.nodes.some((n) => n.id === ref.id)) throw new UsageError(`cluster '${ref.name}' already has a node '${ref.id}'`)
  const local = state.nodes.find((n) => !n.remote)
  if (!local) throw new UsageError(`cluster '${ref.name}' has no local node to copy settings from`)
  // Never reuse the id of a node that left: its old incarnation lives on in the others' views.
  const used = [...state.nodes.map((n) => n.id), ...(existsSync(pathJoin(dir, 'nodes')) ? readdirSync(pathJoin(dir, 'nodes')) : [])]
  let next = Math.max(0, ...used.map((id) => Number(/^n(\d+)$/.exec(id)?.[1] ?? 0))) + 1
  const ports = await allocatePorts(local.host, count)
  const fresh: NodeRecord[] = []
  for (let i = 0; i < count; i++) {
    const id = ref.id ?? `n${next++}`
    const node: NodeRecord = {id, host: local.host, port: ports[i]!, role: local.role, dataDir: pathJoin(dir, 'nodes', id)}
    node.pid = spawnNode(node, [...seedArgsFor(state, node), ...(state.nodeArgs ?? [])], loadSecret(dir))
    node.startedAt = Date.now()
    fresh.push(node)
  }
  state.nodes.push(...fresh)
  saveState(dir, state)
  await withClusterControl(dir, async (c) => {
    await waitForNodes(c, fresh, ref.waitMs ?? 20_000)
    for (const n of fresh) await c.call(n, {op: 'faults.replace', rules: rulesFor(state, n.id)})
  })
  record(dir, 'cluster.join', {nodes: fresh.map((n) => n.id)})
  return {joined: fresh.map((n) => ({id: n.id, pid: n.pid!, port: n.port}))}
}

export interface LeaveResult {
  node: string
  graceful: boolean
}

/**
 * Graceful leave: the node announces it is leaving, gossips that for `lingerMs`, then stops and is
 * removed from the cluster's records. Roles without a leave of their own are simply stopped.
 */
export async function leave(ref: ClusterRef & {lingerMs?: number; waitMs?: number; onProgress?: (p: RebalanceProgress) => void}, id: string): Promise<LeaveResult> {
  const dir = dirOf(ref)
  const state = requireState(dir, ref.name)
  const node = findNode(state, id)
  if (!node.remote && processState(node) !== 'up') throw new DtkError(`node ${id} is ${processState(node)}: only a running node can leave`)
  assertWritable(dir)
  let graceful = false
  await withClusterControl(dir, async (c) => {
    if (MEMBERSHIP_ROLES.includes(node.role)) {
      const answer = await c.call<{wait?: string} | undefined>(node, {op: 'role', body: {op: 'leave'}})
      graceful = true
      // A shard node first moves everything it holds away: wait for its `left`.
      if (answer?.wait === 'left') {
        const left = async () => Boolean((await c.tryCall<{left?: boolean}>(node, {op: 'role', body: {op: 'left'}}, 1000))?.left)
        await watchRebalance(ref, {timeoutMs: ref.waitMs ?? 600_000, members: state.nodes.length - 1, until: left, onProgress: ref.onProgress})
      }
      await new Promise((r) => setTimeout(r, ref.lingerMs ?? 1500))
    }
    await c.tryCall(node, {op: 'shutdown'}, 2000)
  })
  if (!node.remote && !(await waitUntil(() => processState(node) === 'down', 5000))) process.kill(node.pid!, 'SIGKILL')
  state.nodes = state.nodes.filter((n) => n.id !== id)
  if (!node.remote) state.departed = [...(state.departed ?? []).filter((d) => d !== id), id]
  if (state.partition) state.partition = state.partition.map((g) => g.filter((x) => x !== id)).filter((g) => g.length > 0)
  delete state.linkFaults[id]
  saveState(dir, state)
  record(dir, 'cluster.leave', {target: id, graceful})
  return {node: id, graceful}
}
