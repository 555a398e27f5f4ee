import {spawn, type ChildProcess} from 'node:child_process'
import {rmSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {DurableLog} from '../../src/storage/index.js'
import {root, tempDir, waitFor} from '../helpers/cli.js'
import {dec} from './helpers.js'

/** docs/storage.md, "What a crash can lose": nothing a real process acknowledged, even under SIGKILL mid-stream. */
describe('durable log under SIGKILL', () => {
  let dir: string
  let child: ChildProcess | undefined
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    rmSync(dir, {recursive: true, force: true})
  })

  /** Starts the writer, waits for `acks` acknowledgements, SIGKILLs it; returns the acknowledged numbers. */
  async function runAndKill(acks: number): Promise<number[]> {
    const fixture = join(root, 'test', 'storage', 'fixtures', 'ack-writer.ts')
    const proc = spawn(process.execPath, ['--import', 'tsx', fixture, dir, '16'], {cwd: root, stdio: ['ignore', 'pipe', 'pipe']})
    child = proc
    const acked: number[] = []
    let stderr = ''
    let partial = ''
    proc.stderr!.on('data', (d) => (stderr += d))
    proc.stdout!.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n')
      partial = lines.pop()!
      for (const l of lines) if (l.startsWith('ack ')) acked.push(Number(l.slice(4)))
    })
    const exited = new Promise<void>((r) => proc.once('exit', () => r()))
    await waitFor(() => acked.length >= acks || proc.exitCode !== null, 30_000, `${acks} acknowledgements (stderr: ${stderr})`)
    expect(proc.exitCode, stderr).toBeNull()
    proc.kill('SIGKILL')
    await exited
    expect(proc.signalCode).toBe('SIGKILL')
    return acked
  }

  it('every record acknowledged before a SIGKILL is recovered, in order, across three kills', async () => {
    dir = tempDir('kill')
    const acked: number[] = []
    for (const n of [300, 500, 400]) acked.push(...(await runAndKill(n)))
    expect(acked.length).toBeGreaterThanOrEqual(1200)

    const {log, recovered} = await DurableLog.open(dir, {name: 'wal'})
    await log.close()
    const upto = recovered.snapshot ? Number(dec(recovered.snapshot)!.slice('upto:'.length)) : -1
    const after = recovered.records.map((r) => Number(dec(r)!.slice('r:'.length)))
    expect(upto).toBeGreaterThanOrEqual(0)
    for (let i = 1; i < after.length; i++) expect(after[i]).toBeGreaterThan(after[i - 1]!)
    if (after.length > 0) expect(after[0]).toBeGreaterThan(upto)
    const present = new Set(after)
    const missing = acked.filter((i) => i > upto && !present.has(i))
    expect(missing).toEqual([])
  })
})
