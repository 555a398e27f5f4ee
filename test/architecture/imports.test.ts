import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join, relative, resolve, dirname} from 'node:path'
import {describe, expect, it} from 'vitest'
import {root} from '../helpers/cli.js'

/** The import rules of docs/architecture.md, checked on the sources rather than trusted. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : []
  })
}

/** Every relative import of a file, as a path from the repository root (`src/transport/index.ts`). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!)
  return specs.map((s) => relative(root, resolve(dirname(file), s)).replace(/\.js$/, '.ts'))
}

function violations(folder: string, allowed: (target: string) => boolean): string[] {
  return files(join(root, folder)).flatMap((f) => importsOf(f).filter((t) => !allowed(t)).map((t) => `${relative(root, f)} -> ${t}`))
}

describe('imports point one way', () => {
  it('sees the imports it checks (static and dynamic)', () => {
    expect(importsOf(join(root, 'src/gossip/swim.ts'))).toContain('src/core/index.ts')
    expect(importsOf(join(root, 'src/node/roles/index.ts'))).toContain('src/node/roles/gossip/index.ts')
  })
  it('src/transport imports nothing else of dtk', () => {
    expect(violations('src/transport', (t) => t.startsWith('src/transport/'))).toEqual([])
  })
  it('protocol cores import only src/core and src/errors', () => {
    expect(violations('src/gossip', (t) => /^src\/(gossip|core|errors)\//.test(t))).toEqual([])
    expect(violations('src/core', (t) => t.startsWith('src/core/'))).toEqual([])
    expect(violations('src/check', (t) => /^src\/(check|errors)\//.test(t))).toEqual([])
  })
  it('the simulator never imports the transport or the node runtime', () => {
    expect(violations('src/sim', (t) => !/^src\/(transport|node|cluster)\//.test(t))).toEqual([])
  })
  it('nothing in src imports commands', () => {
    expect(violations('src', (t) => !t.startsWith('commands/'))).toEqual([])
  })
})
