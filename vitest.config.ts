import {defineConfig} from 'vitest/config'

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
  },
})
