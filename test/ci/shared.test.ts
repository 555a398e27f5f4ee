import {existsSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {root, tempDir} from '../helpers/cli.js'
import {sharedDir, sharedFile} from '../helpers/shared.js'

/** Tests that need ../shared fail with a clear message when it is missing; they never pass silently. */
describe('reading the references in ../shared', () => {
  const saved = process.env.DTK_SHARED_DIR
  let dir: string | undefined
  afterEach(() => {
    if (saved === undefined) delete process.env.DTK_SHARED_DIR
    else process.env.DTK_SHARED_DIR = saved
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  it('is ../shared beside the repo root unless DTK_SHARED_DIR says otherwise', () => {
    delete process.env.DTK_SHARED_DIR
    const expected = resolve(root, '..', 'shared')
    if (existsSync(expected)) expect(sharedDir()).toBe(expected)
    else expect(() => sharedDir()).toThrow(`../shared is missing: no directory at ${expected}`)
  })

  it('throws "../shared is missing" naming the place it looked, for the directory and for a file in it', () => {
    dir = tempDir('shared')
    process.env.DTK_SHARED_DIR = join(dir, 'nowhere')
    expect(() => sharedDir()).toThrow(`../shared is missing: no directory at ${join(dir, 'nowhere')} (from DTK_SHARED_DIR=`)
    expect(() => sharedFile('benchmarks.md')).toThrow(/\.\.\/shared is missing/)
    writeFileSync(join(dir, 'a-file'), 'not a directory')
    process.env.DTK_SHARED_DIR = join(dir, 'a-file')
    expect(() => sharedDir()).toThrow(/\.\.\/shared is missing/)
  })

  it('reads a file under it, and names a missing one', () => {
    dir = tempDir('shared')
    mkdirSync(join(dir, 'histories'))
    writeFileSync(join(dir, 'histories', 'README.md'), '# formats\n')
    process.env.DTK_SHARED_DIR = dir
    expect(sharedDir()).toBe(dir)
    expect(sharedFile('histories/README.md')).toBe('# formats\n')
    expect(() => sharedFile('benchmarks.md')).toThrow(`../shared/benchmarks.md is missing or unreadable at ${join(dir, 'benchmarks.md')}`)
  })
})
