import {interrupting} from '../cli/interrupt.js'
import type {LoadProgress} from './load.js'

/**
 * `dtk kv load`'s progress: one line on stderr, redrawn in place a few times a second, only when
 * stderr is a terminal that reports its width (as src/cli/progress.ts does for spinners): in a
 * pipeline or a log it stays silent, and the summary says it all at the end.
 */
export interface LoadBar {
  stop(): void
}

/** What a bar is where none is drawn: no timer, no output. */
export const silentBar: LoadBar = {stop() {}}

export function startLoadBar(read: () => LoadProgress, goal: {ops?: number; durationMs?: number}, enabled: boolean): LoadBar {
  const err = process.stderr
  if (!enabled || !err.isTTY || !(err.columns > 0)) return silentBar
  const draw = () => {
    if (interrupting()) return
    const p = read()
    const frac = Math.min(1, Math.max(goal.ops ? p.invoked / goal.ops : 0, goal.durationMs ? p.elapsedMs / goal.durationMs : 0))
    const width = 20
    const filled = Math.round(frac * width)
    const rate = p.elapsedMs > 0 ? (p.completed / p.elapsedMs) * 1000 : 0
    const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.completed}${goal.ops ? `/${goal.ops}` : ''} ops  ${rate.toFixed(0)} ops/s  ok ${p.ok} fail ${p.fail} info ${p.info}`
    err.write(`\r${line.slice(0, err.columns - 1)}\u001b[K`)
  }
  const timer = setInterval(draw, 200)
  timer.unref()
  return {
    stop() {
      clearInterval(timer)
      err.write('\r\u001b[K')
    },
  }
}
