import {afterEach, describe, expect, it} from 'vitest'
import {silentBar, startLoadBar} from '../../src/kvclient/progress-bar.js'
import {waitFor} from '../helpers/cli.js'

/** `dtk kv load`'s progress: a bar on stderr only when it is a terminal with a width, redrawn in place, cleared at the end. */
describe('the load progress bar', () => {
  const stderr = process.stderr as NodeJS.WriteStream & {columns: number}
  const saved = {isTTY: stderr.isTTY, columns: stderr.columns, write: stderr.write}
  let written = ''
  const fake = (tty: boolean, columns: number) => {
    written = ''
    Object.defineProperty(stderr, 'isTTY', {value: tty, configurable: true})
    Object.defineProperty(stderr, 'columns', {value: columns, configurable: true})
    stderr.write = ((chunk: string | Uint8Array) => {
      written += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()
      return true
    }) as typeof stderr.write
  }
  afterEach(() => {
    Object.defineProperty(stderr, 'isTTY', {value: saved.isTTY, configurable: true})
    Object.defineProperty(stderr, 'columns', {value: saved.columns, configurable: true})
    stderr.write = saved.write
  })
  const progress = {invoked: 500, completed: 492, ok: 480, fail: 10, info: 2, elapsedMs: 250}

  it('on a terminal: one line redrawn in place, within its width, and cleared by stop()', async () => {
    fake(true, 60)
    const bar = startLoadBar(() => progress, {ops: 1000}, true)
    await waitFor(() => written.includes('ops/s'), 5000, 'a frame')
    bar.stop()
    const frames = written.split('\r').filter((f) => f.includes('ops/s'))
    expect(frames.length).toBeGreaterThan(0)
    expect(frames[0]).toMatch(/^\[#{10}-{10}\] 492\/1000 ops  1968 ops\/s/)
    for (const f of frames) expect(f.replace(/\u001b\[K$/, '').length).toBeLessThanOrEqual(59)
    expect(written.endsWith('\r\u001b[K')).toBe(true)
    expect(written).not.toContain('\n')
  })

  it('silent in a pipe, on a terminal without a width, and under --json', async () => {
    for (const [tty, cols, enabled] of [
      [false, 80, true],
      [true, 0, true],
      [true, 80, false],
    ] as const) {
      fake(tty, cols)
      const bar = startLoadBar(() => progress, {durationMs: 1000}, enabled)
      // No timer is set at all: nothing can ever be drawn.
      expect(bar, `tty=${tty} columns=${cols} enabled=${enabled}`).toBe(silentBar)
      bar.stop()
      expect(written).toBe('')
    }
  })
})
