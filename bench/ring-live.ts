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
import {cluster, type ClusterRef} from '../src/cluster/index.js'
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
