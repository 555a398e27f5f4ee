/**
 * Latencies in a fixed-size log-bucketed histogram (HdrHistogram's idea, Gil Tene: constant
 * memory whatever the run's length, each value kept to a relative precision): buckets grow by
 * 1 % from 1 µs, so 2,100 counters cover 1 µs to 20 min, and a quantile is read to within 1 %.
 */
const GROWTH = 1.01
const LOG_GROWTH = Math.log(GROWTH)
const MIN_NS = 1000
const BUCKETS = 2100

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS)
  count = 0
  /** Largest and sum of the values recorded, in ns. */
  max = 0
  sum = 0

  record(ns: number): void {
    const i = ns <= MIN_NS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ns / MIN_NS) / LOG_GROWTH))
    this.counts[i]!++
    this.count++
    this.sum += ns
    if (ns > this.max) this.max = ns
  }

  /** The value below which a fraction `q` of the recorded values lie (ns; the bucket's upper edge, at most the max). */
  quantile(q: number): number {
    if (this.count === 0) return NaN
    const rank = Math.max(1, Math.ceil(q * this.count))
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!
      if (seen >= rank) return Math.min(this.max, MIN_NS * GROWTH ** i)
    }
    return this.max
  }

  mean(): number {
    return this.count === 0 ? NaN : this.sum / this.count
  }
}
