import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {dtk, root} from '../helpers/cli.js'

type Manifest = {commands: Record<string, {description?: string; summary?: string; examples?: string[]; flags: Record<string, unknown>; pluginName: string}>}

describe('every command is documented for people and scripts', () => {
  it('has a description, at least two examples and --json', () => {
    // Read here, not while collecting: a missing manifest fails this test, not the file.
    const manifest = JSON.parse(readFileSync(join(root, 'oclif.manifest.json'), 'utf8')) as Manifest
    const own = Object.entries(manifest.commands).filter(([, c]) => c.pluginName === 'dtk-toolkit')
    expect(own.length).toBeGreaterThan(10)
    for (const [id, c] of own) {
      expect(c.description ?? c.summary, id).toBeTruthy()
      expect(c.examples?.length ?? 0, `${id} examples`).toBeGreaterThanOrEqual(2)
      expect(Object.keys(c.flags), `${id} --json`).toContain('json')
    }
  })

  it('prints help with examples', async () => {
    const r = await dtk(['partition', '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/EXAMPLES/)
    expect(r.stdout).toMatch(/dtk partition n1,n2 n3,n4,n5/)
  })

  it('an unknown flag or a missing cluster is exit 2 with the reason on stderr and nothing on stdout', async () => {
    const bad = await dtk(['cluster', 'status', '--bogus'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/Nonexistent flag: --bogus.*see: dtk cluster status --help/)
    const missing = await dtk(['cluster', 'status', '--state-dir', '/nonexistent/dtk', '--json'])
    expect(missing.code).toBe(2)
    expect(JSON.parse(missing.stdout).error.message).toMatch(/no cluster 'default'/)
    const human = await dtk(['cluster', 'status', '--state-dir', '/nonexistent/dtk'])
    expect(human.code).toBe(2)
    expect(human.stdout).toBe('')
    expect(human.stderr.trim().split('\n')).toHaveLength(1)
  })
})
