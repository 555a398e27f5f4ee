import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {dtk, tempDir} from '../helpers/cli.js'
import {jsonl, sharedDir} from './helpers.js'

/** `dtk check` as a user runs it: verdicts, exit codes, one line per file, --json, --timeout, --html. */
const dir = tempDir('check')
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function file(name: string, text: string): string {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}

const good = file('good.jsonl', jsonl(`0 invoke write 1\n1 invoke write 2\n0 ok write 1\n1 ok write 2\n2 invoke read\n2 ok read 1`))
const stale = file('stale.jsonl', jsonl(`0 invoke write 1\n0 ok write 1\n0 invoke write 2\n0 ok write 2\n1 invoke read\n1 ok read 1`))
const malformed = file('bad.jsonl', `${jsonl('0 invoke write 1')}\n{"process":0,"type":"ok","f":"write","value":1\n`)

/**
 * Twenty writes of distinct values, all concurrent, then a read of a value nobody wrote: to say
 * "not linearizable" the search must try every order of the writes (about 20 · 2^19 states), so
 * a short --timeout stops it first.
 */
function hard(): string {
  const n = 20
  const lines: string[] = []
  for (let p = 0; p < n; p++) lines.push(`${p} invoke write ${p}`)
  for (let p = 0; p < n; p++) lines.push(`${p} ok write ${p}`)
  lines.push(`${n} invoke read`, `${n} ok read 99`)
  return file('hard.jsonl', jsonl(lines.join('\n')))
}

describe('dtk check', () => {
  it('a linearizable history: exit 0, the verdict and an order that works', async () => {
    const r = await dtk(['check', good])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^.*good\.jsonl: linearizable \(cas-register, 3 operations, [\d.]+ ms\)\n  One valid order, with the state after each: write 2 ⇒ 2, write 1 ⇒ 1, read → 1 ⇒ 1\.\n$/)
  })

  it('a stale read: exit 1, the read that cannot be placed, why, and the failing window', async () => {
    const r = await dtk(['check', stale])
    expect(r.code, r.stderr).toBe(1)
    const lines = r.stdout.split('\n')
    expect(lines[0]).toMatch(/stale\.jsonl: not linearizable \(cas-register, 3 operations/)
    expect(r.stdout).toContain('read → 1 by process 1 (lines 5–6) cannot be placed')
    expect(r.stdout).toContain('leaves the register holding 2 (after write 2 by process 0, lines 3–4); but it read 1.')
    expect(r.stdout).toContain('Operations that could have produced it: write 1 by process 0 (lines 1–2) ended before it began.')
    expect(r.stdout).toMatch(/Failing window, lines 3–6 \(2 operations\):\n\s+LINES\s+PROCESS\s+OPERATION\n\s+3–4\s+0\s+write 2\n\s+5–6\s+1\s+read → 1\s+<- cannot be placed/)
    expect(r.stdout).toContain('Longest linearizable prefix: 2 of 3 operations')
  })

  it('--json: one document with the verdict, the failure and the window', async () => {
    const r = await dtk(['check', stale, '--json'])
    expect(r.code).toBe(1)
    const j = JSON.parse(r.stdout) as {results: Array<{verdict: string; partitions: Array<{failure: {op: {lines: number[]}; window: unknown[]; explanation: string[]; states: Array<{state: unknown}>}}>}>}
    expect(j.results).toHaveLength(1)
    const f = j.results[0]!.partitions[0]!.failure
    expect(j.results[0]!.verdict).toBe('not linearizable')
    expect(f.op.lines).toEqual([5, 6])
    expect(f.window).toHaveLength(2)
    expect(f.states).toEqual([{state: 2, after: [{process: 0, f: 'write', value: 2, outcome: 'ok', role: 'required', lines: [3, 4]}]}])
    expect(f.explanation).toHaveLength(3)
  })

  it('many files: one line each, in order; the exit code is the worst', async () => {
    const r = await dtk(['check', good, stale, good])
    expect(r.code).toBe(1)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(/good\.jsonl\s+linearizable\s+cas-register, 3 operations/)
    expect(lines[1]).toMatch(/stale\.jsonl\s+not linearizable\s+read → 1 by process 1 \(lines 5–6\) cannot be placed; the state could only be 2$/)
    expect(lines[2]).toMatch(/good\.jsonl\s+linearizable/)
    expect(r.stderr).toContain('3 histories: 2 linearizable, 1 not linearizable')
  })

  it('a malformed line: exit 2, one line on stderr naming the file and the line, nothing on stdout', async () => {
    const r = await dtk(['check', malformed])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^Error: .*bad\.jsonl:2: not a JSON object \(/)
  })

  it('among many files, an unreadable one is reported and the others are still checked (exit 2)', async () => {
    const missing = join(dir, 'nope.jsonl')
    const r = await dtk(['check', good, missing, malformed, stale])
    expect(r.code).toBe(2)
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(2)
    expect(r.stderr).toContain(`Error: ${missing}: no such file`)
    expect(r.stderr).toMatch(/Error: .*bad\.jsonl:2: not a JSON object/)
    const j = JSON.parse((await dtk(['check', good, missing, '--json'])).stdout) as {results: Array<{file: string; error?: string}>}
    expect(j.results[1]).toEqual({file: missing, error: `${missing}: no such file`})
  })

  it('usage errors are exit 2: an unknown model or format, a bad timeout, a model that does not fit', async () => {
    for (const args of [
      ['--model', 'queue'],
      ['--format', 'csv'],
      ['--timeout', 'soon'],
    ]) {
      const r = await dtk(['check', good, ...args])
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stdout).toBe('')
    }
    const cas = file('cas.jsonl', jsonl('0 invoke cas [1,2]\n0 ok cas [1,2]'))
    const r = await dtk(['check', cas, '--model', 'register'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/cas\.jsonl:1: the register model has no operation 'cas'.*use --model cas-register/)
  })

  it('--timeout ends a long search: unknown, exit 3', async () => {
    const r = await dtk(['check', hard(), '--timeout', '200ms', '--json'])
    expect(r.code, r.stderr).toBe(3)
    const j = JSON.parse(r.stdout) as {results: Array<{verdict: string; steps: number}>; summary: {unknown: number}}
    expect(j.results[0]!.verdict).toBe('unknown')
    expect(j.results[0]!.steps).toBeGreaterThan(0)
    expect(j.summary.unknown).toBe(1)
  })

  it('reads a Jepsen log and EDN maps as well as JSONL', async () => {
    const log = file('h.log', 'INFO  jepsen.util - 3\t:invoke\t:write\t3\nINFO  jepsen.util - 3\t:ok\t:write\t3\nINFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - 0\t:ok\t:read\t3\n')
    const edn = file('h.edn', '{:process 3, :type :invoke, :f :write, :value 3}\n{:process 3, :type :ok, :f :write, :value 3}\n{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :ok, :f :read, :value 4}\n')
    const r = await dtk(['check', log, edn, '--json'])
    const j = JSON.parse(r.stdout) as {results: Array<{format: string; verdict: string}>}
    expect(j.results.map((x) => [x.format, x.verdict])).toEqual([
      ['jepsen', 'linearizable'],
      ['edn', 'not linearizable'],
    ])
  })
})

describe('dtk check --html', () => {
  it('writes one self-contained page with the timeline, the operations, the order and the states', async () => {
    const out = join(dir, 'report.html')
    const r = await dtk(['check', good, stale, '--html', out])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`wrote ${out}`)
    const html = readFileSync(out, 'utf8')
    expect(html).toMatch(/^<!doctype html>/)
    // Self-contained: nothing to fetch.
    expect(html).not.toMatch(/https?:\/\//)
    expect(html).not.toMatch(/<link|<img|src=|@import|url\((?!#)/)
    // Both histories, each with its verdict, timeline rows per process, operations and states.
    expect(html).toContain('good.jsonl')
    expect(html.match(/<svg width=/g)).toHaveLength(2)
    expect(html).toContain('write 2 · process 1 · lines 2–4 · ok')
    expect(html).toContain('read → 1 · process 2 · lines 5–6 · ok')
    expect(html).toMatch(/class="plabel"[^>]*>p0</)
    expect(html).toContain('Linearization: 3 operations in order')
    expect(html).toMatch(/<td class="state">2<\/td>.*<td class="state">1<\/td>/s)
    // The failure: blocked operation, window, explanation, the states it could have seen.
    expect(html).toContain('class="op ok blocked"')
    expect(html).toContain('class="op ok window"')
    expect(html).toContain('Longest linearizable prefix: 2 operations, then the blocked one')
    expect(html).toContain('but it read 1.')
    expect(html).toContain('✗ could be: 2')
  })

  it('draws a Jepsen etcd history with its info operations', async () => {
    const out = join(dir, 'etcd.html')
    const log = join(sharedDir(), 'histories', 'jepsen-etcd', 'etcd_000.log')
    const r = await dtk(['check', log, '--html', out])
    expect(r.code).toBe(1)
    const html = readFileSync(out, 'utf8')
    expect(html).not.toMatch(/https?:\/\//)
    expect(html).toContain('class="op unknown')
    expect(html).toContain('info (unknown)')
    expect(html).toContain('Failing window: 18 operations')
  })
})
