import {accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {DtkError, UsageError} from '../errors/index.js'
import type {LinkFaults} from '../transport/index.js'

export interface NodeRecord {
  id: string
  host: string
  port: number
  role: string
  dataDir: string
  /** Present while dtk started the process on this machine; absent for a node added by address. */
  pid?: number
  /** A node running elsewhere (another host or namespace), reached only through its control RPC. */
  remote?: boolean
  startedAt?: number
  /** `dtk node run` arguments for this node only (e.g. its metrics port). */
  args?: string[]
}

export interface ClusterState {
  version: 1
  name: string
  createdAt: number
  nodes: NodeRecord[]
  /** Groups of node ids that can talk among themselves; null when the network is whole. */
  partition: string[][] | null
  /** `dtk node run` arguments every node is started with (role options). */
  nodeArgs?: string[]
  /** Message faults per link: from node id -> (to node id or '*') -> faults. */
  linkFaults: Record<string, Record<string, LinkFaults>>
  /** Nodes that left this run (`cluster leave`): gone from `nodes`, their events still this run's. */
  departed?: string[]
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

/** `--state-dir`, else `DTK_STATE_DIR`, else `./.dtk` — resolved against the working directory. */
export function resolveStateDir(flag?: string): string {
  return resolve(flag ?? process.env.DTK_STATE_DIR ?? '.dtk')
}

export function clusterDir(stateDir: string, name: string): string {
  if (!NAME.test(name)) throw new UsageError(`cluster name '${name}' must be letters, digits, '.', '_' or '-'`)
  return join(stateDir, name)
}

export function stateFile(dir: string): string {
  return join(dir, 'cluster.json')
}

export function loadState(dir: string): ClusterState | undefined {
  const file = stateFile(dir)
  if (!existsSync(file)) return undefined
  let parsed: ClusterState
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as ClusterState
  } catch (error) {
    throw new DtkError(`${file} is not valid JSON (${(error as Error).message}); fix it or remove the directory`)
  }
  if (parsed.version !== 1 || !Array.isArray(parsed.nodes)) throw new DtkError(`${file} is not a dtk cluster state file`)
  parsed.partition ??= null
  parsed.linkFaults ??= {}
  return parsed
}

export function requireState(dir: string, name: string): ClusterState {
  const state = loadState(dir)
  if (!state) throw new UsageError(`no cluster '${name}' under ${dir} (start one with: dtk cluster up --name ${name})`)
  return state
}

/** Written to a temporary file and renamed, so a crash mid-write never leaves half a state file. */
export function saveState(dir: string, state: ClusterState): void {
  mkdirSync(dir, {recursive: true})
  const file = stateFile(dir)
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n')
  renameSync(tmp, file)
}

export function findNode(state: ClusterState, id: string): NodeRecord {
  const node = state.nodes.find((n) => n.id === id)
  if (!node) throw new UsageError(`unknown node '${id}' (cluster '${state.name}' has ${state.nodes.map((n) => n.id).join(', ')})`)
  return node
}

/**
 * The cluster's gossip key(s) live in a file of their own, readable only by the user, and reach
 * nodes through their environment: never on a command line, where `ps` would show them.
 */
export function secretFile(dir: string): string {
  return join(dir, 'secret')
}

export function saveSecret(dir: string, secret: string | undefined): void {
  mkdirSync(dir, {recursive: true})
  const file = secretFile(dir)
  if (secret) writeFileSync(file, secret + '\n', {mode: 0o600})
  else if (existsSync(file)) rmSync(file)
}

export function loadSecret(dir: string): string | undefined {
  const file = secretFile(dir)
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined
}

const WHY: Record<string, string> = {
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'a part of the path is a file, not a directory',
  ENOENT: 'it does not exist',
}

/**
 * Checked before a command acts on a cluster: it must be able to record what it did (the state
 * and the supervisor's events), or it would crash a node and then fail, leaving the record wrong.
 */
export function assertWritable(dir: string): void {
  for (const path of [dir, stateFile(dir), join(dir, 'events.jsonl')]) {
    if (path !== dir && !existsSync(path)) continue
    try {
      accessSync(path, constants.W_OK)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'ERROR'
      throw new DtkError(`cannot record changes in ${path}: ${WHY[code] ?? code}; nothing was done`)
    }
  }
}
