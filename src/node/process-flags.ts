/**
 * Flags for the Node.js runtime of every node process `dtk cluster` starts (src/cluster/spawn.ts).
 * A node is long-lived and mostly idle, and many run on one machine, so memory matters more than
 * peak speed (docs/architecture.md, Memory of a node process):
 *
 * - `--max-semi-space-size=1`: V8's young generation grows to several MiB under a steady trickle
 *   of small messages; one MiB per semi-space is plenty for a node's allocation rate.
 * - `--lite-mode` (gossip nodes only): no optimizing compilers. Their code in the node binary and
 *   the code they generate were the largest part of a gossip node's memory above a bare Node.js
 *   process, and a gossip node's hot paths run in the interpreter at a fraction of a percent of a
 *   core. Data roles (kv-local, shard) keep the compilers: they serve clients as fast as they can,
 *   and in the interpreter a kv-local node answered about a third as many requests.
 * - `--no-expose-wasm`: lite mode has no WebAssembly anyway; saying so keeps its warning out of node.log.
 *
 * `DTK_NODE_FLAGS` replaces them (`DTK_NODE_FLAGS=` for none), e.g. to compare.
 */
export const DEFAULT_NODE_PROCESS_FLAGS = ['--max-semi-space-size=1']
const INTERPRETER_ONLY = ['--lite-mode', '--no-expose-wasm']
/** Roles that run only membership: small, idle, many per machine. */
const LITE_ROLES = new Set(['gossip'])

export function nodeProcessFlags(env: NodeJS.ProcessEnv = process.env, role?: string): string[] {
  const v = env.DTK_NODE_FLAGS
  if (v !== undefined) return v.split(/\s+/).filter(Boolean)
  return role !== undefined && LITE_ROLES.has(role) ? [...DEFAULT_NODE_PROCESS_FLAGS, ...INTERPRETER_ONLY] : [...DEFAULT_NODE_PROCESS_FLAGS]
}
