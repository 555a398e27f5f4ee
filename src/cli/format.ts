/** Compact numbers for tables: 1.23M, 45.6k, 789, 12.3, 0.45; '-' for a missing figure. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return '-'
  const a = Math.abs(n)
  if (a >= 1e6) return (n / 1e6).toFixed(2) + 'M'
  if (a >= 1e4) return (n / 1e3).toFixed(1) + 'k'
  if (a >= 100) return n.toFixed(0)
  if (a >= 10) return n.toFixed(1)
  if (a >= 0.01 || a === 0) return n.toFixed(2)
  return n.toPrecision(3)
}
