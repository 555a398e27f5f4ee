import type {Value} from './values.js'

/**
 * A small reader for EDN (https://github.com/edn-format/edn), the notation of Jepsen's histories:
 * nil, booleans, integers (with an optional N), floats (with an optional M), strings, characters,
 * keywords, symbols, lists, vectors, maps and sets; `;` comments, commas as whitespace, `#_`
 * discards the next form and any other `#tag` is read through (the tagged form's value is kept).
 * Enough for `{:process 2, :type :ok, :f :read, :value 3}` and `#jepsen.history.Op{…}`.
 */
export class EdnError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message)
  }
}

/** What the reader returns; a symbol (`foo`) is read as the string of its name. */
export type Edn = Value

const DELIMS = new Set(['(', ')', '[', ']', '{', '}', '"', ';'])

export class EdnReader {
  private pos = 0
  /** 1-based line of `pos`. */
  line = 1

  constructor(
    private readonly text: string,
    firstLine = 1,
  ) {
    this.line = firstLine
  }

  /** Skips whitespace, commas and comments; true when a form follows. */
  more(): boolean {
    this.skip()
    return this.pos < this.text.length
  }

  /** Peeks at the next non-blank character. */
  peek(): string | undefined {
    this.skip()
    return this.text[this.pos]
  }

  /** Consumes one expected character (after blanks). */
  expect(ch: string): void {
    this.skip()
    if (this.text[this.pos] !== ch) throw new EdnError(`expected '${ch}'`, this.line)
    this.pos++
  }

  read(): Edn {
    this.skip()
    const t = this.text
    if (this.pos >= t.length) throw new EdnError('unexpected end of input', this.line)
    const c = t[this.pos]!
    switch (c) {
      case '(':
      case '[':
        this.pos++
        return this.readSeq(c === '(' ? ')' : ']')
      case '{': {
        this.pos++
        const items = this.readSeq('}')
        if (items.length % 2 !== 0) throw new EdnError('a map needs an even number of forms', this.line)
        const map: Array<[Value, Value]> = []
        for (let i = 0; i < items.length; i += 2) map.push([items[i] as Value, items[i + 1] as Value])
        return {map}
      }
      case ')':
      case ']':
      case '}':
        throw new EdnError(`unexpected '${c}'`, this.line)
      case '"':
        return this.readString()
      case '#':
        return this.readDispatch()
      case '\\':
        return this.readChar()
    }
    return this.readAtom()
  }

  private skip(): void {
    const t = this.text
    while (this.pos < t.length) {
      const c = t[this.pos]!
      if (c === '\n') {
        this.line++
        this.pos++
      } else if (c === ' ' || c === '\t' || c === '\r' || c === ',' || c === '\f') {
        this.pos++
      } else if (c === ';') {
        while (this.pos < t.length && t[this.pos] !== '\n') this.pos++
      } else break
    }
  }

  private readSeq(close: string): Edn[] {
    const out: Edn[] = []
    const start = this.line
    for (;;) {
      this.skip()
      if (this.pos >= this.text.length) throw new EdnError(`'${close === ')' ? '(' : close === ']' ? '[' : '{'}' opened on line ${start} is never closed`, this.line)
      if (this.text[this.pos] === close) {
        this.pos++
        return out
      }
      if (this.discard()) continue
      out.push(this.read())
    }
  }

  /** `#_form`: read and drop. True when something was discarded. */
  private discard(): boolean {
    if (this.text.startsWith('#_', this.pos)) {
      this.pos += 2
      this.read()
      return true
    }
    return false
  }

  private readDispatch(): Edn {
    const t = this.text
    const next = t[this.pos + 1]
    if (next === '{') {
      this.pos += 2
      return {set: this.readSeq('}') as Value[]}
    }
    if (next === '_') {
      this.discard()
      return this.read()
    }
    // #tag form: keep the form (#inst "…" is its string, #jepsen.history.Op{…} its map).
    this.pos++
    const tag = this.token()
    if (tag === '') throw new EdnError("'#' must be followed by a tag, '{' or '_'", this.line)
    return this.read()
  }

  private readString(): string {
    const t = this.text
    let i = this.pos + 1
    let out = ''
    const start = this.line
    while (i < t.length && t[i] !== '"') {
      const c = t[i]!
      if (c === '\\') {
        const e = t[i + 1]
        const map: Record<string, string> = {n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', b: '\b', f: '\f'}
        if (e === 'u') {
          out += String.fromCharCode(parseInt(t.slice(i + 2, i + 6), 16))
          i += 6
          continue
        }
        if (e === undefined || !(e in map)) throw new EdnError(`bad escape '\\${e ?? ''}' in a string`, this.line)
        out += map[e]
        i += 2
        continue
      }
      if (c === '\n') this.line++
      out += c
      i++
    }
    if (i >= t.length) throw new EdnError(`string opened on line ${start} is never closed`, this.line)
    this.pos = i + 1
    return out
  }

  private readChar(): string {
    this.pos++
    const tok = this.token()
    const named: Record<string, string> = {newline: '\n', space: ' ', tab: '\t', return: '\r'}
    if (tok in named) return named[tok]!
    if (tok.length === 0) {
      // A delimiter as a character: \( \[ …
      const c = this.text[this.pos]
      if (c === undefined) throw new EdnError('unexpected end of input after \\', this.line)
      this.pos++
      return c
    }
    return tok
  }

  private token(): string {
    const t = this.text
    const start = this.pos
    while (this.pos < t.length) {
      const c = t[this.pos]!
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === ',' || DELIMS.has(c)) break
      this.pos++
    }
    return t.slice(start, this.pos)
  }

  private readAtom(): Edn {
    const tok = this.token()
    if (tok === '') throw new EdnError(`unexpected '${this.text[this.pos]}'`, this.line)
    if (tok === 'nil') return null
    if (tok === 'true') return true
    if (tok === 'false') return false
    if (tok[0] === ':') {
      if (tok.length === 1) throw new EdnError("a keyword needs a name after ':'", this.line)
      return {kw: tok.slice(1)}
    }
    if (/^[+-]?\d/.test(tok)) {
      if (/^[+-]?\d+N?$/.test(tok)) {
        const digits = tok.endsWith('N') ? tok.slice(0, -1) : tok
        const n = Number(digits)
        return Number.isSafeInteger(n) ? n : BigInt(digits)
      }
      if (/^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?M?$/.test(tok)) return Number(tok.endsWith('M') ? tok.slice(0, -1) : tok)
      if (/^[+-]?\d+\/\d+$/.test(tok)) {
        const [a, b] = tok.split('/')
        return Number(a) / Number(b)
      }
      throw new EdnError(`'${tok}' is not a number`, this.line)
    }
    return tok
  }
}

/** One whole EDN value from a string (used for the value field of a Jepsen log line). */
export function readEdn(text: string, line = 1): Edn {
  const r = new EdnReader(text, line)
  const v = r.read()
  if (r.more()) throw new EdnError(`unexpected text after the value: '${text.trim()}'`, r.line)
  return v
}
