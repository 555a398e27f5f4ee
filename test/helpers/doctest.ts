import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, chmodSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {basename, join, relative} from 'node:path'
import {root, runJs} from './cli.js'

/**
 * The doc-test runner: every `sh` block of a page in docs/ runs, in order, in one bash session per
 * page (so a variable set in one block is seen in the next), with `dtk` on PATH (the built
 * bin/run.js), a fresh DTK_STATE_DIR, NO_COLOR=1 and TMPDIR inside the page's own scratch dir.
 * A block fails when one of its commands exits non-zero (unless it is marked `expect-fail`) or
 * when its output no longer contains the lines the page shows after it. Whatever happens, every
 * cluster the page started is torn down. The markup is documented in docs/contributing-docs.md.
 */

export interface Directives {
  skip?: string
  expectFail?: {code?: number}
  timeoutMs?: number
  file?: string
  /** On an output block: shown for illustration, not checked (with the reason). */
  unchecked?: string
}

export interface Block {
  /** 1-based line of the opening fence. */
  line: number
  lang: string
  body: string
  directives: Directives
  /** For a `sh` block: the output block that follows it. */
  output?: Block
}

const OUTPUT_LANGS = new Set(['', 'text', 'console', 'output'])
const DIRECTIVE = /^<!--\s*doctest:\s*(.*?)\s*-->\s*$/

export function parseDirectives(text: string, line: number, into: Directives): void {
  // `;` separates directives, except inside a reason's parentheses.
  for (const part of text.split(/;(?![^(]*\))/).map((p) => p.trim()).filter(Boolean)) {
    let m: RegExpExecArray | null
    if ((m = /^skip\s*\((.+)\)$/.exec(part))) into.skip = m[1]!
    else if ((m = /^expect-fail(?:\s+(\d+))?$/.exec(part))) into.expectFail = m[1] ? {code: Number(m[1])} : {}
    else if ((m = /^timeout\s+(\d+)(ms|s)$/.exec(part))) into.timeoutMs = Number(m[1]) * (m[2] === 's' ? 1000 : 1)
    else if ((m = /^file\s+([\w./-]+)$/.exec(part))) into.file = m[1]!
    else if ((m = /^output unchecked\s*\((.+)\)$/.exec(part))) into.unchecked = m[1]!
    else throw new Error(`line ${line}: unknown doctest directive '${part}' (see docs/contributing-docs.md)`)
  }
}

/** The fenced blocks of a page, each with the directives written just before it, outputs attached to their `sh` block. */
export function parsePage(markdown: string): Block[] {
  const lines = markdown.split('\n')
  const blocks: Block[] = []
  let pending: Directives = {}
  let lastSh: Block | undefined
  let gapSinceSh = true
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!
    const d = DIRECTIVE.exec(text.trim())
    if (d) {
      parseDirectives(d[1]!, i + 1, pending)
      continue
    }
    const open = /^(`{3,}|~{3,})\s*([\w-]*)/.exec(text)
    if (!open) {
      if (text.trim() !== '') gapSinceSh = true
      continue
    }
    const fence = open[1]!
    const body: string[] = []
    let j = i + 1
    while (j < lines.length && !(lines[j]!.startsWith(fence[0]!.repeat(fence.length)) && lines[j]!.trim().replace(new RegExp(`^\\${fence[0]}+`), '') === '')) body.push(lines[j++]!)
    const block: Block = {line: i + 1, lang: open[2]!.toLowerCase(), body: body.join('\n'), directives: pending}
    pending = {}
    if (block.lang === 'sh' || block.lang === 'bash') {
      blocks.push(block)
      lastSh = block
      gapSinceSh = false
    } else if (lastSh && !gapSinceSh && OUTPUT_LANGS.has(block.lang) && !lastSh.output) {
      lastSh.output = block
      gapSinceSh = true
    } else {
      blocks.push(block)
      gapSinceSh = true
    }
    i = j
  }
  return blocks
}

/**
 * What stays the same from run to run: colour codes go, runs of white space are one space, and every
 * absolute path, number (ports, pids, times, durations with their unit, ids' digits, however many
 * decimals) and hex word of 6 or more characters with a digit and a letter (key fingerprints,
 * random key prefixes) matches any other.
 */
export function normalise(line: string): string {
  return line
    .replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '')
    .replace(/(^|[\s'"(=])\/[^\s'"),]*/g, '$1<path>')
    .replace(/\b(?=[0-9a-f]*\d)(?=[0-9]*[a-f])[0-9a-f]{6,}\b/g, '#')
    .replace(/\d+(?:[.:,]\d+)*(?:ms|s|m|h|x|%|k|M|G|B|KiB|MiB|GiB)?/g, '#')
    .replace(/#+/g, '#')
    .replace(/\s+/g, ' ')
    .trim()
}

/** Expected lines (normalised) that no line of the actual output matches. */
export function missingLines(expected: string, actual: string): string[] {
  const have = new Set(actual.split('\n').map(normalise))
  return expected
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^\s*(\.\.\.|…)\s*$/.test(l))
    .filter((l) => !have.has(normalise(l)))
}

export interface BlockResult {
  line: number
  /** Wall time of the block. */
  ms?: number
  ok: boolean
  skipped?: string
  code?: number
  /** The failing command and its line in the block. */
  failed?: string
  output: string
  missing?: string[]
  problem?: string
}

export interface PageResult {
  page: string
  ok: boolean
  blocks: BlockResult[]
  /** The first failure, as the report prints it: page, block, command, output. */
  report?: string
  teardown: string[]
}

const DONE = '__DOCTEST_DONE__'

class Session {
  private readonly child: ChildProcess
  private buffer = ''
  private waiters: Array<(line: string) => void> = []
  exited = false

  constructor(cwd: string, env: NodeJS.ProcessEnv) {
    this.child = spawn('bash', ['--noprofile', '--norc'], {cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true})
    this.child.stdout!.on('data', (d: Buffer) => {
      this.buffer += d.toString()
      let nl: number
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl)
        this.buffer = this.buffer.slice(nl + 1)
        this.waiters.shift()?.(line)
      }
    })
    this.child.stderr!.resume()
    this.child.on('close', () => {
      this.exited = true
      for (const w of this.waiters.splice(0)) w(`${DONE} shell-exited`)
    })
    // A failing command ends its block (like `set -e`) without ending the session; the command and its line are kept.
    this.send(
      [
        `__doctest_block() { trap '__rc=$?; printf "%s\\t%s\\n" "$LINENO" "$BASH_COMMAND" > "$2"; trap - ERR; return $__rc' ERR; . "$1"; __rc=$?; trap - ERR; return $__rc; }`,
        '',
      ].join('\n'),
    )
  }

  private send(text: string): void {
    this.child.stdin!.write(text)
  }

  /** Runs a script file in the session; resolves with its exit status, or 'timeout'. */
  run(script: string, out: string, failFile: string, stateFile: string, timeoutMs: number): Promise<number | 'timeout' | 'exited'> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), timeoutMs)
      this.waiters.push((line) => {
        clearTimeout(timer)
        const m = new RegExp(`^${DONE} (\\d+|shell-exited)$`).exec(line.trim())
        resolve(!m || m[1] === 'shell-exited' ? 'exited' : Number(m[1]))
      })
      this.send(`__doctest_block '${script}' '${failFile}' > '${out}' 2>&1 < /dev/null; __s=$?; printf '%s' "$DTK_STATE_DIR" > '${stateFile}'; echo "${DONE} $__s"\n`)
    })
  }

  kill(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL')
    } catch {
      // gone
    }
  }
}

/** Processes whose command line mentions `marker`, or whose working directory is under it (`cmd &` in a block). */
function processesMentioning(marker: string): number[] {
  const found = new Set<number>()
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(marker) || readlinkSync(`/proc/${e}/cwd`).startsWith(marker)) found.add(Number(e))
    } catch {
      // gone, or not ours to read
    }
  }
  return [...found]
}

/** Stops every cluster under each state dir (dtk cluster down), then kills anything still mentioning the page's dirs. */
function teardown(stateDirs: string[], markers: string[]): string[] {
  const done: string[] = []
  for (const dir of new Set(stateDirs)) {
    if (!existsSync(dir)) continue
    let names: string[] = []
    try {
      names = readdirSync(dir).filter((n) => existsSync(join(dir, n, 'cluster.json')))
    } catch {
      continue
    }
    for (const name of names) {
      const r = spawnSync(process.execPath, [runJs, 'cluster', 'down', '--name', name, '--state-dir', dir, '--grace', '1s'], {encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}, timeout: 60_000})
      if (r.status === 0 && /stopped [1-9]/.test(r.stdout)) done.push(`${name}: ${r.stdout.trim()}`)
    }
  }
  for (const marker of markers) {
    for (const pid of processesMentioning(marker)) {
      try {
        process.kill(pid, 'SIGKILL')
        done.push(`killed pid ${pid}`)
      } catch {
        // gone
      }
    }
  }
  return done
}

function indent(text: string, prefix = '  | '): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => prefix + l)
    .join('\n')
}

/** Runs one page; never throws for a failing block (the result says), always tears down. */
export async function runPage(file: string, opts: {defaultTimeoutMs?: number; pageTimeoutMs?: number} = {}): Promise<PageResult> {
  // A page has a budget of its own, so a hung block still leaves time to tear down before the test's timeout.
  const deadline = Date.now() + (opts.pageTimeoutMs ?? 360_000)
  const page = relative(root, file)
  const blocks = parsePage(readFileSync(file, 'utf8'))
  const base = mkdtempSync(join(tmpdir(), `dtk-doctest-${basename(file, '.md')}-`))
  const work = join(base, 'work')
  const bin = join(base, 'bin')
  const state = join(base, 'state')
  const tmp = join(base, 'tmp')
  const io = join(base, 'io')
  const home = join(base, 'home')
  for (const d of [work, bin, state, tmp, io, home]) mkdirSync(d)
  // The scratch dir stands in for the clone's root: examples import ./src/… and run npx tsx as a reader would.
  for (const link of ['src', 'dist', 'bin', 'node_modules', 'package.json', 'tsconfig.json']) symlinkSync(join(root, link), join(work, link))
  // Pages refer to the references beside the clone as ../shared, as a reader in the clone would.
  const shared = process.env.DTK_SHARED_DIR ?? join(root, '..', 'shared')
  if (existsSync(shared)) symlinkSync(shared, join(base, 'shared'))
  writeFileSync(join(bin, 'dtk'), `#!/bin/sh\nexec "${process.execPath}" "${runJs}" "$@"\n`)
  chmodSync(join(bin, 'dtk'), 0o755)
  const env: NodeJS.ProcessEnv = {...process.env, PATH: `${bin}:${process.env.PATH}`, DTK_STATE_DIR: state, NO_COLOR: '1', TMPDIR: tmp, HOME: home, npm_config_cache: join(process.env.HOME ?? tmp, '.npm')}
  delete env.DTK_CLUSTER
  delete env.DTK_SECRET
  delete env.FORCE_COLOR
  const session = new Session(work, env)
  const results: BlockResult[] = []
  const stateDirs = [state, join(work, '.dtk')]
  let report: string | undefined
  let down: string[] = []
  try {
    for (const [i, block] of blocks.entries()) {
      if (block.directives.file) {
        writeFileSync(join(work, block.directives.file), block.body + '\n')
        continue
      }
      if (block.lang !== 'sh' && block.lang !== 'bash') continue
      if (block.directives.skip) {
        results.push({line: block.line, ok: true, skipped: block.directives.skip, output: ''})
        continue
      }
      const script = join(io, `block-${i}.sh`)
      const out = join(io, `block-${i}.out`)
      const failFile = join(io, `block-${i}.failed`)
      const stateFile = join(io, `block-${i}.state`)
      writeFileSync(script, block.body + '\n')
      const t0 = Date.now()
      const blockTimeout = Math.max(1000, Math.min(block.directives.timeoutMs ?? opts.defaultTimeoutMs ?? 120_000, deadline - Date.now()))
      const status = await session.run(script, out, failFile, stateFile, blockTimeout)
      const output = existsSync(out) ? readFileSync(out, 'utf8') : ''
      if (existsSync(stateFile)) {
        const sd = readFileSync(stateFile, 'utf8').trim()
        if (sd) stateDirs.push(sd.startsWith('/') ? sd : join(work, sd))
      }
      const res: BlockResult = {line: block.line, ok: true, output, ms: Date.now() - t0}
      if (typeof status === 'number') res.code = status
      const failedAt = existsSync(failFile) ? readFileSync(failFile, 'utf8').trim().split('\t') : undefined
      if (failedAt && failedAt[1] !== '. "$1"') res.failed = `\`${failedAt[1]}\` (line ${failedAt[0]} of the block)`
      const expect = block.directives.expectFail
      if (status === 'timeout') res.problem = `did not finish within ${Math.round(blockTimeout / 1000)} s${blockTimeout < (block.directives.timeoutMs ?? opts.defaultTimeoutMs ?? 120_000) ? ' (the rest of the page\'s budget)' : ''}`
      else if (status === 'exited') res.problem = 'ended the shell session (a block must not `exit`)'
      else if (expect && status === 0) res.problem = 'was expected to fail (doctest: expect-fail) but every command succeeded'
      else if (expect?.code !== undefined && status !== expect.code) res.problem = `was expected to fail with exit code ${expect.code}, but exited ${status}`
      else if (!expect && status !== 0) res.problem = `failed: ${res.failed ?? 'the last command'} exited ${status}`
      if (!res.problem && block.output && !block.output.directives.unchecked) {
        const missing = missingLines(block.output.body, output)
        if (missing.length > 0) {
          res.missing = missing
          res.problem = `printed output that no longer contains ${missing.length} of the lines the page shows (block at line ${block.output.line})`
        }
      }
      res.ok = !res.problem
      results.push(res)
      if (!res.ok) {
        report = [
          `${page}: the sh block at line ${block.line} ${res.problem}`,
          '--- block ---',
          indent(block.body),
          ...(res.missing ? ['--- lines the page shows that the output lacks ---', indent(res.missing.join('\n'))] : []),
          '--- output ---',
          indent(output || '(none)'),
        ].join('\n')
        break // later blocks build on this one
      }
    }
  } finally {
    session.kill()
    down = teardown(stateDirs, [base])
    rmSync(base, {recursive: true, force: true})
  }
  return {page, ok: report === undefined, blocks: results, report, teardown: down}
}

/** Every page under docs/, found anew on each run, so a new page is tested without being listed. */
export function docPages(dir = join(root, 'docs')): string[] {
  const out: string[] = []
  for (const e of readdirSync(dir, {withFileTypes: true})) {
    const p = join(dir, e.name)
    if (e.isDirectory()) out.push(...docPages(p))
    else if (e.name.endsWith('.md')) out.push(p)
  }
  return out.sort()
}
