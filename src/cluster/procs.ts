import {readFileSync} from 'node:fs'
import type {NodeRecord} from './state.js'

export type ProcessState = 'up' | 'paused' | 'down'

function procStat(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may contain spaces: the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  } catch {
    return undefined
  }
}

/**
 * Whether `pid` is still the node process dtk started: the pid alone is not enough, because the
 * kernel reuses pids, and dtk must never signal a stranger. The node's data dir is on its command line.
 */
export function ownsProcess(node: NodeRecord): boolean {
  if (!node.pid) return false
  try {
    const cmdline = readFileSync(`/proc/${node.pid}/cmdline`, 'utf8').split('\0')
    return cmdline.includes(node.dataDir) && cmdline.includes(node.id)
  } catch {
    return false
  }
}

export function processState(node: NodeRecord): ProcessState {
  if (!node.pid || !ownsProcess(node)) return 'down'
  const s = procStat(node.pid)
  if (s === undefined || s === 'Z' || s === 'X') return 'down'
  return s === 'T' || s === 't' ? 'paused' : 'up'
}

export async function waitUntil(check: () => boolean, timeoutMs: number, intervalMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (check()) return true
    await new Promise((r) => setTimeout(r, intervalMs))
  }
  return check()
}
