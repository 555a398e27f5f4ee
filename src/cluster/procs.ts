import {readdirSync, readFileSync} from 'node:fs'
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

/** Pids of every process whose command line mentions `marker` (a state or data dir), this one excepted. */
export function processesMentioning(marker: string): number[] {
  const found: number[] = []
  let entries: string[] = []
  try {
    entries = readdirSync('/proc')
  } catch {
    return found
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue
    try {
      const args = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0')
      if (args.some((a) => a.includes(marker)) && procStat(Number(e)) !== 'Z') found.push(Number(e))
    } catch {
      // gone meanwhile
    }
  }
  return found
}

/**
 * SIGKILLs every process that mentions `marker` except `keep`, and waits until they are gone: the
 * last word of a clean-up, for nodes started between the state being read and being stopped.
 */
export async function sweep(marker: string, keep: number[] = []): Promise<number> {
  const victims = processesMentioning(marker).filter((p) => !keep.includes(p))
  for (const pid of victims) {
    try {
      process.kill(pid, 'SIGCONT')
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone already
    }
  }
  await waitUntil(() => victims.every((p) => procStat(p) === undefined || procStat(p) === 'Z'), 3000)
  return victims.length
}
