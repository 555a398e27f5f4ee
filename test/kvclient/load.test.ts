import {afterEach, describe, expect, it} from 'vitest'
import {checkHistory, parseHistory} from '../../src/check/index.js'
import type {HistoryEntry} from '../../src/kv/index.js'
import {KvClient, KvLoad, type KvNode, type LoadOptions} from '../../src/kvclient/index.js'
import {KvDouble} from './helpers/kv-server.js'

const open: Array<{close(): Promise<void>}> = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((x) => x.close()))
})

async function setup(opts: Parameters<typeof KvDouble.start>[0] = {}, timeoutMs = 2000) {
  const d = await KvDouble.start(opts)
  open.push(d)
  const node: KvNode = {id: d.id, host: d.address.host, port: d.address.port, core: 'kv'}
  const client = await KvClient.open({nodes: new Map([[d.id, node]]), timeoutMs})
  open.push(client)
  return {d, client}
}

async function load(client: KvClient, opts: Partial<LoadOptions> = {}) {
  const history: HistoryEntry[] = []
  const l = new KvLoad(client, {nodes: ['n1'], concurrency: 8, ops: 400, keys: 4, keyPrefix: 't/', readRatio: 0.5, casRatio: 0.25, seed: 1, history: {push: (e) => history.push(e)}, ...opts})
  return {l, history, run: () => l.run()}
}

function verdict(history: HistoryEntry[]): string {
  const text = history.map((e) => JSON.stringify(e)).join('\n') + '\n'
  return checkHistory(parseHistory(text, 'jsonl')).verdict
}

/** Per process: invoke, completion, invoke, completion… never two invokes in a row. */
function oneInFlightPerProcess(history: HistoryEntry[]): boolean {
  const open = new Map<number, boolean>()
  for (const e of history) {
    const busy = open.get(e.process) ?? false
    if (e.type === 'invoke' ? busy : !busy) return false
    open.set(e.process, e.type === 'invoke')
  }
  return true
}

describe('the load generator', () => {
  it('records every invocation and completion; against a correct server the history is linearizable', async () => {
    const {client} = await setup()
    const {history, run} = await load(client)
    const s = await run()
    expect(s).toMatchObject({invoked: 400, completed: 400, pending: 0, info: 0, interrupted: false})
    expect(s.ok + s.fail).toBe(400)
    expect(history).toHaveLength(800)
    expect(history.filter((e) => e.type === 'invoke')).toHaveLength(400)
    expect(oneInFlightPerProcess(history)).toBe(true)
    expect(new Set(history.map((e) => e.process))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7]))
    expect(new Set(history.map((e) => e.key))).toEqual(new Set(['t/k0', 't/k1', 't/k2', 't/k3']))
    // Times are monotonic nanoseconds in line order.
    expect(history.every((e, i) => i === 0 || e.time! >= history[i - 1]!.time!)).toBe(true)
    // Every write writes a value no other write wrote.
    const written = history.filter((e) => e.type === 'invoke' && e.f !== 'read').map((e) => (e.f === 'cas' ? (e.value as unknown[])[1] : e.value))
    expect(written.length).toBeGreaterThan(100)
    expect(new Set(written).size).toBe(written.length)
    expect(s.byFunction.read.ok).toBeGreaterThan(100)
    expect(s.byFunction.cas.ok).toBeGreaterThan(0)
    expect(verdict(history)).toBe('linearizable')
  })

  it('a server that serves stale reads is caught: the history is not linearizable', async () => {
    const {client} = await setup({staleReadsMs: 50})
    const {history, run} = await load(client, {ops: 1500, keys: 2, readRatio: 0.6, casRatio: 0})
    await run()
    expect(history).toHaveLength(3000)
    expect(verdict(history)).toBe('not linearizable')
  })

  it('after an unknown outcome a worker continues as a new process, and the history stays linearizable', async () => {
    // Every 7th request is applied but never answered: the client times out (info).
    const {client} = await setup({drop: (n) => n % 7 === 0}, 150)
    const {history, run} = await load(client, {ops: 200, concurrency: 4})
    const s = await run()
    expect(s.info).toBeGreaterThan(5)
    expect(s.processes).toBe(4 + s.info)
    const infos = history.filter((e) => e.type === 'info')
    expect(infos).toHaveLength(s.info)
    // A process whose operation is unknown never issues another: its info is its last event.
    for (const i of infos) expect(history.filter((e) => e.process === i.process).at(-1)).toBe(i)
    expect(oneInFlightPerProcess(history)).toBe(true)
    expect(verdict(history)).toBe('linearizable')
  })

  it('--rate: operation i is not invoked before start + i/rate', async () => {
    const {client} = await setup()
    const rate = 400
    const {history, run} = await load(client, {ops: 60, rate})
    await run()
    const invokes = history.filter((e) => e.type === 'invoke').map((e) => e.time!)
    expect(invokes).toHaveLength(60)
    // Waits shorter than 1 ms are not slept, so each may start up to 1 ms early.
    invokes.forEach((t, i) => expect(t, `invoke ${i}`).toBeGreaterThanOrEqual((i * 1e9) / rate - 1e6))
  })

  it('duration: stops invoking when the time is up', async () => {
    const {client} = await setup()
    const {history, run} = await load(client, {ops: undefined, durationMs: 200})
    const s = await run()
    expect(s.completed).toBeGreaterThan(0)
    const invokes = history.filter((e) => e.type === 'invoke')
    expect(invokes).toHaveLength(s.invoked)
    expect(invokes.every((e) => e.time! < 200e6)).toBe(true)
  })

  it('stop (Ctrl-C): ends at once; operations in flight stay invokes without completion, and the history still checks', async () => {
    const {client} = await setup({drop: (n) => n > 40}, 60_000)
    const {l, history, run} = await load(client, {ops: 10_000})
    const done = run()
    while (history.filter((e) => e.type === 'invoke').length < 48) await new Promise((r) => setTimeout(r, 5))
    l.stop()
    const s = await done
    expect(s.interrupted).toBe(true)
    expect(s.pending).toBe(8)
    expect(history.filter((e) => e.type === 'invoke')).toHaveLength(s.invoked)
    expect(history.length).toBe(s.invoked + s.completed)
    expect(verdict(history)).toBe('linearizable')
  })
})
