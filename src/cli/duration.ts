import {UsageError} from '../errors/index.js'

const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000}

/** Parses `250ms`, `1.5s`, `10m`, `2h` or a bare number of milliseconds. */
export function parseDuration(text: string, flag = 'duration', opts: {min?: number} = {}): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text)
  if (!m) throw new UsageError(`--${flag}: '${text}' is not a duration (try 50ms, 2s, 10m)`)
  const ms = Number(m[1]) * UNITS[m[2] ?? 'ms']!
  if (opts.min !== undefined && ms < opts.min) throw new UsageError(`--${flag} ${text} is too short: it must be at least ${formatDuration(opts.min)}`)
  return ms
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${Math.floor(s % 60)}s`
  return `${Math.floor(m / 60)}h${m % 60}m`
}
