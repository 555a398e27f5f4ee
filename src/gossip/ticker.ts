/**
 * A periodic timer that stops while it has nothing to do and restarts on its old phase.
 *
 * memberlist runs its probe, gossip and push-pull loops on free-running tickers, which keep
 * firing in a node with nobody to talk to. A dtk core asks for no timer it does not need: a loop
 * with nothing to do is parked, and woken when a member that gives it work appears, at the
 * instant its ticks would have fallen on had it kept running. Waking on the old phase keeps a
 * run's timing the same as with a free-running ticker, so parking changes no simulated result.
 */
export class Ticker {
  private from = NaN
  private step = 0

  get parked(): boolean {
    return !Number.isNaN(this.from)
  }

  /** Stops the loop; its last tick was due at `from`, and it ticked every `step` ms. */
  park(from: number, step: number): void {
    this.from = from
    this.step = step
  }

  /**
   * The first tick of the parked schedule after `now`, and the loop is running again. The ticks
   * are added up one step at a time, exactly as a loop re-arming at `tick + step` computes them.
   */
  wake(now: number): number {
    const [, next] = this.around(now)
    this.from = NaN
    return next
  }

  /** The last tick of the parked schedule at or before `now`. */
  lastTick(now: number): number {
    return this.around(now)[0]
  }

  /** Forgets a parked schedule (the loop restarts another way, or never). */
  clear(): void {
    this.from = NaN
  }

  private around(now: number): [number, number] {
    let last = this.from
    if ((now - last) / this.step > 1e6) last += Math.floor((now - last) / this.step - 1) * this.step
    while (last + this.step <= now) last += this.step
    return [last, last + this.step]
  }
}
