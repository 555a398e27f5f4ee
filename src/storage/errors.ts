import {DtkError} from '../errors/index.js'

/**
 * A log that cannot be recovered without losing records that may have been acknowledged: damage
 * that is not a torn tail (docs/storage.md, "Recovery"). `file` and `offset` name the first bad
 * byte; nothing is truncated or deleted when this is thrown.
 */
export class CorruptLogError extends DtkError {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(
      `corrupt log ${file} at byte ${offset}: ${reason}. Refusing to open it: skipping the damage would silently drop ` +
        'every record after it. Restore the file from a replica or a backup, or move the log aside to start empty.',
    )
  }
}

/**
 * A write that failed. `mayHaveHappened` says which side of Jepsen's fail/info line it is on:
 * false when its records were never handed to the kernel (they can never reappear), true when
 * a write or sync was attempted and failed, so the records may or may not be found on reopen.
 * After the first failure the log refuses all writes (an fsync error is never retried: after a
 * failed fsync the kernel may have dropped the dirty pages, PostgreSQL's "fsyncgate").
 */
export class LogFailedError extends DtkError {
  constructor(
    message: string,
    readonly mayHaveHappened: boolean,
    cause?: unknown,
  ) {
    super(message)
    if (cause !== undefined) this.cause = cause
  }
}

/**
 * A `persist` refused because too many bytes already wait for the disk (`maxPendingBytes`). The
 * records were not written and never will be; the log itself is fine, and a later call may pass.
 */
export class LogBusyError extends DtkError {
  readonly mayHaveHappened = false
}
