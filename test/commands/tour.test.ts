import {readdirSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {alive, dtk, killAllUnder, processesMentioning, tempDir} from '../helpers/cli.js'

describe('dtk tour', () => {
  // The tour keeps its cluster in a fresh dir under os.tmpdir(): TMPDIR points that at this test's
  // own dir, so "nothing left running" means this run's processes, not another run's tour.
  let tmp: string
  beforeAll(() => {
    tmp = tempDir('tour')
  })
  afterAll(() => {
    killAllUnder(tmp)
  })

  // The tour's own limit (90 s) fires, with its stderr, before vitest's (120 s, vitest.config.ts).
  it('runs every step without prompting in a pipeline, shows the crash detected by every survivor, and leaves nothing running', async () => {
    const r = await dtk(['tour', '--json'], {TMPDIR: tmp}, 90_000)
    expect(r.code, r.stderr).toBe(0)
    type Node = {id: string; pid: number | null; state: string}
    const out = JSON.parse(r.stdout) as {steps: Array<{id: string; nodes?: Node[]; events?: Array<{node: string; type: string; member: string}>; pings?: Array<{from: string; to: string; ok: boolean; code?: string}>}>}
    expect(out.steps.map((s) => s.id)).toEqual(['up', 'ping', 'crash', 'restart', 'partition', 'delay', 'down'])
    const crash = out.steps.find((s) => s.id === 'crash')!
    const deadBy = new Set(crash.events!.filter((e) => e.type === 'member.dead' && e.member === 'n3').map((e) => e.node))
    expect([...deadBy].sort()).toEqual(['n1', 'n2', 'n4', 'n5'])
    const part = out.steps.find((s) => s.id === 'partition')!.pings!
    expect(part.find((p) => p.from === 'n1' && p.to === 'n4' && !p.ok)?.code).toBe('TIMEOUT')
    expect(part.find((p) => p.from === 'n1' && p.to === 'n2')?.ok).toBe(true)

    // Every process the tour started (five at "up", n3 again at "restart") is gone, no process
    // mentions its state dir, and the temporary state dir itself was removed.
    const pids = new Set(out.steps.flatMap((s) => (s.nodes ?? []).map((n) => n.pid)).filter((p): p is number => p !== null))
    expect(pids.size).toBe(6)
    for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false)
    expect(out.steps.find((s) => s.id === 'down')!.nodes!.map((n) => n.state)).toEqual(['down', 'down', 'down', 'down', 'down'])
    expect(processesMentioning(tmp)).toEqual([])
    expect(readdirSync(tmp)).toEqual([])
  })
})
