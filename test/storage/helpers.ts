import {cpSync, mkdirSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {nodeIo, type StorageIo} from '../../src/storage/index.js'

export const enc = (s: string) => Buffer.from(s)
export const dec = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString())
export const append = (s: string) => ({type: 'append' as const, data: enc(s)})
export const snapshot = (s: string) => ({type: 'snapshot' as const, data: enc(s)})
export const turn = () => new Promise<void>((r) => setImmediate(r))

/** nodeIo with any operation replaced. */
export function io(over: Partial<StorageIo> = {}): StorageIo {
  return {...nodeIo, ...over}
}

/** A gate a test opens by hand, e.g. to hold an fdatasync in flight. */
export function gate(): {wait: Promise<void>; open: () => void} {
  let open!: () => void
  const wait = new Promise<void>((r) => (open = r))
  return {wait, open}
}

/** The bytes of every file in `dir`, by name. */
export function files(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {}
  for (const f of readdirSync(dir).sort()) out[f] = readFileSync(join(dir, f))
  return out
}

/** Copies `dir` to `to` (what a process crash at this instant would leave). */
export function copyDir(dir: string, to: string): void {
  mkdirSync(to, {recursive: true})
  cpSync(dir, to, {recursive: true})
}
