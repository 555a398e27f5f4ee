import {spawn} from 'node:child_process'
import {closeSync, existsSync, mkdirSync, openSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {DtkError} from '../errors/index.js'
import type {NodeStatus} from '../node/index.js'
import {nodeProcessFlags} from '../node/process-flags.js'
import type {ControlClient} from './control-client.js'
import {cliEntry} from './locate.js'
import {processState} from './procs.js'
import type {ClusterState, NodeRecord} from './state.js'

/** Starting node processes and waiting for them to answer. */
export function nodeLogTail(node: NodeRecord, lines = 5): string {
  const file = join(node.dataDir, 'node.log')
  if (!existsSync(file)) return ''
  return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n')
}

export function spawnNode(node: NodeRecord, extraArgs: string[], secret?: string): number {
  mkdirSync(node.dataDir, {recursive: true})
  const out = openSync(join(node.dataDir, 'node.log'), 'a')
  try {
    const args = [cliEntry(), 'node', 'run', '--id', node.id, '--host', node.host, '--port', String(node.port)]
    args.push('--data-dir', node.dataDir, '--role', node.role, ...extraArgs, ...(node.args ?? []))
    const env = {...process.env}
    if (secret) env.DTK_SECRET = secret
    else delete env.DTK_SECRET
    // Detached in its own process group: the node outlives the CLI that started it, and a
    // Ctrl-C in the user's terminal does not reach it.
    const child = spawn(process.execPath, [...nodeProcessFlags(env, node.role), ...args], {detached: true, stdio: ['ignore', out, out], env})
    child.unref()
    if (!child.pid) throw new DtkError(`could not start node ${node.id}`)
    return child.pid
  } finally {
    closeSync(out)
  }
}

export async function waitForNodes(client: ControlClient, nodes: NodeRecord[], waitMs: number, onProgress?: (t: string) => void): Promise<void> {
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

export function peerArg(n: NodeRecord): string {
  return `${n.id}@${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`
}

/** Seeds for a (re)starting node: the other nodes that run now, so it can join whoever is left. */
export function seedArgsFor(state: ClusterState, node: NodeRecord): string[] {
  const others = state.nodes.filter((n) => n.id !== node.id && (n.remote || processState(n) === 'up'))
  return others.length > 0 ? ['--seed-peers', others.slice(0, 3).map(peerArg).join(',')] : []
}

export function liveNodes(state: ClusterState): NodeRecord[] {
  return state.nodes.filter((n) => !n.remote && processState(n) !== 'down')
}
