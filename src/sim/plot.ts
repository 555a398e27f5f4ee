/**
 * A plain-text histogram for terminals: one row per bin, a bar of `#` scaled to the largest bin,
 * and the bin's range and count. Pure (no colour, no I/O), so commands and tests can use it alike.
 *
 *   6.0– 7.0 s | ######                 3
 *   7.0– 8.0 s | ####################  10
 */
export interface HistogramOptions {
  /** Number of bins (default 10; fewer when there are fewer distinct values). */
  bins?: number
  /** Width of the longest bar, in characters (default 40). */
  width?: number
  /** Unit written after each range, e.g. `s`. */
  unit?: string
  /** Decimal places of the bin edges (default: chosen from the range). */
  decimals?: number
  /** Fixed lower / upper edge instead of the sample's min / max. */
  min?: number
  max?: number
}

export function asciiHistogram(values: readonly number[], opts: HistogramOptions = {}): string {
  const xs = values.filter((v) => Number.isFinite(v))
  if (xs.length === 0) return '(no values)'
  let lo = opts.min ?? Math.min(...xs)
  let hi = opts.max ?? Math.max(...xs)
  if (hi < lo) [lo, hi] = [hi, lo]
  const width = Math.max(1, Math.floor(opts.width ?? 40))
  let bins = Math.max(1, Math.floor(opts.bins ?? 10))
  if (hi === lo) {
    // Every value equal: one bin, one unit wide so the range still reads as a range.
    bins = 1
    hi = lo + (lo === 0 ? 1 : Math.abs(lo) * 0.1)
  }
  const step = (hi - lo) / bins
  const counts = new Array<number>(bins).fill(0)
  for (const v of xs) {
    if (v < lo || v > hi) continue
    const i = Math.min(bins - 1, Math.floor((v - lo) / step))
    counts[i]!++
  }
  const decimals = opts.decimals ?? (step >= 10 ? 0 : step >= 1 ? 1 : step >= 0.1 ? 2 : 3)
  const edges = Array.from({length: bins + 1}, (_, i) => (lo + i * step).toFixed(decimals))
  const ew = Math.max(...edges.map((e) => e.length))
  const top = Math.max(...counts)
  const cw = String(top).length
  const unit = opts.unit ? ` ${opts.unit}` : ''
  const lines: string[] = []
  for (let i = 0; i < bins; i++) {
    const c = counts[i]!
    const bar = c === 0 ? '' : '#'.repeat(Math.max(1, Math.round((c / top) * width)))
    lines.push(`${edges[i]!.padStart(ew)}–${edges[i + 1]!.padStart(ew)}${unit} | ${bar.padEnd(width)} ${String(c).padStart(cw)}`)
  }
  return lines.join('\n')
}
