import {readFileSync, statSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {root} from './cli.js'

/**
 * The references (references.md, benchmarks.md, histories/) that tests read as `../shared`
 * relative to the repo root; DTK_SHARED_DIR points elsewhere (e.g. from a worktree whose parent
 * has no `shared`). A test that needs them must fail, and say why, when they are missing, never
 * skip or pass: so these throw.
 */
export function sharedDir(): string {
  const configured = process.env.DTK_SHARED_DIR
  const dir = configured ? resolve(configured) : resolve(root, '..', 'shared')
  let isDir = false
  try {
    isDir = statSync(dir).isDirectory()
  } catch {
    // missing: reported below
  }
  if (!isDir) {
    const how = configured ? `DTK_SHARED_DIR=${configured}` : `../shared beside the repo (${root})`
    throw new Error(`../shared is missing: no directory at ${dir} (from ${how}); tests that read the references need it there, or DTK_SHARED_DIR set to it`)
  }
  return dir
}

/** The text of `rel` under the references, e.g. `sharedFile('benchmarks.md')`; throws a clear error when it or the directory is missing. */
export function sharedFile(rel: string): string {
  const path = join(sharedDir(), rel)
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    throw new Error(`../shared/${rel} is missing or unreadable at ${path}: ${(err as Error).message}`)
  }
}
