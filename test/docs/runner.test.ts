import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {missingLines, normalise, parsePage, runPage} from '../helpers/doctest.js'
import {processesMentioning, root} from '../helpers/cli.js'

/** The doc-test runner itself: the markup it reads, and that a broken page fails with the page, the block and the output. */
describe('doc-test runner', () => {
  const fixture = (name: string) => join(root, 'test', 'docs', 'fixtures', name)

  it('a deliberately broken command fails the page, naming the page, the block, the command and its output; later blocks do not run; the cluster it started is still torn down', async () => {
    const r = await runPage(fixture('broken.md'))
    expect(r.ok).toBe(false)
    expect(r.blocks.map((b) => [b.line, b.ok])).toEqual([
      [3, true],
      [12, false],
    ])
    expect(r.report).toMatch(/^test\/docs\/fixtures\/broken\.md: the sh block at line 12 failed: `dtk cluster stauts` \(line 3 of the block\) exited 2/)
    expect(r.report).toContain('  | dtk cluster stauts')
    expect(r.report).toContain("  | still hello") // the variable set in the first block
    expect(r.report).toContain("did you mean 'dtk cluster status'?")
    expect(r.blocks[1]!.output).not.toContain('never printed')
    // The cluster the failing block started is torn down all the same.
    expect(r.teardown.some((t) => /^broken: stopped 1 node/.test(t)), JSON.stringify(r.teardown)).toBe(true)
    expect(processesMentioning('dtk-doctest-broken-')).toEqual([])
  })

  it('honours expect-fail, skip, file and unchecked output; checks shown output; tears down the clusters a page started', async () => {
    const r = await runPage(fixture('markup.md'))
    expect(r.report ?? '').toBe('')
    expect(r.blocks.map((b) => b.skipped ?? b.code)).toEqual([2, 'needs a second machine', 0, 0])
    expect(r.blocks[2]!.output).toContain("console.log('hello from', 40 + 2)")
    expect(r.teardown.some((t) => /^fixture: stopped 2 node/.test(t)), JSON.stringify(r.teardown)).toBe(true)
    expect(processesMentioning('dtk-doctest-markup-')).toEqual([])
  })

  it('an output line the command no longer prints fails the block, and says which line', async () => {
    const {writeFileSync, mkdtempSync} = await import('node:fs')
    const {tmpdir} = await import('node:os')
    const page = join(mkdtempSync(join(tmpdir(), 'dtk-test-doc-')), 'rot.md')
    writeFileSync(page, '```sh\necho "n1 alive 0 127.0.0.1:4100"\n```\n\n```\nn1 dead 0 127.0.0.1:4100\n```\n')
    const r = await runPage(page)
    expect(r.ok).toBe(false)
    expect(r.blocks[0]!.missing).toEqual(['n1 dead 0 127.0.0.1:4100'])
    expect(r.report).toMatch(/no longer contains 1 of the lines the page shows \(block at line 5\)/)
  })

  it('matches what stays the same from run to run', () => {
    expect(normalise('n1 (self)  alive    0  -     127.0.0.1:36193  2.6s ago')).toBe(normalise('n2 (self) alive 0 - 127.0.0.1:41109 850ms ago'))
    expect(normalise('12:57:44.712 n2   member.dead member=n3')).toBe(normalise('09:01:02.003 n5 member.dead member=n4'))
    expect(normalise('n1    *a023eedb5296')).toBe(normalise('n1    *43490d8b7f48'))
    expect(normalise('state in /tmp/x/default')).toBe(normalise('state in /home/me/.dtk/default'))
    expect(normalise('n2 alive')).not.toBe(normalise('n2 dead'))
    // A float's repr may carry 15 decimals: still one number, not a hex word.
    expect(normalise('  "latencyMs": 26.665132000000085,')).toBe(normalise('  "latencyMs": 2.1,'))
    expect(normalise('"key":"3fa9c1/k5","value":1')).toBe(normalise('"key":"ab6f8f/k0","value":7'))
    expect(normalise('n1    *123456789012')).toBe(normalise('n1    *43490d8b7f48'))
    expect(normalise('decade 2')).not.toBe(normalise('facade 2'))
    expect(missingLines('a 1\n...\n\nb 2', 'b 7\na 3')).toEqual([])
    expect(() => parsePage('<!-- doctest: skipp -->\n```sh\ntrue\n```\n')).toThrow(/unknown doctest directive 'skipp'/)
  })
})
