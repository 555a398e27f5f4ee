import {describe, expect, it} from 'vitest'
import {dtk, processesMentioning} from '../helpers/cli.js'

describe('dtk tour', () => {
  it('runs every step without prompting in a pipeline, shows the crash detected by every survivor, and leaves nothing running', async () => {
    const r = await dtk(['tour', '--json'], {}, 120_000)
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as {steps: Array<{id: string; events?: Array<{node: string; type: string; member: string}>; pings?: Array<{from: string; to: string; ok: boolean; code?: string}>}>}
    expect(out.steps.map((s) => s.id)).toEqual(['up', 'ping', 'crash', 'restart', 'partition', 'delay', 'down'])
    const crash = out.steps.find((s) => s.id === 'crash')!
    const deadBy = new Set(crash.events!.filter((e) => e.type === 'member.dead' && e.member === 'n3').map((e) => e.node))
    expect([...deadBy].sort()).toEqual(['n1', 'n2', 'n4', 'n5'])
    const part = out.steps.find((s) => s.id === 'partition')!.pings!
    expect(part.find((p) => p.from === 'n1' && p.to === 'n4' && !p.ok)?.code).toBe('TIMEOUT')
    expect(part.find((p) => p.from === 'n1' && p.to === 'n2')?.ok).toBe(true)
    expect(processesMentioning('dtk-tour-')).toEqual([])
  })
})
