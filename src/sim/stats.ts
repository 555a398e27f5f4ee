/** Order statistics for scenario metrics. Percentiles use nearest-rank on the sorted sample. */
export interface Summary {
  count: number
  p50: number
  p99: number
  max: number
  mean: number
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b)
  const mean = s.length === 0 ? NaN : s.reduce((a, b) => a + b, 0) / s.length
  return {count: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s.length ? s[s.length - 1]! : NaN, mean}
}
