import fs from 'node:fs'
import type {Reader} from './scan.js'

/**
 * The file operations the durable log uses, all asynchronous (libuv's thread pool), so a slow
 * fdatasync never stalls the event loop. Tests pass their own to count syncs, slow them down,
 * fail them, or watch reads.
 */
export interface StorageIo {
  /** `mkdir -p`; resolves to the first directory it created, or undefined when all existed. */
  mkdir(path: string): Promise<string | undefined>
  readdir(path: string): Promise<string[]>
  open(path: string, flags: string): Promise<number>
  size(fd: number): Promise<number>
  /** Reads up to `len` bytes at `pos` into a new buffer (shorter at end of file). */
  read(fd: number, len: number, pos: number): Promise<Buffer>
  /** Writes all of `buf` at `pos`. */
  write(fd: number, buf: Buffer, pos: number): Promise<void>
  fdatasync(fd: number): Promise<void>
  /** fsync, used on directories. */
  fsync(fd: number): Promise<void>
  truncate(fd: number, len: number): Promise<void>
  unlink(path: string): Promise<void>
  close(fd: number): Promise<void>
}

const cb =
  <T>(resolve: (v: T) => void, reject: (e: unknown) => void) =>
  (err: NodeJS.ErrnoException | null, v?: T) =>
    err ? reject(err) : resolve(v as T)

export const nodeIo: StorageIo = {
  mkdir: (path) => new Promise((res, rej) => fs.mkdir(path, {recursive: true}, cb(res, rej))),
  readdir: (path) => new Promise((res, rej) => fs.readdir(path, cb(res, rej))),
  open: (path, flags) => new Promise((res, rej) => fs.open(path, flags, cb(res, rej))),
  size: (fd) => new Promise((res, rej) => fs.fstat(fd, (err, st) => (err ? rej(err) : res(st.size)))),
  read: (fd, len, pos) =>
    new Promise((res, rej) => {
      const buf = Buffer.allocUnsafe(len)
      fs.read(fd, buf, 0, len, pos, (err, n) => (err ? rej(err) : res(n === len ? buf : buf.subarray(0, n))))
    }),
  write: (fd, buf, pos) =>
    new Promise((res, rej) => {
      const step = (off: number) =>
        fs.write(fd, buf, off, buf.length - off, pos + off, (err, n) => {
          if (err) rej(err)
          else if (off + n < buf.length) step(off + n)
          else res()
        })
      step(0)
    }),
  fdatasync: (fd) => new Promise((res, rej) => fs.fdatasync(fd, cb(res, rej))),
  fsync: (fd) => new Promise((res, rej) => fs.fsync(fd, cb(res, rej))),
  truncate: (fd, len) => new Promise((res, rej) => fs.ftruncate(fd, len, cb(res, rej))),
  unlink: (path) => new Promise((res, rej) => fs.unlink(path, cb(res, rej))),
  close: (fd) => new Promise((res, rej) => fs.close(fd, cb(res, rej))),
}

/** Runs a Reader over asynchronous reads of `fd`. */
export async function runAsync<T>(reader: Reader<T>, io: StorageIo, fd: number): Promise<T> {
  let step = reader.next()
  while (!step.done) step = reader.next(await io.read(fd, step.value.len, step.value.pos))
  return step.value
}

/** Runs a Reader over synchronous reads of `fd`. */
export function runSync<T>(reader: Reader<T>, fd: number): T {
  let step = reader.next()
  while (!step.done) {
    const {pos, len} = step.value
    const buf = Buffer.allocUnsafe(len)
    const n = fs.readSync(fd, buf, 0, len, pos)
    step = reader.next(n === len ? buf : buf.subarray(0, n))
  }
  return step.value
}
