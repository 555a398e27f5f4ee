import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {alive, lowBasePort, processesMentioning, upOnLowPorts, waitFor, type CliResult} from '../helpers/cli.js'

/** The shared test helpers refuse to make a check pass by accident. */
describe('test helpers', () => {
  it('alive() refuses a missing pid instead of calling it dead', () => {
    expect(alive(process.pid)).toBe(true)
    for (const bad of [null, undefined, 0, -1, 1.5]) expect(() => alive(bad as unknown as number)).toThrow(/not a pid/)
  })

  it('processesMentioning() refuses an empty marker, which would match every process', () => {
    expect(() => processesMentioning('')).toThrow(/empty marker/)
    expect(processesMentioning(`no-such-marker-${process.pid}-${Date.now()}`)).toEqual([])
  })

  it('waitFor() says what it waited for and what it last saw', async () => {
    let n = 0
    await expect(waitFor(() => ++n < 0, 200, 'n to go negative', () => `n = ${n}`)).rejects.toThrow(/timed out after 200 ms waiting for n to go negative; last seen: n = \d+/)
    await expect(waitFor(() => { throw new Error('broken check') }, 1000)).rejects.toThrow('broken check')
  })

  it('lowBasePort() gives ports below the kernel ephemeral range; upOnLowPorts() moves on while they are in use', async () => {
    const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0])
    const bases = Array.from({length: 8}, (_, i) => lowBasePort(i))
    for (const b of bases) {
      expect(b).toBeGreaterThanOrEqual(10_000)
      expect(b + 10).toBeLessThanOrEqual(ephemeralLow)
    }
    expect(new Set(bases).size).toBe(8)
    const tried: string[][] = []
    const fake = async (...args: string[]): Promise<CliResult> => {
      tried.push(args)
      return tried.length < 3 ? {code: 2, stdout: '', stderr: `port ${args.at(-1)} on 127.0.0.1 is in use (choose another --base-port)`} : {code: 0, stdout: 'up', stderr: ''}
    }
    expect(await upOnLowPorts(fake, '--nodes', '5')).toMatchObject({code: 0})
    expect(tried.map((a) => a.at(-1))).toEqual(bases.slice(0, 3).map(String))
    expect(tried[0]).toEqual(['cluster', 'up', '--nodes', '5', '--base-port', String(bases[0])])
    // Any other failure is returned at once, not retried.
    tried.length = 0
    const other = async (...args: string[]): Promise<CliResult> => (tried.push(args), {code: 2, stdout: '', stderr: 'already running'})
    expect(await upOnLowPorts(other, '--nodes', '5')).toMatchObject({code: 2, stderr: 'already running'})
    expect(tried).toHaveLength(1)
  })
})
