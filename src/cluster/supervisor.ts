import {spawn} from 'node:child_process'
import {closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {join as pathJoin} from 'node:path'
import {DtkError, UsageError} from '../errors/index.js'
import {EventLog, readEvents, type EventRecord} from '../events/index.js'
import type {NodeStatus, PingResult} from '../node/index.js'
import type {LinkFaults} from '../transport/index.js'
import {ControlClient, withControl} from './control-client.js'
import {cliEntry} from './locate.js'
import {addLinkFaults, clearLinkFaults, parsePartition, rulesFor} from './network.js'
import {allocatePorts} from './ports.js'
import {ownsProcess, processState, waitUntil, type ProcessState} from './procs.js'
import {clusterDir, findNode, loadSecret, loadState, requireState, saveSecret, saveState, type ClusterState, type NodeRecord} from './state.js'

export interface ClusterRef {
  stateDir: string
  name: string
}

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

const SUPERVISOR = 'dtk'

function dirOf(ref: ClusterRef): string {
  return clusterDir(ref.stateDir, ref.name)
}

function eventLog(dir: string): EventLog {
  return new EventLog(pathJoin(dir, 'events.jsonl'), SUPERVISOR)
}

function record(dir: string, type: string, fields: Record<string, unknown>): void {
  const log = eventLog(dir)
  log.emit(type, fields)
  log.close()
}

function nodeLogTail(node: NodeRecord, lines = 5): string {
  const file = pathJoin(node.dataDir, 'node.log')
  if (!existsSync(file)) return ''
  return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n')
}

function spawnNode(node: NodeRecord, extraArgs: string[], secret?: string): number {
  mkdirSync(node.dataDir, {recursive: true})
  const out = openSync(pathJoin(node.dataDir, 'node.log'), 'a')
  try {
    const args = [cliEntry(), 'node', 'run', '--id', node.id, '--host', node.host, '--port', String(node.port)]
    args.push('--data-dir', node.dataDir, '--role', node.role, ...extraArgs, ...(node.args ?? []))
    const env = {...process.env}
    if (secret) env.DTK_SECRET = secret
    else delete env.DTK_SECRET
    // Detached in its own process group: the node outlives the CLI that started it, and a
    // Ctrl-C in the user's terminal does not reach it.
    const child = spawn(process.execPath, args, {detached: true, stdio: ['ignore', out, out], env})
    child.unref()
    if (!child.pid) throw new DtkError(`could not start node ${node.id}`)
    return child.pid
  } finally {
    closeSync(out)
  }
}

async function waitForNodes(client: ControlClient, nodes: NodeRecord[], waitMs: number, onProgress?: (t: string) => void): Promise<void> {
  const deadline = Date.now() + waitMs
  const pending = new Set(nodes.map((n) => n.id))
  while (pending.size > 0) {
    for (const node of nodes) {
      if (!pending.has(node.id)) continue
      if (!node.remote && processState(node) === 'down') {
        const tail = nodeLogTail(node)
        throw new DtkError(`node ${node.id} exited while starting${tail ? `:\n${tail}` : ''}`)
      }
      const status = await client.tryCall<NodeStatus>(node, {op: 'status'}, 500)
      if (status) {
        pending.delete(node.id)
        onProgress?.(`${nodes.length - pending.size}/${nodes.length} nodes answering`)
      }
    }
    if (pending.size === 0) break
    if (Date.now() > deadline) throw new DtkError(`nodes ${[...pending].join(', ')} did not answer within ${waitMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function peerArg(n: NodeRecord): string {
  return `${n.id}@${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`
}

/** Seeds for a (re)starting node: the other nodes that run now, so it can join whoever is left. */
function seedArgsFor(state: ClusterState, node: NodeRecord): string[] {
  const others = state.nodes.filter((n) => n.id !== node.id && (n.remote || processState(n) === 'up'))
  return others.length > 0 ? ['--seed-peers', others.slice(0, 3).map(peerArg).join(',')] : []
}

function liveNodes(state: ClusterState): NodeRecord[] {
  return state.nodes.filter((n) => !n.remote && processState(n) !== 'down')
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
    await withControl((c) => waitForNodes(c, state.nodes, opts.waitMs ?? 20_000, opts.onProgress))
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
  await withControl(async (c) => {
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
    await withControl(async (c) => {
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
  await withControl(async (c) => {
    await waitForNodes(c, [node], ref.waitMs ?? 20_000)
    // The network does not heal because a process restarted: give the node back its faults.
    await c.call(node, {op: 'faults.replace', rules: rulesFor(state, node.id)})
  })
  record(dir, 'fault.restart', {target: id, pid: node.pid, wasRunning})
  return {node: id, pid: node.pid, port: node.port, wasRunning}
}

export interface NetworkChange {
  partition: string[][] | null
  /** Nodes that got their new rules; nodes that are down get them when they restart. */
  applied: string[]
  unreachable: string[]
}

async function pushRules(state: ClusterState): Promise<Omit<NetworkChange, 'partition'>> {
  const applied: string[] = []
  const unreachable: string[] = []
  await withControl(async (c) => {
    await Promise.all(
      state.nodes.map(async (n) => {
        if (!n.remote && processState(n) !== 'up') {
          unreachable.push(n.id)
          return
        }
        const ok = await c.tryCall(n, {op: 'faults.replace', rules: rulesFor(state, n.id)}, 2000)
        ;(ok ? applied : unreachable).push(n.id)
      }),
    )
  })
  return {applied: applied.sort(), unreachable: unreachable.sort()}
}

export async function partition(ref: ClusterRef, sides: string[]): Promise<NetworkChange> {
  const dir = dirOf(ref)
  const state = requireState(dir, ref.name)
  state.partition = parsePartition(sides, state.nodes.map((n) => n.id))
  saveState(dir, state)
  const pushed = await pushRules(state)
  record(dir, 'fault.partition', {groups: state.partition})
  return {partition: state.partition, ...pushed}
}

export async function heal(ref: ClusterRef): Promise<NetworkChange> {
  const dir = dirOf(ref)
  const state = requireState(dir, ref.name)
  state.partition = null
  saveState(dir, state)
  const pushed = await pushRules(state)
  record(dir, 'fault.heal', {})
  return {partition: null, ...pushed}
}

function idsOrAll(state: ClusterState, ids: string[] | undefined, allowStar: boolean): string[] {
  if (!ids || ids.length === 0) return allowStar ? ['*'] : state.nodes.map((n) => n.id)
  for (const id of ids) findNode(state, id)
  return ids
}

export async function setFaults(ref: ClusterRef, faults: LinkFaults, from?: string[], to?: string[]): Promise<NetworkChange & {linkFaults: ClusterState['linkFaults']}> {
  const dir = dirOf(ref)
  const state = requireState(dir, ref.name)
  addLinkFaults(state, idsOrAll(state, from, false), idsOrAll(state, to, true), faults)
  saveState(dir, state)
  const pushed = await pushRules(state)
  record(dir, 'fault.set', {from: from ?? 'all', to: to ?? 'all', ...faults})
  return {partition: state.partition, ...pushed, linkFaults: state.linkFaults}
}

export async function clearFaults(ref: ClusterRef, from?: string[], to?: string[]): Promise<NetworkChange> {
  const dir = dirOf(ref)
  const state = requireState(dir, ref.name)
  clearLinkFaults(state, from && idsOrAll(state, from, false), to && idsOrAll(state, to, true))
  saveState(dir, state)
  const pushed = await pushRules(state)
  record(dir, 'fault.clear', {from: from ?? 'all', to: to ?? 'all'})
  return {partition: state.partition, ...pushed}
}

export function faultTable(ref: ClusterRef): {partition: string[][] | null; rules: Record<string, Record<string, LinkFaults>>} {
  const state = requireState(dirOf(ref), ref.name)
  const rules: Record<string, Record<string, LinkFaults>> = {}
  for (const n of state.nodes) {
    const r = rulesFor(state, n.id)
    if (Object.keys(r).length > 0) rules[n.id] = r
  }
  return {partition: state.partition, rules}
}

export interface PingReport extends Record<string, unknown> {
  from: string
  to: string
  ok: boolean
  rttMs?: number
  code?: string
  afterMs?: number
}

/** Node `from` sends an echo request to `to` through its own transport, faults and all. */
export async function ping(ref: ClusterRef, from: string, to: string, timeoutMs: number): Promise<PingReport> {
  const state = requireState(dirOf(ref), ref.name)
  const a = findNode(state, from)
  const b = findNode(state, to)
  if (!a.remote && processState(a) !== 'up') throw new DtkError(`node ${from} is ${processState(a)}: it cannot send`)
  const res = await withControl((c) =>
    c.call<PingResult>(a, {op: 'ping', target: {id: b.id, host: b.host, port: b.port}, timeoutMs}, timeoutMs + 3000),
  )
  return res.ok ? {from, to, ok: true, rttMs: res.rttMs} : {from, to, ok: false, code: res.code, afterMs: res.afterMs}
}

/** Registers a node that runs elsewhere (another host or network namespace) by its address. */
export async function addRemote(ref: ClusterRef, id: string, host: string, port: number): Promise<NodeView> {
  const dir = dirOf(ref)
  const state = loadState(dir) ?? {version: 1 as const, name: ref.name, createdAt: Date.now(), nodes: [], partition: null, linkFaults: {}}
  if (state.nodes.some((n) => n.id === id)) throw new UsageError(`cluster '${ref.name}' already has a node '${id}'`)
  const node: NodeRecord = {id, host, port, role: 'unknown', dataDir: '', remote: true}
  const st = await withControl((c) => c.tryCall<NodeStatus>(node, {op: 'status'}, 2000))
  if (!st) throw new DtkError(`no dtk node answers at ${host}:${port}`)
  if (st.id !== id) throw new UsageError(`the node at ${host}:${port} is '${st.id}', not '${id}'`)
  node.role = st.role
  state.nodes.push(node)
  saveState(dir, state)
  record(dir, 'cluster.add', {target: id, host, port})
  return {id, pid: st.pid, host, port, role: st.role, state: 'remote-up', uptimeMs: st.uptimeMs}
}

/** Every node's events and the supervisor's, merged in time order. */
export function eventFiles(ref: ClusterRef, nodeFilter?: string[]): string[] {
  const dir = dirOf(ref)
  const state = requireState(dir, ref.name)
  const nodes = nodeFilter ? nodeFilter.map((id) => findNode(state, id)) : state.nodes
  const files = nodes.filter((n) => !n.remote).map((n) => pathJoin(n.dataDir, 'events.jsonl'))
  if (!nodeFilter) files.push(pathJoin(dir, 'events.jsonl'))
  return files
}

export function events(ref: ClusterRef, nodeFilter?: string[]): EventRecord[] {
  const recs = readEvents(eventFiles(ref, nodeFilter))
  // Supervisor events about a node (crash, pause…) belong to that node's story too.
  if (!nodeFilter) return recs
  const extra = readEvents([pathJoin(dirOf(ref), 'events.jsonl')]).filter((e) => nodeFilter.includes(e.target as string))
  return [...recs, ...extra].sort((a, b) => a.ts - b.ts)
}

export {ownsProcess}

/** Sends a role command (`{op: 'role', body}`) to one node and returns its answer. */
export async function roleCall<T>(ref: ClusterRef, id: string, body: unknown, timeoutMs = 3000): Promise<T> {
  const state = requireState(dirOf(ref), ref.name)
  const node = findNode(state, id)
  if (!node.remote && processState(node) !== 'up') throw new DtkError(`node ${id} is ${processState(node)}: it cannot answer`)
  return withControl((c) => c.call<T>(node, {op: 'role', body}, timeoutMs))
}

/** Asks every node that runs now; nodes that are down or do not answer are listed apart. */
export async function roleCallAll<T>(ref: ClusterRef, body: unknown, timeoutMs = 2000): Promise<{answers: Array<{node: string; answer: T}>; missing: string[]}> {
  const state = requireState(dirOf(ref), ref.name)
  const answers: Array<{node: string; answer: T}> = []
  const missing: string[] = []
  await withControl(async (c) => {
    await Promise.all(
      state.nodes.map(async (n) => {
        if (!n.remote && processState(n) !== 'up') return missing.push(n.id)
        try {
          answers.push({node: n.id, answer: await c.call<T>(n, {op: 'role', body}, timeoutMs)})
        } catch {
          missing.push(n.id)
        }
      }),
    )
  })
  const order = (id: string) => state.nodes.findIndex((n) => n.id === id)
  answers.sort((a, b) => order(a.node) - order(b.node))
  return {answers, missing: missing.sort((a, b) => order(a) - order(b))}
}

export interface JoinResult {
  joined: Array<{id: string; pid: number; port: number}>
}

/** Starts new nodes that join the running cluster through the nodes up now, started like the others. */
export async function join(ref: ClusterRef & {count?: number; id?: string; waitMs?: number}): Promise<JoinResult> {
  const dir = dirOf(ref)
  const state = requireState(dir, ref.name)
  const count = ref.count ?? 1
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
  await withControl(async (c) => {
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
export async function leave(ref: ClusterRef & {lingerMs?: number}, id: string): Promise<LeaveResult> {
  const dir = dirOf(ref)
  const state = requireState(dir, ref.name)
  const node = findNode(state, id)
  if (!node.remote && processState(node) !== 'up') throw new DtkError(`node ${id} is ${processState(node)}: only a running node can leave`)
  let graceful = false
  await withControl(async (c) => {
    if (node.role === 'gossip') {
      await c.call(node, {op: 'role', body: {op: 'leave'}})
      graceful = true
      await new Promise((r) => setTimeout(r, ref.lingerMs ?? 1500))
    }
    await c.tryCall(node, {op: 'shutdown'}, 2000)
  })
  if (!node.remote && !(await waitUntil(() => processState(node) === 'down', 5000))) process.kill(node.pid!, 'SIGKILL')
  state.nodes = state.nodes.filter((n) => n.id !== id)
  if (state.partition) state.partition = state.partition.map((g) => g.filter((x) => x !== id)).filter((g) => g.length > 0)
  delete state.linkFaults[id]
  saveState(dir, state)
  record(dir, 'cluster.leave', {target: id, graceful})
  return {node: id, graceful}
}
