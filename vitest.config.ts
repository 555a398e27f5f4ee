import {relative} from 'node:path'
import {defineConfig} from 'vitest/config'
import {BaseSequencer, type TestSpecification} from 'vitest/node'

/**
 * The longest files start first, so that on a fresh clone (no duration cache yet) none of them is
 * left to run alone at the end: vitest otherwise orders uncached files by size, and the doc pages'
 * small file, which runs for minutes, started last and made the tail of the run (docs/testing.md).
 */
const LONG_FIRST = ['test/docs/docs.test.ts', 'test/shard/live.test.ts', 'test/commands/ring.test.ts', 'test/commands/kv-cli.test.ts', 'test/commands/cluster-lifecycle.test.ts']

class LongFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files)
    const rank = (f: TestSpecification) => {
      const i = LONG_FIRST.indexOf(relative(process.cwd(), f.moduleId).split('\\').join('/'))
      return i < 0 ? LONG_FIRST.length : i
    }
    return sorted.map((f, i) => ({f, i})).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map((x) => x.f)
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Two cores: integration suites spawn real node processes, so keep the file-level parallelism low.
    maxWorkers: 2,
    // A test's limit sits above its own: dtk() gives a CLI call 60 s and waitFor defaults to 10 s, so
    // a hung command fails with its own message (which command, its stderr) and is killed, before
    // vitest stops the test. A test that waits longer gives itself more as `it`'s third argument.
    // On a loaded 2-core machine a test of ten CLI calls can take over a minute: a limit, not a speed goal.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    sequence: {sequencer: LongFirst},
  },
})
