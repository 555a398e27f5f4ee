/**
 * Counts the inputs a node dropped before any core saw them, by reason, and reports them as
 * events without letting a flood of hostile packets become a flood of events: the first reject
 * is reported at once, later ones at most once per `windowMs`, each event carrying the counts
 * since the last, and a timer reports the tail of a burst once it is over.
 */

/** Reasons the host itself gives (validators of the cores add their own). */
export type HostRejectReason =
  /** A datagram or stream payload that failed to open with the keyring, or to decode. */
  | 'unopened'
  /** A stream payload that was not sealed where a key is set, or not plain where none is. */
  | 'unsealed'
  /** The host's envelope itself: no sender id, core name, sequence or Lamport clock. */
  | 'envelope'
  /** Addressed to a core this node does not run. */
  | 'no-core'
  /** A client request over the bounds (pending per node or per client). */
  | 'full'
  /** The core threw on a message that passed validation (a bug: counted, and the node lives on). */
  | 'core-error'

export class RejectLog {
  readonly counts: Record<string, number> = {}
  private lastEmit = -Infinity
  private pending: Record<string, number> = {}
  private pendingTotal = 0
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly emit: (fields: Record<string, unknown>) => void,
    private readonly windowMs = 10_000,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  get total(): number {
    let n = 0
    for (const v of Object.values(this.counts)) n += v
    return n
  }

  /** One input dropped for `reason` (from `from`, when known). */
  add(reason: string, from?: string, n = 1): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + n
    this.pending[reason] = (this.pending[reason] ?? 0) + n
    this.pendingTotal += n
    const now = this.clock()
    if (now - this.lastEmit >= this.windowMs) this.flush(reason, from)
    else this.timer ??= setTimeout(() => this.flush(), this.lastEmit + this.windowMs - now).unref()
  }

  /** Reports what was counted since the last report (if anything). */
  flush(reason?: string, from?: string): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    if (this.pendingTotal === 0) return
    this.lastEmit = this.clock()
    const fields: Record<string, unknown> = {rejected: this.pendingTotal, reasons: this.pending}
    if (reason !== undefined) fields.reason = reason
    if (from !== undefined) fields.from = from
    this.emit(fields)
    this.pending = {}
    this.pendingTotal = 0
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }
}
