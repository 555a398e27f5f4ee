import {closeSync, mkdirSync, openSync, writeSync} from 'node:fs'
import {dirname} from 'node:path'

export interface EventRecord {
  /** Wall-clock milliseconds since the epoch. */
  ts: number
  node: string
  type: string
  [field: string]: unknown
}

/**
 * Appends events synchronously with one write(2) per line, so an event is in the file before the
 * process does the thing that might get it SIGKILLed next, and lines from concurrent writers
 * (O_APPEND) never interleave.
 */
export class EventLog {
  private fd: number | undefined

  constructor(
    readonly path: string,
    readonly node: string,
    private readonly clock: () => number = Date.now,
  ) {
    mkdirSync(dirname(path), {recursive: true})
    this.fd = openSync(path, 'a')
  }

  emit(type: string, fields: Record<string, unknown> = {}): EventRecord {
    const record: EventRecord = {ts: this.clock(), node: this.node, type, ...fields}
    if (this.fd !== undefined) writeSync(this.fd, JSON.stringify(record) + '\n')
    return record
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }
}
