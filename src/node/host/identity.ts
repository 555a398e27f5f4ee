import {closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync} from 'node:fs'
import {join} from 'node:path'
import {DtkError} from '../../errors/index.js'

/**
 * `<data-dir>/node.json`: what a node must know of its earlier lives before any core starts.
 *
 * - `starts`: how many times it started before, so `restarts` (handed to cores and written in
 *   traces) and the high half of every message id keep growing across crashes;
 * - `origin`: wall-clock ms of its first start, the origin of its `node` clock (docs/architecture.md,
 *   The node host), so that readings stay small and never go back across restarts;
 * - `lastBoot`: wall-clock ms of the latest start: a wall clock stepped back between two lives
 *   is held at it, so the node's clocks still never go back.
 *
 * Written before anything else of the life (temporary file, fsync, rename, directory fsync), so a
 * crash at any instant leaves either the old count or the new one, and the new one is never
 * reused: a crash between the write and the first send only skips a number.
 */
export interface Identity {
  restarts: number
  origin: number
  /** Wall-clock ms this life counts from (never before the previous life's). */
  bootWall: number
}

interface NodeFile {
  id: string
  starts: number
  origin: number
  lastBoot: number
}

export function beginLife(dataDir: string, id: string, wallNow = Date.now()): Identity {
  const file = join(dataDir, 'node.json')
  let prev: NodeFile | null = null
  if (existsSync(file)) {
    let parsed: unknown
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'))
    } catch (error) {
      throw new DtkError(`${file} is not JSON (${(error as Error).message}); it holds the node's restart count: restore it or remove it to start the count again`)
    }
    const p = parsed as Partial<NodeFile>
    if (typeof p !== 'object' || p === null || typeof p.starts !== 'number' || typeof p.origin !== 'number' || typeof p.lastBoot !== 'number') {
      throw new DtkError(`${file} lacks starts, origin or lastBoot; restore it or remove it to start the count again`)
    }
    if (p.id !== id) throw new DtkError(`${dataDir} belongs to node '${String(p.id)}', not '${id}': give each node its own --data-dir`)
    prev = p as NodeFile
  }
  const bootWall = prev ? Math.max(wallNow, prev.lastBoot) : wallNow
  const next: NodeFile = {id, starts: (prev?.starts ?? 0) + 1, origin: prev?.origin ?? wallNow, lastBoot: bootWall}
  const tmp = `${file}.tmp`
  const fd = openSync(tmp, 'w')
  try {
    writeSync(fd, JSON.stringify(next) + '\n')
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, file)
  const dfd = openSync(dataDir, 'r')
  try {
    fsyncSync(dfd)
  } finally {
    closeSync(dfd)
  }
  return {restarts: prev?.starts ?? 0, origin: next.origin, bootWall}
}
