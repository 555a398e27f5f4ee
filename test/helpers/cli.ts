import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const runJs = join(root, 'bin', 'run.js')

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

function assertBuilt(): void {
  if (!existsSync(join(root, 'dist', 'commands')) || !existsSync(join(root, 'oclif.manifest.json'))) {
    throw new Error('dtk is not built: run `npm run build` (npm test does it) before these tests')
  }
}

/** Runs the built CLI as a user would, with its own state dir and no colours. */
export function dtk(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<CliResult> {
  return dtkVia([], args, env, timeoutMs)
}

/** The same, under a wrapper command (e.g. `ip netns exec NS`), so the CLI runs in another network namespace. */
export function dtkVia(wrapper: string[], args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<CliResult> {
  assertBuilt()
  const [cmd, ...pre] = [...wrapper, process.execPath, runJs, ...args]
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, pre, {env: {...process.env, NO_COLOR: '1', ...env}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`dtk ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stderr}`))
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
  })
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `dtk-test-${prefix}-`))
}

/** Pids recorded in every cluster state under `stateDir`. */
export function recordedPids(stateDir: string): number[] {
  const out: number[] = []
  if (!existsSync(stateDir)) return out
  for (const name of readdirSync(stateDir)) {
    const file = join(stateDir, name, 'cluster.json')
    if (!existsSync(file)) continue
    const state = JSON.parse(readFileSync(file, 'utf8')) as {nodes: Array<{pid?: number}>}
    for (const n of state.nodes) if (n.pid) out.push(n.pid)
  }
  return out
}

/** Whether `pid` runs (a zombie does not). Not a pid (null, undefined, 0) is an error, not "not alive": `expect(alive(x)).toBe(false)` must not pass because x is missing. */
export function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`alive(${String(pid)}): not a pid`)
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/\) [ZX] /.test(stat)
  } catch {
    return false
  }
}

/** Every process whose command line mentions `marker` (a test's temp dir): what a test must not leave behind. */
export function processesMentioning(marker: string): number[] {
  if (!marker) throw new Error('processesMentioning(): an empty marker matches every process')
  const r = spawnSync('pgrep', ['-f', marker])
  // pgrep exits 1 when nothing matches; anything else (not installed, bad pattern) would read as "nothing runs".
  if (r.error || (r.status !== 0 && r.status !== 1)) throw new Error(`pgrep -f ${marker} failed: ${r.error?.message ?? r.stderr.toString().trim()}`)
  return r.stdout
    .toString()
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((p) => p !== process.pid)
}

/** Last-resort cleanup for afterAll: kill whatever still runs from this test's state dir, then remove it. */
export function killAllUnder(dir: string): void {
  for (const pid of [...recordedPids(dir), ...processesMentioning(dir)]) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err // ESRCH: gone already
    }
  }
  rmSync(dir, {recursive: true, force: true})
}

/**
 * Polls `check` until it holds. An error thrown by `check` fails at once (it is not retried).
 * `lastSeen`, when given, is called on timeout and its text added to the error: what the last
 * attempt saw (a command's stderr, a member's state), so a timeout says why.
 */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition', lastSeen?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` + (lastSeen ? `; last seen: ${lastSeen()}` : ''))
}

/**
 * A `--base-port` for a cluster whose nodes are crashed and restarted on the same port. Ports
 * the kernel picks (`cluster up` without --base-port) come from its ephemeral range, which it
 * also hands to every other listener and outgoing connection on the machine: one of those can
 * take a crashed node's port before the restart. Ports below that range are never handed out, so
 * these come from there, spread by pid and attempt so concurrent runs start apart. Not checked
 * here: `cluster up --base-port` checks each port is free and says "in use"; `upOnLowPorts`
 * retries on that.
 */
export function lowBasePort(attempt = 0, span = 10): number {
  let ephemeralLow = 32768
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeralLow
  } catch {
    // not Linux: assume the usual range
  }
  const low = 10_000
  const slots = Math.floor((Math.min(ephemeralLow, 32768) - low) / span) - 1
  if (slots < 1) throw new Error(`no ports below the ephemeral range (${ephemeralLow}) to use`)
  return low + ((process.pid * 7919 + attempt * 104_729) % slots) * span
}

/** `cluster up ARGS --base-port B` with B from lowBasePort, trying further bases while the ports are in use. */
export async function upOnLowPorts(run: (...args: string[]) => Promise<CliResult>, ...args: string[]): Promise<CliResult> {
  let r: CliResult | undefined
  for (let attempt = 0; attempt < 8; attempt++) {
    r = await run('cluster', 'up', ...args, '--base-port', String(lowBasePort(attempt)))
    if (r.code === 0 || !/is in use/.test(r.stderr)) return r
  }
  return r!
}

/**
 * The whole lines of a JSONL file another process may still be appending to (a history, an
 * event log), parsed; a partly written last line is left for the next read. No file: none.
 */
export function jsonlLines<T>(file: string): T[] {
  if (!existsSync(file)) return []
  const text = readFileSync(file, 'utf8')
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T)
}
