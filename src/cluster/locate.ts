import {existsSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

let cached: string | undefined

/**
 * The path of dtk's own `bin/run.js`, found by walking up from this module to dtk's package.json.
 * Nodes are started through the real CLI (`dtk node run`) so what runs in a cluster is exactly
 * what a user can run by hand.
 */
export function cliEntry(): string {
  if (cached) return cached
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as {name?: string}).name === 'dtk-toolkit') {
      cached = join(dir, 'bin', 'run.js')
      return cached
    }
    const up = dirname(dir)
    if (up === dir) throw new Error('cannot find dtk package.json above ' + fileURLToPath(import.meta.url))
    dir = up
  }
}
