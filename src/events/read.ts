import {closeSync, existsSync, openSync, readSync, statSync} from 'node:fs'
import type {EventRecord} from './log.js'

/** Parses a JSONL event file; a torn last line (a node killed mid-write) or a foreign line is skipped. */
function parseLines(text: string): EventRecord[] {
  const out: EventRecord[] = []
  for (const line of text.split('\n')) {
    if (line.length === 0) continue
    try {
      const r = JSON.parse(line) as EventRecord
      if (r && typeof r.ts === 'number' && typeof r.type === 'string') out.push(r)
    } catch {
      // A half-written line from a process killed mid-append: not an event.
    }
  }
  return out
}

function readFrom(path: string, offset: number): {text: string; end: number} {
  if (!existsSync(path)) return {text: '', end: offset}
  const size = statSync(path).size
  if (size <= offset) return {text: '', end: size < offset ? 0 : offset}
  const fd = openSync(path, 'r')
  try {
    const buf = Buffer.allocUnsafe(size - offset)
    const n = readSync(fd, buf, 0, buf.length, offset)
    // Only hand back complete lines; the remainder is read again next time.
    const lastNl = buf.lastIndexOf(0x0a, n - 1)
    if (lastNl < 0) return {text: '', end: offset}
    return {text: buf.subarray(0, lastNl + 1).toString('utf8'), end: offset + lastNl + 1}
  } finally {
    closeSync(fd)
  }
}

/** Stable merge by time: events with equal timestamps keep file order, so one node's sequence is never reordered. */
export function mergeEvents(lists: EventRecord[][]): EventRecord[] {
  const all: Array<{r: EventRecord; i: number}> = []
  let i = 0
  for (const list of lists) for (const r of list) all.push({r, i: i++})
  all.sort((a, b) => a.r.ts - b.r.ts || a.i - b.i)
  return all.map((x) => x.r)
}

export function readEvents(paths: string[]): EventRecord[] {
  return mergeEvents(paths.map((p) => parseLines(readFrom(p, 0).text)))
}

export interface FollowHandle {
  stop(): void
}

/**
 * Tails several JSONL files, delivering new events in time order per poll. Polling (not fs.watch)
 * because it behaves the same on every filesystem and the files are small.
 */
export function followEvents(
  paths: () => string[],
  onEvent: (e: EventRecord) => void,
  opts: {intervalMs?: number; fromStart?: boolean} = {},
): FollowHandle {
  const offsets = new Map<string, number>()
  if (!opts.fromStart) for (const p of paths()) offsets.set(p, existsSync(p) ? statSync(p).size : 0)
  const poll = () => {
    const batches: EventRecord[][] = []
    for (const p of paths()) {
      const {text, end} = readFrom(p, offsets.get(p) ?? 0)
      offsets.set(p, end)
      if (text) batches.push(parseLines(text))
    }
    for (const e of mergeEvents(batches)) onEvent(e)
  }
  poll()
  const timer = setInterval(poll, opts.intervalMs ?? 200)
  return {
    stop() {
      clearInterval(timer)
      poll()
    },
  }
}
