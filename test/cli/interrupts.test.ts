import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {alive, killAllUnder, processesMentioning, runJs, tempDir, waitFor} from '../helpers/cli.js'

/**
 * "Ctrl-C stops what a command started (exit 130)": real signals to the built CLI while it has
 * node processes running, then nothing may be left — no process, no temporary dir.
 */
interface Run {
  child: ChildProcess
  stderr: () => string
  exit: Promise<number | null>
}

function start(args: string[], env: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, [runJs, ...args], {env: {...process.env, NO_COLOR: '1', ...env}, stdio: ['ignore', 'pipe', 'pipe']})
  let err = ''
  child.stderr!.on('data', (d) => (err += d))
  child.stdout!.resume()
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return {child, stderr: () => err, exit}
}

function recordedPids(clusterDir: string): number[] {
  const file = join(clusterDir, 'cluster.json')
  if (!existsSync(file)) return []
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as {nodes: Array<{pid?: number}>}).nodes.map((n) => n.pid ?? 0).filter((p) => p > 0)
  } catch {
    return [] // caught mid-rename
  }
}

describe('Ctrl-C and signals', () => {
  const base = tempDir('interrupts')
  afterAll(() => killAllUnder(base))

  it('SIGINT during the tour stops its nodes, removes the temporary state dir it named, says so in one line and exits 130', async () => {
    const tmp = join(base, 'tmp')
    mkdirSync(tmp)
    const run = start(['tour', '--yes'], {TMPDIR: tmp})
    let dir = ''
    await waitFor(() => {
      dir = /tour cluster in (\S+)/.exec(run.stderr())?.[1] ?? ''
      return dir !== ''
    }, 20_000, 'the tour to name its state dir')
    expect(dir.startsWith(tmp)).toBe(true)
    let pids: number[] = []
    await waitFor(() => {
      pids = recordedPids(join(dir, 'tour'))
      return pids.length === 5 && pids.every(alive)
    }, 30_000, 'the tour cluster to run')
    run.child.kill('SIGINT')
    expect(await run.exit).toBe(130)
    const lines = run.stderr().trim().split('\n')
    expect(lines.at(-1)).toMatch(new RegExp(`^interrupted: stopped \\d+ nodes, removed ${dir}$`))
    expect(run.stderr(), 'nothing but the one line about the interrupt').not.toMatch(/Error|did not answer/)
    expect(pids.filter(alive)).toEqual([])
    expect(processesMentioning(dir)).toEqual([])
    expect(existsSync(dir)).toBe(false)
    expect(readdirSync(tmp)).toEqual([])
  })

  // A prompt reads Ctrl-C itself (raw mode): it used to print an internal error and exit 1.
  const hasScript = spawnSync('script', ['--version']).status === 0
  it.skipIf(!hasScript)('Ctrl-C at a tour prompt (a real terminal, through script(1)) stops the nodes, removes the dir and exits 130', async () => {
    const tmp = join(base, 'tmp-pty')
    mkdirSync(tmp)
    const child = spawn('script', ['-qfec', `${process.execPath} ${runJs} tour`, '/dev/null'], {env: {...process.env, TMPDIR: tmp, CI: ''}, stdio: ['pipe', 'pipe', 'pipe']})
    let out = ''
    child.stdout!.on('data', (d) => (out += d))
    const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    await waitFor(() => out.includes('Next: nodes talk through the transport?'), 40_000, 'the first prompt')
    const dir = /tour cluster in (\S+)/.exec(out)![1]!
    child.stdin!.write('\u0003')
    expect(await exit, out).toBe(130)
    expect(out).toMatch(new RegExp(`interrupted: stopped 5 nodes, removed ${dir}`))
    expect(out).not.toMatch(/ExitPromptError|User force closed/)
    expect(processesMentioning(dir)).toEqual([])
    expect(existsSync(dir)).toBe(false)
  })

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} while cluster up waits for its nodes stops every node it started and exits 130`, async () => {
      const stateDir = join(base, `up-${signal}`)
      const run = start(['cluster', 'up', '--nodes', '8', '--state-dir', stateDir], {})
      await waitFor(() => recordedPids(join(stateDir, 'default')).length === 8, 20_000, 'the nodes to be spawned')
      const pids = recordedPids(join(stateDir, 'default'))
      run.child.kill(signal)
      expect(await run.exit, run.stderr()).toBe(130)
      expect(run.stderr().trim().split('\n').at(-1)).toMatch(/^interrupted: stopped \d+ nodes? of cluster 'default'$/)
      expect(run.stderr()).not.toMatch(/Error|did not answer/)
      expect(pids.filter(alive)).toEqual([])
      expect(processesMentioning(stateDir)).toEqual([])
    })
  }
})
