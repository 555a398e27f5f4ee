/**
 * The clocks a node host hands its cores (`now`), per core by its spec:
 *
 * - `node` (the default): ms since the node's first start, advanced by the monotonic clock within
 *   a life. Small numbers, and never going back across restarts (see identity.ts).
 * - `wall`: wall-clock ms since the epoch, advanced by the monotonic clock within a life. For
 *   cores whose members must share a time base: SWIM's aligned probe ring and the timing of
 *   suspicions from the accuser's instant need every node to agree within milliseconds (one
 *   machine, or NTP; docs/simulator.md, Clocks).
 *
 * Both read `performance.now()`, never `Date.now()`, after the start: a wall clock stepped by NTP
 * in the middle of a life moves no timer.
 */
export type ClockKind = 'node' | 'wall'

export class HostClocks {
  private readonly p0 = performance.now()

  constructor(
    private readonly bootWall: number,
    private readonly origin: number,
  ) {}

  /** Wall-clock ms, advanced monotonically: the `t` of trace records, and the `wall` clock. */
  readonly wall = (): number => this.bootWall + (performance.now() - this.p0)

  /** Ms since the node's first start. */
  readonly node = (): number => this.bootWall - this.origin + (performance.now() - this.p0)

  of(kind: ClockKind): () => number {
    return kind === 'wall' ? this.wall : this.node
  }
}
