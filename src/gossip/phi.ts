/**
 * The phi accrual failure detector (Hayashibara, Défago, Yared, Katayama, SRDS 2004), with Akka's
 * refinements: inter-arrival times of heartbeats are modelled as a normal distribution over a
 * sliding window; phi = −log10(P(a heartbeat arrives later than now)). Instead of a yes/no
 * verdict it gives a suspicion level that grows the longer a heartbeat is overdue; the caller
 * convicts above a threshold (Akka and Cassandra: 8).
 */

export interface PhiOptions {
  /** Convict above this phi. Default 8. */
  threshold: number
  /** Inter-arrival samples kept. Akka max-sample-size 1000. */
  windowSize: number
  /** Floor on the standard deviation, so a very regular history does not make phi explode. Akka 100 ms at a 1 s interval. */
  minStdDeviation: number
  /** Extra slack added to the mean: pauses (GC, network blips) we accept without conviction. Akka 3 s at 1 s. */
  acceptableHeartbeatPause: number
  /** Assumed interval before any sample exists (Akka first-heartbeat-estimate). */
  firstHeartbeatEstimate: number
}

/** Akka's defaults for a 1 s heartbeat, scaled linearly for another interval. */
export function phiDefaults(heartbeatInterval: number): PhiOptions {
  const scale = heartbeatInterval / 1000
  return {
    threshold: 8,
    windowSize: 1000,
    minStdDeviation: 100 * scale,
    acceptableHeartbeatPause: 3000 * scale,
    firstHeartbeatEstimate: heartbeatInterval,
  }
}

/**
 * phi for `elapsed` ms since the last heartbeat, given the window's mean and standard deviation.
 * Uses Akka's logistic approximation of the normal CDF (max error ~1e-4), which stays finite far
 * into the tail where 1 − CDF underflows.
 */
export function phi(elapsed: number, mean: number, stdDeviation: number): number {
  const y = (elapsed - mean) / stdDeviation
  const e = Math.exp(-y * (1.5976 + 0.070566 * y * y))
  if (elapsed > mean) return -Math.log10(e / (1 + e))
  return -Math.log10(1 - 1 / (1 + e))
}

/** Sliding window of inter-arrival times for one peer, with running sums for O(1) mean/variance. */
export class ArrivalWindow {
  /** Grows up to windowSize, then used as a ring: most peers never need the full window's memory. */
  private readonly samples: number[] = []
  private count = 0
  private head = 0
  private sum = 0
  private sumSq = 0
  last: number | undefined

  constructor(private readonly opts: PhiOptions) {
    // Akka seeds the history with two samples around the first estimate (std = mean / 4), so
    // phi is meaningful from the first heartbeat on.
    const m = opts.firstHeartbeatEstimate
    const sd = m / 4
    this.add(m - sd)
    this.add(m + sd)
  }

  /** Records a heartbeat arriving at `now`. */
  heartbeat(now: number): void {
    if (this.last !== undefined) this.add(now - this.last)
    this.last = now
  }

  mean(): number {
    return this.sum / this.count
  }

  stdDeviation(): number {
    const m = this.mean()
    return Math.sqrt(Math.max(0, this.sumSq / this.count - m * m))
  }

  /** Current phi at `now` (0 before the first heartbeat). */
  phi(now: number): number {
    if (this.last === undefined) return 0
    const mean = this.mean() + this.opts.acceptableHeartbeatPause
    const sd = Math.max(this.stdDeviation(), this.opts.minStdDeviation)
    return phi(now - this.last, mean, sd)
  }

  private add(x: number): void {
    const cap = this.opts.windowSize
    if (this.count === cap) {
      const old = this.samples[this.head]!
      this.sum -= old
      this.sumSq -= old * old
    } else this.count++
    this.samples[this.head] = x
    this.head = (this.head + 1) % cap
    this.sum += x
    this.sumSq += x * x
  }
}
