/**
 * Lifeguard's local health multiplier ("Local Health Aware Probe", Lifeguard paper, section "Local Health Aware Probe";
 * memberlist awareness.go). A node that misses its own acks and nacks is more likely to be the
 * slow one (CPU starved, paused, lossy NIC) than its peers, so it stretches its probe interval
 * and probe timeout instead of accusing healthy peers. The score rises on a failed probe whose
 * helpers did not nack, and on being accused (a refutation); it falls on every successful probe.
 */
export class Awareness {
  private score = 0

  /** `max` is memberlist's AwarenessMaxMultiplier: the score ranges over [0, max − 1]. */
  constructor(private readonly max: number) {}

  applyDelta(delta: number): void {
    const s = this.score + delta
    this.score = s < 0 ? 0 : s > this.max - 1 ? this.max - 1 : s
  }

  /** 0 is perfectly healthy. */
  health(): number {
    return this.score
  }

  /** `t` stretched by the current multiplier (score + 1): up to ×max. */
  scale(t: number): number {
    return t * (this.score + 1)
  }
}
