import {readFile} from 'node:fs/promises'
import {DtkError} from '../errors/index.js'
import {detectFormat, parseHistory, type Format} from '../check/formats.js'
import {HistoryError, pairOperations, type History} from '../check/history.js'

/**
 * The part of `dtk check` that touches the disk (src/check itself is pure): read a history file, detect or apply its
 * format, parse and pair it. A file that cannot be read or parsed is a usage-level error (exit 2)
 * whose message starts with the file and the line: `h.jsonl:12: "type" must be …`.
 */
export class HistoryFileError extends DtkError {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly line?: number,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${reason}`, 2)
  }
}

export interface LoadedHistory {
  file: string
  format: Format
  history: History
}

export async function loadHistory(file: string, format: Format | 'auto' = 'auto'): Promise<LoadedHistory> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new HistoryFileError(file, code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a history file' : (e as Error).message)
  }
  return parseHistoryText(file, text, format)
}

/** Parses text already in memory, with errors named after `file`. */
export function parseHistoryText(file: string, text: string, format: Format | 'auto' = 'auto'): LoadedHistory {
  const fmt = format === 'auto' ? detectFormat(text) : format
  if (!fmt) {
    const first = text.split('\n').find((l) => l.trim() !== '')
    throw new HistoryFileError(file, first === undefined ? 'the file is empty' : `cannot tell the format from '${clip(first.trim())}': use --format jsonl, jepsen or edn`)
  }
  return inFile(file, () => ({file, format: fmt, history: pairOperations(parseHistory(text, fmt))}))
}

/** Runs `fn`, naming `file` in any HistoryError it throws (e.g. the model refusing a line). */
export function inFile<T>(file: string, fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    if (e instanceof HistoryError) throw new HistoryFileError(file, e.reason, e.line)
    throw e
  }
}

function clip(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + '…' : s
}
