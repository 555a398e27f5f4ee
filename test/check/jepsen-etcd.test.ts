import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {dtk} from '../helpers/cli.js'
import {sharedDir} from './helpers.js'

/**
 * ../shared/histories/jepsen-etcd: 102 histories Jepsen recorded against etcd, with the verdicts
 * Porcupine and Knossos published (verdicts.tsv). `dtk check` agrees with every one, run as a
 * user runs it: all 102 files in one command.
 */
describe('dtk check agrees with the published verdicts on the 102 Jepsen etcd histories', () => {
  // Above the 120 s given to the dtk check call, so a hung check fails with its own message first.
  it('same verdict for every history; exit 1 because some are not linearizable', {timeout: 180_000}, async () => {
    const dir = join(sharedDir(), 'histories', 'jepsen-etcd')
    const verdicts = new Map(
      readFileSync(join(dir, 'verdicts.tsv'), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '' && !l.startsWith('#'))
        .map((l) => l.split('\t') as [string, string]),
    )
    const logs = readdirSync(dir).filter((f) => f.endsWith('.log'))
    expect(verdicts.size).toBe(102)
    expect(logs.sort()).toEqual([...verdicts.keys()].sort())

    const r = await dtk(['check', '--json', ...logs.map((f) => join(dir, f))], {}, 120_000)
    expect(r.code, r.stderr).toBe(1)
    const out = JSON.parse(r.stdout) as {results: Array<{file: string; verdict: string; model: string; format: string}>; summary: Record<string, number>}
    expect(out.results).toHaveLength(102)
    for (const res of out.results) {
      const want = verdicts.get(res.file.split('/').pop()!) === 'true' ? 'linearizable' : 'not linearizable'
      expect(res.verdict, res.file).toBe(want)
      expect(res.model).toBe('cas-register')
      expect(res.format).toBe('jepsen')
    }
    const trues = [...verdicts.values()].filter((v) => v === 'true').length
    expect(out.summary).toEqual({linearizable: trues, notLinearizable: 102 - trues, unknown: 0, errors: 0})
  })
})
