import {randomBytes} from 'node:crypto'
import {Flags} from '@oclif/core'
import {DtkCommand, clusterRef, parseDuration} from '../../src/cli/index.js'
import {UsageError} from '../../src/errors/index.js'
import {kvFlags} from '../../src/kvclient/cli.js'
import type {LoadSummary} from '../../src/kvclient/index.js'

type Output = LoadSummary & {history: string | null; events: number}

function ratio(text: string, flag: string): number {
  const r = Number(text)
  if (text.trim() === '' || !(r >= 0 && r <= 1)) throw new UsageError(`--${flag} ${text}: a fraction between 0 and 1 (e.g. 0.25)`)
  return r
}

function ms(x: number): string {
  return `${x < 1 ? x.toFixed(2) : x < 10 ? x.toFixed(1) : x.toFixed(0)} ms`
}

export default class KvLoadCommand extends DtkCommand {
  static override summary = 'Drive a KV-serving cluster with concurrent clients and record what they saw as a history'
  static override description = `Runs --concurrency clients, each with one operation in flight, over --keys fresh keys: gets, puts, compare-and-sets (and deletes) in the ratios given, unique values for every write. Every invocation and completion is written to --history as dtk's JSONL (process, type invoke|ok|fail|info, f read|write|cas, key, value, time in ns), which \`dtk check\` reads. At the end it prints the rate, p50/p99 latency and the ok/fail/info counts.

Stops after --ops operations or --duration, whichever comes first (1000 operations when neither is given); --rate paces invocations (open loop) instead of issuing each as soon as the last completes. Operations go to the --node(s) given in turn, or to every node that is up. A client whose operation ended unknown (info) continues as a new process, as Jepsen's do. Ctrl-C stops at once, keeps the history written so far (operations in flight stay invokes without completion: unknown) and exits 130. Exits 1 when no operation succeeded. docs/kv.md describes the history and the outcomes.`
  static override examples = [
    '<%= config.bin %> kv load --ops 2000 --concurrency 8 --keys 8 --history h.jsonl && <%= config.bin %> check h.jsonl',
    '<%= config.bin %> kv load --duration 30s --concurrency 64 --rate 5000 --read-ratio 0.9 --node n1',
    '<%= config.bin %> kv load --ops 100000 --concurrency 64 --keys 100 --cas-ratio 0 --json',
  ]
  static override flags = {
    ...kvFlags,
    ops: Flags.integer({description: 'operations to run in all [default: 1000 unless --duration is given]', min: 1}),
    duration: Flags.string({char: 'd', description: 'stop invoking operations after this long (e.g. 30s)'}),
    concurrency: Flags.integer({description: 'clients, each with one operation in flight', default: 8, min: 1, max: 1000}),
    rate: Flags.integer({char: 'r', description: 'operations per second to aim at (open loop) [default: as fast as the clients go]', min: 1}),
    keys: Flags.integer({char: 'k', description: 'keys to spread the operations over', default: 8, min: 1, max: 100_000}),
    'read-ratio': Flags.string({description: 'fraction of operations that are gets', default: '0.5'}),
    'cas-ratio': Flags.string({description: 'fraction of operations that are compare-and-sets', default: '0.25'}),
    'delete-ratio': Flags.string({description: 'fraction of operations that are deletes (the rest are puts)', default: '0'}),
    history: Flags.string({char: 'o', description: 'write the history (JSONL) to this file'}),
    node: Flags.string({char: 'n', description: 'a node to send operations to (repeatable; operations take turns) [default: every node that is up]', multiple: true}),
    seed: Flags.string({description: 'seed for the choice of operations and keys [default: random]'}),
    'key-prefix': Flags.string({description: 'prefix of the keys (k0, k1 … follow it) [default: fresh per run, so every key starts absent]'}),
  }

  async run(): Promise<Output> {
    const {flags} = await this.parse(KvLoadCommand)
    const durationMs = flags.duration === undefined ? undefined : parseDuration(flags.duration, 'duration', {min: 1})
    const timeoutMs = parseDuration(flags.timeout, 'timeout', {min: 1})
    const ops = flags.ops ?? (durationMs === undefined ? 1000 : undefined)
    const readRatio = ratio(flags['read-ratio'], 'read-ratio')
    const casRatio = ratio(flags['cas-ratio'], 'cas-ratio')
    const deleteRatio = ratio(flags['delete-ratio'], 'delete-ratio')
    if (readRatio + casRatio + deleteRatio > 1 + 1e-9) throw new UsageError(`--read-ratio, --cas-ratio and --delete-ratio add up to ${+(readRatio + casRatio + deleteRatio).toFixed(6)}, more than 1`)
    const keyPrefix = flags['key-prefix'] ?? `${randomBytes(3).toString('hex')}/`
    if (keyPrefix.length + `k${flags.keys - 1}`.length > 256) throw new UsageError('--key-prefix is too long: keys are at most 256 characters')

    const {KvClient, KvLoad, HistoryFile, kvTargets} = await import('../../src/kvclient/index.js')
    const {startLoadBar} = await import('../../src/kvclient/progress-bar.js')
    const {targets, lookup} = await kvTargets(clusterRef(flags), flags.node ?? [], {all: true})
    const history = flags.history ? HistoryFile.open(flags.history) : undefined
    const client = await KvClient.open({nodes: lookup, timeoutMs})
    const load = new KvLoad(client, {
      nodes: targets,
      concurrency: flags.concurrency,
      ops,
      durationMs,
      rate: flags.rate,
      keys: flags.keys,
      keyPrefix,
      readRatio,
      casRatio,
      deleteRatio,
      timeoutMs,
      seed: flags.seed ?? randomBytes(4).readUInt32BE(),
      history,
    })
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
    const onSignal = () => load.stop()
    for (const s of signals) process.on(s, onSignal)
    const bar = startLoadBar(() => load.progress(), {ops, durationMs}, !this.jsonEnabled())
    let summary: LoadSummary
    try {
      summary = await load.run()
    } finally {
      bar.stop()
      for (const s of signals) process.off(s, onSignal)
      // Rejects what is still in flight (an interrupt): those operations stay invokes without completion.
      await client.close()
      await history?.close()
    }
    const out: Output = {...summary, history: flags.history ?? null, events: history?.entries ?? 0}
    this.printSummary(out)
    if (summary.interrupted) {
      this.logToStderr(`interrupted: stopped after ${summary.completed} operations${history ? `; ${summary.pending} in flight are invokes without completion in ${flags.history}` : ''}`)
      process.exitCode = 130
    } else if (summary.ok === 0 && summary.invoked > 0) {
      this.logToStderr(`no operation succeeded: ${Object.entries(summary.errors).map(([e, n]) => `${e} ${n}`).join(', ')}`)
      process.exitCode = 1
    }
    return out
  }

  private printSummary(s: Output): void {
    const why = Object.entries(s.errors)
      .sort((a, b) => b[1] - a[1])
      .map(([e, n]) => `${e} ${n}`)
      .join(', ')
    this.out(`${s.completed} operations in ${(s.elapsedMs / 1000).toFixed(2)} s: ${s.opsPerSec.toFixed(0)} ops/s (${s.nodes.length === 1 ? `node ${s.nodes[0]}` : `nodes ${s.nodes.join(', ')}`})`)
    this.out(`ok ${s.ok}, fail ${s.fail}, info ${s.info}${why ? ` (${why})` : ''}${s.pending > 0 ? `, ${s.pending} in flight` : ''}`)
    if (s.completed > 0) this.out(`latency p50 ${ms(s.latencyMs.p50)}, p99 ${ms(s.latencyMs.p99)}, max ${ms(s.latencyMs.max)}`)
    if (s.history) this.out(`history: ${s.history} (${s.events} events, ${s.keys} keys, ${s.processes} processes)`)
  }
}
