/**
 * Errors that carry the CLI exit code they map to: 2 for a usage error (bad flag, unknown node,
 * a cluster that is not there), 1 for a failure of the thing being done or checked.
 */
export class DtkError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message)
    this.name = new.target.name
  }
}

export class UsageError extends DtkError {
  constructor(message: string) {
    super(message, 2)
  }
}
