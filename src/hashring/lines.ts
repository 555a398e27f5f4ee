import {DtkError} from '../errors/index.js'
import type {Placement} from './placement.js'

/**
 * The byte-level heart of `dtk ring lookup`'s stream, with no I/O of its own: input chunks in,
 * output buffers out. Each line of input is a key (a trailing `\r` is dropped, empty lines are
 * skipped); each key becomes `key<TAB>node[,node…]\n`, or with `json` one JSON object a line:
 * `{"key":"user:1","node":"b","nodes":["b","c"]}`. Keys are hashed where they lie in the input
 * chunk and copied to the output without ever becoming strings (bounded loads excepted: it
 * remembers keys by string).
 */
export interface LookupLinesOptions {
  replicas: number
  json: boolean
  /** A line longer than this is refused (default 1 MiB): input must not grow memory unboundedly. */
  maxLine?: number
}

const OUT_CHUNK = 256 * 1024
const TAB = 9
const NL = 10
const COMMA = 44

export class LookupLines {
  /** Keys looked up so far. */
  lines = 0
  private carry: Buffer | null = null
  private out: Buffer = Buffer.allocUnsafe(OUT_CHUNK)
  private pos = 0
  private ready: Buffer[] = []
  private readonly names: Buffer[]
  private readonly jsonNames: Buffer[]
  /** The longest output a line adds beyond its key. */
  private readonly tail: number
  private readonly idx: number[] = []
  private readonly maxLine: number
  /** One node per key, tab-separated: the common case, with a loop of its own. */
  private readonly fast: boolean

  constructor(
    private readonly p: Placement,
    private readonly opts: LookupLinesOptions,
  ) {
    p.checkReplicas(opts.replicas)
    this.names = p.slots.map((id) => Buffer.from(id ?? ''))
    this.jsonNames = p.slots.map((id) => Buffer.from(JSON.stringify(id ?? '')))
    const longest = Math.max(...this.jsonNames.map((b) => b.length))
    this.tail = 64 + 2 * opts.replicas * (longest + 1)
    this.maxLine = opts.maxLine ?? 1024 * 1024
    this.fast = opts.replicas === 1 && !opts.json
  }

  /** `line` for one replica and tab-separated output, inlined; returns where the last line ended. */
  private plainLines(buf: Buffer): number {
    const p = this.p
    const names = this.names
    let out = this.out
    let pos = this.pos
    let s = 0
    let lines = 0
    for (;;) {
      const nl = buf.indexOf(NL, s)
      if (nl < 0) break
      let e = nl
      if (e > s && buf[e - 1] === 13) e--
      if (e > s) {
        lines++
        const name = names[p.lookupIndexBytes(buf, s, e)]!
        if (pos + (e - s) + this.tail > out.length) {
          this.pos = pos
          this.room(e - s + this.tail)
          out = this.out
          pos = this.pos
        }
        if (e - s > 48) pos += buf.copy(out, pos, s, e)
        else for (let i = s; i < e; i++) out[pos++] = buf[i]!
        out[pos++] = TAB
        for (let i = 0; i < name.length; i++) out[pos++] = name[i]!
        out[pos++] = NL
      }
      s = nl + 1
    }
    this.pos = pos
    this.lines += lines
    return s
  }

  /** Looks up every complete line of `chunk` (with what was left of the previous one). */
  push(chunk: Buffer): Buffer[] {
    let buf = chunk
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk])
      this.carry = null
    }
    let s = 0
    if (this.fast) s = this.plainLines(buf)
    else {
      for (;;) {
        const nl = buf.indexOf(NL, s)
        if (nl < 0) break
        this.line(buf, s, nl)
        s = nl + 1
      }
    }
    if (s < buf.length) {
      if (buf.length - s > this.maxLine) throw new DtkError(`line ${this.lines + 1} is longer than ${this.maxLine} bytes: is this a file of keys, one per line?`, 2)
      this.carry = Buffer.from(buf.subarray(s))
    }
    return this.take()
  }

  /** The last line, if the input did not end with a newline. */
  end(): Buffer[] {
    if (this.carry) {
      this.line(this.carry, 0, this.carry.length)
      this.carry = null
    }
    return this.take()
  }

  private take(): Buffer[] {
    if (this.pos > 0) {
      this.ready.push(this.out.subarray(0, this.pos))
      this.out = Buffer.allocUnsafe(OUT_CHUNK)
      this.pos = 0
    }
    const r = this.ready
    this.ready = []
    return r
  }

  private room(need: number): void {
    if (this.pos + need <= this.out.length) return
    if (this.pos > 0) this.ready.push(this.out.subarray(0, this.pos))
    this.out = Buffer.allocUnsafe(Math.max(OUT_CHUNK, need))
    this.pos = 0
  }

  private line(buf: Buffer, s: number, e: number): void {
    if (e > s && buf[e - 1] === 13) e--
    if (e === s) return
    this.lines++
    const r = this.opts.replicas
    const idx = this.idx
    if (r === 1) idx[0] = this.p.lookupIndexBytes(buf, s, e)
    else this.p.lookupNIndicesBytes(buf, s, e, r, idx)
    if (this.opts.json) return this.jsonLine(buf, s, e)
    this.room(e - s + this.tail)
    const out = this.out
    let pos = copy(buf, s, e, out, this.pos)
    out[pos++] = TAB
    for (let j = 0; j < r; j++) {
      if (j > 0) out[pos++] = COMMA
      const name = this.names[idx[j]!]!
      pos = copy(name, 0, name.length, out, pos)
    }
    out[pos++] = NL
    this.pos = pos
  }

  private jsonLine(buf: Buffer, s: number, e: number): void {
    const r = this.opts.replicas
    this.room(6 * (e - s) + 16 + this.tail)
    const out = this.out
    let pos = this.pos
    pos += out.write('{"key":', pos, 'latin1')
    if (plainJson(buf, s, e)) {
      out[pos++] = 34
      pos = copy(buf, s, e, out, pos)
      out[pos++] = 34
    } else {
      pos += out.write(JSON.stringify(buf.toString('utf8', s, e)), pos, 'utf8')
    }
    pos += out.write(',"node":', pos, 'latin1')
    const first = this.jsonNames[this.idx[0]!]!
    pos = copy(first, 0, first.length, out, pos)
    pos += out.write(',"nodes":[', pos, 'latin1')
    for (let j = 0; j < r; j++) {
      if (j > 0) out[pos++] = COMMA
      const name = this.jsonNames[this.idx[j]!]!
      pos = copy(name, 0, name.length, out, pos)
    }
    out[pos++] = 93 // ]
    out[pos++] = 125 // }
    out[pos++] = NL
    this.pos = pos
  }
}

/** Copies src[s, e) to dst at pos; a loop beats a native call for the short strings keys are. */
function copy(src: Uint8Array, s: number, e: number, dst: Buffer, pos: number): number {
  if (e - s > 48) return pos + (src as Buffer).copy(dst, pos, s, e)
  for (let i = s; i < e; i++) dst[pos++] = src[i]!
  return pos
}

/** Printable ASCII without `"` or `\`: the bytes can go into a JSON string as they are. */
function plainJson(b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const c = b[i]!
    if (c < 0x20 || c > 0x7e || c === 34 || c === 92) return false
  }
  return true
}
