/**
 * Flags for the Node.js runtime of every node process `dtk cluster` starts (src/cluster/spawn.ts).
 * A node is long-lived and mostly idle, and many run on one machine, so memory matters more than
 * peak speed (docs/architecture.md, Memory of a node process):
 *
 * - `--max-semi-space-size=1`: V8's young generation grows to several MiB under a steady trickle
 *   of small messages; one MiB per semi-space is plenty for a node's allocation rate.
 * - `--lite-mode`: no optimizing compilers. Their code in the node binary and the code they
 *   generate were the largest part of a node's memory above a bare Node.js process; a gossip
 *   node's hot paths run in the interpreter at a fraction of a percent of a core.
 *
 * - `--no-expose-wasm`: lite mode has no WebAssembly anyway; saying so keeps its warning out of node.log.
 *
 * `DTK_NODE_FLAGS` replaces them (`DTK_NODE_FLAGS=` for none), e.g. to compare.
 */
export const DEFAULT_NODE_PROCESS_FLAGS = ['--max-semi-space-size=1', '--lite-mode', '--no-expose-wasm']

export function nodeProcessFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const v = env.DTK_NODE_FLAGS
  return v === undefined ? [...DEFAULT_NODE_PROCESS_FLAGS] : v.split(/\s+/).filter(Boolean)
}
