/**
 * The live move on real processes, shared by the ring bench (bench/ring.ts: keys/s migrated and
 * the longest read stall) and the real-process test (test/shard/live.test.ts):
 *
 * - `fillKeys`: the bulk path that loads `<prefix>k0 … k<n-1>` into a shard cluster: KV clients
 *   (src/kvclient, the same client as `dtk kv`) with one session each, every put sent straight to
 *   the primary the ring names (so none costs a redirect), many in flight. `dtk kv load` picks keys
 *   at random, so it cannot promise that every one of 100 000 keys exists; this does.
 * - `Reader`: reads known keys in a loop, as long as it runs, and records every miss (a read that
 *   did not return the value written) and the longest time a read took (redirects included).
 */
import {cluster, moveCounters, watchRebalance, type ClusterRef} from '../src/cluster/index.js'
import {KvClient, kvTargets, type KvCall} from '../src/kvclient/index.js'
import {Layout, partitionOf} from '../src/shard/index.js'

interface RingAnswer {
  members: string[]
  spec: {partitions: number; replicas: number; algo: 'ring' | 'ketama' | 'rendezvous' | 'maglev'; vnodes: number}
}

/** Where the ring places a key's primary, as the cluster's first node that answers sees it. */
export async function primaryOf(ref: ClusterRef): Promise<(key: string) => string> {
  const {answers} = await cluster.roleCallAll<RingAnswer>(ref, {op: 'ring'}, 3000)
  if (answers.length === 0) throw new Error(`no node of cluster '${ref.name}' answered`)
  const ring = answers[0]!.answer
  const layout = new Layout(ring.spec, ring.members)
  return (key) => layout.ownersOf(partitionOf(key, ring.spec.partitions))[0]!
}

export const keyName = (prefix: string, i: number): string => `${prefix}k${i}`
/** The value `fillKeys` writes under key i (a reader checks it). */
export const valueOf = (i: number): number => i

export interface FillResult {
  keys: number
  ms: number
  failed: number
}

export async function fillKeys(ref: ClusterRef, opts: {prefix: string; count: number; concurrency?: number; onProgress?: (done: number) => void}): Promise<FillResult> {
  const {lookup} = await kvTargets(ref, [], {all: true})
  const primary = await primaryOf(ref)
  const client = await KvClient.open({nodes: lookup, timeoutMs: 20_000})
  const t0 = performance.now()
  let next = 0
  let done = 0
  let failed = 0
  try {
    await Promise.all(
      Array.from({length: opts.concurrency ?? 64}, async (_, w) => {
        const session = client.session(`fill${w}`)
        for (let i = next++; i < opts.count; i = next++) {
          const key = keyName(opts.prefix, i)
          let r: KvCall
          // A put that certainly did not happen (a redirect chain too long) is sent again; one of unknown outcome too: a put is idempotent here.
          for (let attempt = 0; ; attempt++) {
            r = await client.call(session, {f: 'put', key, value: valueOf(i)}, primary(key))
            if (r.outcome.type === 'ok' || attempt >= 5) break
          }
          if (r.outcome.type !== 'ok') failed++
          if (++done % 5000 === 0) opts.onProgress?.(done)
        }
      }),
    )
  } finally {
    await client.close()
  }
  return {keys: opts.count - failed, ms: performance.now() - t0, failed}
}

export interface ReadStats {
  reads: number
  /** Reads that did not return the value written: not found, another value, or no answer. */
  misses: number
  examples: string[]
  /** The longest a read took, redirects included (ms). */
  longestMs: number
}

/** Reads random keys of a `fillKeys` run, `concurrency` at a time, until stopped. */
export class Reader {
  private stopped = false
  private readonly stats: ReadStats = {reads: 0, misses: 0, examples: [], longestMs: 0}
  private running: Promise<void> = Promise.resolve()
  private client: KvClient | undefined

  constructor(
    private readonly ref: ClusterRef,
    private readonly opts: {prefix: string; count: number; concurrency?: number},
  ) {}

  async start(): Promise<void> {
    const {lookup, targets} = await kvTargets(this.ref, [], {all: true})
    const client = (this.client = await KvClient.open({nodes: lookup, timeoutMs: 10_000, maxHops: 5}))
    let rr = 0
    let seed = 12345
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000)
    this.running = Promise.all(
      Array.from({length: this.opts.concurrency ?? 4}, async (_, w) => {
        const session = client.session(`read${w}`)
        while (!this.stopped) {
          const i = Math.floor(rand() * this.opts.count)
          const key = keyName(this.opts.prefix, i)
          const t0 = performance.now()
          const r = await client.call(session, {f: 'get', key}, targets[rr++ % targets.length]!)
          const ms = performance.now() - t0
          this.stats.reads++
          if (ms > this.stats.longestMs) this.stats.longestMs = ms
          const o = r.outcome
          if (o.type !== 'ok' || o.value !== valueOf(i)) {
            this.stats.misses++
            if (this.stats.examples.length < 10) this.stats.examples.push(`${key}: ${o.type === 'ok' ? `read ${JSON.stringify(o.value)}` : `${o.type} ${o.error}: ${o.message}`}`)
          }
        }
      }),
    ).then(() => undefined)
  }

  get progress(): ReadStats {
    return {...this.stats, examples: [...this.stats.examples]}
  }

  async stop(): Promise<ReadStats> {
    this.stopped = true
    await this.running
    await this.client?.close()
    return this.progress
  }
}

export interface LiveMoveResult {
  keys: number
  moved: number
  /** From the first move's start to the last move's end, over every node's events (ms). */
  moveMs: number
  /** From `dtk cluster join`'s start until every node settled (ms). */
  rebalanceMs: number
  reads: ReadStats
  fillMs: number
}

/**
 * The bench's live move: 5 shard nodes (`--profile fast`, default pacing: 10 000 keys/s per
 * sender), `keys` keys filled, a reader (4 clients) running, a sixth node joined; keys/s migrated
 * (keys moved over the span of the moves) and the longest read during it.
 */
export async function measureLiveMove(opts: {keys: number; progress: (line: string) => void}): Promise<LiveMoveResult> {
  const {mkdtempSync, readFileSync, rmSync, existsSync} = await import('node:fs')
  const {tmpdir} = await import('node:os')
  const {join} = await import('node:path')
  const stateDir = mkdtempSync(join(tmpdir(), 'dtk-bench-ringlive-'))
  const ref = {name: 'ringlive', stateDir}
  try {
    await cluster.up({...ref, nodes: 5, role: 'shard', host: '127.0.0.1', nodeArgs: ['--detector', 'swim', '--profile', 'fast']})
    const fill = await fillKeys(ref, {prefix: 'b/', count: opts.keys, concurrency: 128})
    if (fill.failed > 0) throw new Error(`${fill.failed} keys could not be loaded`)
    opts.progress(`live move: ${opts.keys} keys loaded in ${(fill.ms / 1000).toFixed(1)} s`)
    const reader = new Reader(ref, {prefix: 'b/', count: opts.keys, concurrency: 4})
    await reader.start()
    await new Promise((r) => setTimeout(r, 1000))
    const base = await moveCounters(ref)
    const t0 = Date.now()
    await cluster.join({...ref})
    const rb = await watchRebalance(ref, {timeoutMs: 600_000, members: 6, base})
    const rebalanceMs = Date.now() - t0
    const reads = await reader.stop()
    let first = Infinity
    let last = 0
    let moved = 0
    for (const n of ['n1', 'n2', 'n3', 'n4', 'n5']) {
      const file = join(stateDir, 'ringlive', 'nodes', n, 'events.jsonl')
      if (!existsSync(file)) continue
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.includes('"shard.move.')) continue
        const e = JSON.parse(line) as {ts: number; type: string; keys: number}
        if (e.ts < t0) continue
        if (e.type === 'shard.move.start') first = Math.min(first, e.ts)
        if (e.type === 'shard.move.done') {
          last = Math.max(last, e.ts)
          moved += e.keys
        }
      }
    }
    opts.progress(`live move: ${moved} keys moved in ${last - first} ms (rebalance ${rebalanceMs} ms, ${rb.moved} keys by the nodes' counters); ${reads.reads} reads, ${reads.misses} missed, longest ${reads.longestMs.toFixed(0)} ms`)
    return {keys: opts.keys, moved, moveMs: last - first, rebalanceMs, reads, fillMs: fill.ms}
  } finally {
    await cluster.down({...ref, graceMs: 2000}).catch(() => undefined)
    rmSync(stateDir, {recursive: true, force: true})
  }
}
