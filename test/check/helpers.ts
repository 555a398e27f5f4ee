import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {parseJsonl, type HistoryEvent} from '../../src/check/formats.js'
import {root} from '../helpers/cli.js'

/**
 * A history written compactly, one event per line: `PROCESS TYPE F [VALUE as JSON] [key=K]`,
 * e.g. `0 invoke write 1`, `1 ok read 3`, `2 fail cas [1,2]`, `3 invoke read key=a`.
 */
export function jsonl(text: string): string {
  return text
    .trim()
    .split('\n')
    .map((l) => {
      const parts = l.trim().split(/\s+/)
      const [p, type, f, ...rest] = parts
      const key = rest.find((x) => x.startsWith('key='))
      const value = rest.filter((x) => !x.startsWith('key=')).join(' ')
      const o: Record<string, unknown> = {process: Number(p), type, f, value: value === '' ? null : JSON.parse(value)}
      if (key) o.key = key.slice(4)
      return JSON.stringify(o)
    })
    .join('\n')
}

export function events(text: string): HistoryEvent[] {
  return parseJsonl(jsonl(text))
}

/**
 * ../shared beside the repository (../../shared from a worktree under wt/), or $DTK_SHARED_DIR
 * (the name test/helpers/shared.ts and .ci/run use) or $DTK_SHARED. A
 * test that needs it fails with this message rather than passing without it.
 */
export function sharedDir(): string {
  const tried = [process.env.DTK_SHARED_DIR, process.env.DTK_SHARED, join(root, '..', 'shared'), join(root, '..', '..', 'shared')].filter((d): d is string => !!d)
  for (const d of tried) if (existsSync(join(d, 'histories', 'jepsen-etcd', 'verdicts.tsv'))) return d
  throw new Error(`the shared references are missing: expected histories/jepsen-etcd/verdicts.tsv under ${tried.join(' or ')} (../shared beside the repository, or set DTK_SHARED_DIR)`)
}
