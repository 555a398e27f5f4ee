import {afterEach, describe, expect, it} from 'vitest'
import {startProgress} from '../../src/cli/progress.js'
import {waitFor} from '../helpers/cli.js'

/**
 * "A spinner on a terminal that reports 0 columns must not flood the terminal (it wrote 22 MB in
 * 20 s), and NO_COLOR turns its colour off too." stderr is made to look like a terminal here.
 */
describe('spinner', () => {
  const stderr = process.stderr as NodeJS.WriteStream & {columns: number}
  const saved = {isTTY: stderr.isTTY, columns: stderr.columns, write: stderr.write, cursorTo: stderr.cursorTo, clearLine: stderr.clearLine, moveCursor: stderr.moveCursor, env: {...process.env}}
  let written = ''
  const capture = (columns: number) => {
    written = ''
    Object.defineProperty(stderr, 'isTTY', {value: true, configurable: true})
    Object.defineProperty(stderr, 'columns', {value: columns, configurable: true})
    stderr.write = ((chunk: string | Uint8Array) => {
      written += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()
      return true
    }) as typeof stderr.write
    // ora moves the cursor through these; a pipe has none of them.
    stderr.cursorTo = (() => true) as typeof stderr.cursorTo
    stderr.clearLine = (() => true) as typeof stderr.clearLine
    stderr.moveCursor = (() => true) as typeof stderr.moveCursor
    delete process.env.CI // ora stays still under CI
  }
  afterEach(() => {
    Object.defineProperty(stderr, 'isTTY', {value: saved.isTTY, configurable: true})
    Object.defineProperty(stderr, 'columns', {value: saved.columns, configurable: true})
    stderr.write = saved.write
    stderr.cursorTo = saved.cursorTo
    stderr.clearLine = saved.clearLine
    stderr.moveCursor = saved.moveCursor
    process.env = {...saved.env}
  })

  it('on a terminal of 0 columns writes only the outcome, however long it runs', async () => {
    capture(0)
    const p = await startProgress('starting 5 nodes')
    for (let i = 0; i < 50; i++) {
      p.update(`${i}/5 nodes answering`)
      await new Promise((r) => setTimeout(r, 5))
    }
    p.succeed("cluster 'x' is up")
    expect(written.length).toBeLessThan(200)
    expect(written).toContain("cluster 'x' is up")
  })

  it('with NO_COLOR the spinner and its outcome carry no colour codes', async () => {
    capture(80)
    process.env.NO_COLOR = '1'
    const p = await startProgress('starting')
    // Wait for a few frames of the spinner (however long load makes them take), so there is something to check.
    const frames = () => written.split('starting').length - 1
    await waitFor(() => frames() >= 3, 10_000, 'three spinner frames', () => JSON.stringify(written))
    p.fail('did not start')
    expect(written).toContain('did not start')
    expect(written).not.toMatch(/\u001b\[(3\d|9\d|1|2)m/) // foreground colours, bold, dim
  })
})
