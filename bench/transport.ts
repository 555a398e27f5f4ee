/**
 * Transport throughput and latency against hand-written baselines measured in the same run
 * (../shared/benchmarks.md, "Transport"):
 *  - one-way, one process, loopback: dtk send() vs raw chunked, raw per frame and a hand-written
 *    msgpackr pipeline, for 64-byte and 4 KiB messages;
 *  - RPC round trips to a second process: dtk request() vs a raw echo of 64-byte frames, at 1 and
 *    64 in flight.
 */
import {spawn} from 'node:child_process'
import net from 'node:net'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {Packr, Unpackr} from 'msgpackr'
import {Transport, type PeerAddress} from '../src/transport/index.js'
import type {Comparison, Figure, SuiteOptions, SuiteResult} from './report.js'

const here = dirname(fileURLToPath(import.meta.url))
const BATCH = 1024 // messages queued per event-loop turn, the same for every contender
const ROUNDS = 3 // RPC: alternating measurement windows per contender
const turn = () => new Promise<void>((r) => setImmediate(r))

function message(payloadBytes: number): Record<string, unknown> {
  // A gossip-like record whose bytes field is sized so that msgpack encodes it to exactly
  // `payloadBytes` (bin8/bin16 headers differ by a byte, hence the trimming loop).
  const base = {type: 'gossip', from: 'node-1', seq: 123456}
  let fill = payloadBytes - new Packr({useRecords: false}).pack({...base, data: Buffer.alloc(0)}).length
  while (new Packr({useRecords: false}).pack({...base, data: Buffer.alloc(fill)}).length > payloadBytes) fill--
  return {...base, data: Buffer.alloc(fill, 0x5a)}
}

async function pair(): Promise<{server: net.Server; client: net.Socket; serverSide: net.Socket}> {
  const server = net.createServer({noDelay: true})
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as net.AddressInfo).port
  const client = net.connect({port, host: '127.0.0.1', noDelay: true})
  await new Promise((r) => client.once('connect', r))
  const serverSide = await accepted
  return {server, client, serverSide}
}

async function closePair(p: {server: net.Server; client: net.Socket; serverSide: net.Socket}): Promise<void> {
  p.client.destroy()
  p.serverSide.destroy()
  await new Promise((r) => p.server.close(r))
}

function waitDrain(s: net.Socket): Promise<void> {
  return new Promise((r) => s.once('drain', r))
}

/** Runs `drive` until the receiver reports `n` messages; returns messages/s. */
async function timeIt(n: number, done: Promise<void>, drive: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint()
  await drive()
  await done
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  return n / s
}

async function rawChunked(n: number, frameBytes: number): Promise<number> {
  const p = await pair()
  const total = n * frameBytes
  let got = 0
  const done = new Promise<void>((r) => p.serverSide.on('data', (d: Buffer) => (got += d.length) >= total && r()))
  const chunkFrames = Math.max(1, Math.floor((1 << 20) / frameBytes))
  const chunk = Buffer.alloc(chunkFrames * frameBytes, 1)
  for (let off = 0; off < chunk.length; off += frameBytes) chunk.writeUInt32BE(frameBytes - 4, off)
  const rate = await timeIt(n, done, async () => {
    let sent = 0
    while (sent < n) {
      const k = Math.min(chunkFrames, n - sent)
      const ok = p.client.write(k === chunkFrames ? chunk : chunk.subarray(0, k * frameBytes))
      sent += k
      if (!ok) await waitDrain(p.client)
    }
  })
  await closePair(p)
  return rate
}

async function rawPerFrame(n: number, frameBytes: number): Promise<number> {
  const p = await pair()
  const total = n * frameBytes
  let got = 0
  const done = new Promise<void>((r) => p.serverSide.on('data', (d: Buffer) => (got += d.length) >= total && r()))
  const frame = Buffer.alloc(frameBytes, 1)
  frame.writeUInt32BE(frameBytes - 4)
  const rate = await timeIt(n, done, async () => {
    let sent = 0
    while (sent < n) {
      let ok = true
      for (let i = 0; i < BATCH && sent < n; i++, sent++) ok = p.client.write(frame)
      if (!ok) await waitDrain(p.client)
      else await turn()
    }
  })
  await closePair(p)
  return rate
}

/** The straightforward hand-written pipeline: reused Packr, length prefix, one write per turn; receiver splits and decodes. */
async function pipeline(n: number, msg: Record<string, unknown>): Promise<number> {
  const p = await pair()
  const packr = new Packr({useRecords: false})
  const unpackr = new Unpackr({useRecords: false})
  let got = 0
  let pending: Buffer | null = null
  let resolve!: () => void
  const done = new Promise<void>((r) => (resolve = r))
  p.serverSide.on('data', (d: Buffer) => {
    let buf = pending ? Buffer.concat([pending, d]) : d
    pending = null
    let off = 0
    while (buf.length - off >= 4) {
      const len = buf.readUInt32BE(off)
      if (buf.length - off - 4 < len) break
      unpackr.unpack(buf.subarray(off + 4, off + 4 + len))
      got++
      off += 4 + len
    }
    if (off < buf.length) pending = buf.subarray(off)
    if (got >= n) resolve()
  })
  const rate = await timeIt(n, done, async () => {
    let sent = 0
    while (sent < n) {
      const parts: Buffer[] = []
      for (let i = 0; i < BATCH && sent < n; i++, sent++) {
        const body = packr.pack(msg)
        const hdr = Buffer.allocUnsafe(4)
        hdr.writeUInt32BE(body.length)
        parts.push(hdr, body)
      }
      if (!p.client.write(Buffer.concat(parts))) await waitDrain(p.client)
      else await turn()
    }
  })
  await closePair(p)
  return rate
}

async function dtkOneWay(n: number, msg: Record<string, unknown>): Promise<number> {
  const a = await Transport.listen({id: 'a', listen: false, maxQueueBytes: 256 * 1024 * 1024})
  const b = await Transport.listen({id: 'b'})
  const peer: PeerAddress = {id: 'b', host: b.address.host, port: b.address.port}
  let got = 0
  let resolve!: () => void
  const done = new Promise<void>((r) => (resolve = r))
  b.onMessage(() => {
    if (++got === n) resolve()
  })
  const rate = await timeIt(n, done, async () => {
    let sent = 0
    while (sent < n) {
      for (let i = 0; i < BATCH && sent < n; i++, sent++) a.send(peer, msg)
      await turn()
      await a.whenWritable(peer)
    }
  })
  await a.close()
  await b.close()
  return rate
}

export interface Rtt {
  perSec: number
  p50: number
  p99: number
}

/** Latencies (ns) and the length of the measured window of one RPC run. */
export interface RttRun {
  lat: number[]
  secs: number
}

export function summarize(runs: RttRun[]): Rtt {
  const s = Float64Array.from(runs.flatMap((r) => r.lat)).sort()
  const seconds = runs.reduce((a, r) => a + r.secs, 0)
  const q = (x: number) => s[Math.min(s.length - 1, Math.floor(x * s.length))]! / 1e6
  return {perSec: s.length / seconds, p50: q(0.5), p99: q(0.99)}
}

export async function dtkRpc(port: number, inFlight: number, ms: number): Promise<RttRun> {
  const t = await Transport.listen({id: 'bench', listen: false})
  const peer = {id: 'echo', host: '127.0.0.1', port}
  const msg = message(64)
  await t.request(peer, msg)
  const lat: number[] = []
  let stop = false
  let t0 = 0n
  const worker = async () => {
    while (!stop) {
      const s = process.hrtime.bigint()
      await t.request(peer, msg)
      lat.push(Number(process.hrtime.bigint() - s))
    }
  }
  // Warm-up, then measure a fresh window.
  setTimeout(() => {
    lat.length = 0
    t0 = process.hrtime.bigint()
    setTimeout(() => (stop = true), ms)
  }, Math.min(500, ms / 2))
  await Promise.all(Array.from({length: inFlight}, worker))
  const secs = Number(process.hrtime.bigint() - t0) / 1e9
  await t.close()
  return {lat, secs}
}

export async function rawRpc(port: number, inFlight: number, ms: number): Promise<RttRun> {
  const s = net.connect({port, host: '127.0.0.1', noDelay: true})
  await new Promise((r) => s.once('connect', r))
  const frame = Buffer.alloc(68, 7)
  frame.writeUInt32BE(64)
  const sentAt: bigint[] = []
  let head = 0
  let lat: number[] = []
  let partial = 0
  let stop = false
  let t0 = process.hrtime.bigint()
  let resolve!: () => void
  const done = new Promise<void>((r) => (resolve = r))
  let outstanding = 0
  const fire = (k: number) => {
    if (k === 0) return
    const now = process.hrtime.bigint()
    for (let i = 0; i < k; i++) sentAt.push(now)
    outstanding += k
    for (let i = 0; i < k; i++) s.write(frame)
  }
  s.on('data', (d: Buffer) => {
    partial += d.length
    const replies = Math.floor(partial / 68)
    partial -= replies * 68
    const now = process.hrtime.bigint()
    for (let i = 0; i < replies; i++) lat.push(Number(now - sentAt[head++]!))
    if (head > 100_000) {
      sentAt.splice(0, head)
      head = 0
    }
    outstanding -= replies
    if (stop) {
      if (outstanding === 0) resolve()
      return
    }
    fire(replies)
  })
  setTimeout(() => {
    lat = []
    t0 = process.hrtime.bigint()
    setTimeout(() => (stop = true), ms)
  }, Math.min(500, ms / 2))
  fire(inFlight)
  await done
  const secs = Number(process.hrtime.bigint() - t0) / 1e9
  s.destroy()
  return {lat, secs}
}

export async function startEcho(): Promise<{ports: {dtk: number; raw: number}; stop(): void}> {
  const child = spawn(process.execPath, [join(here, 'transport-echo-server.js')], {stdio: ['pipe', 'pipe', 'inherit']})
  const line = await new Promise<string>((resolve, reject) => {
    let buf = ''
    child.stdout!.on('data', (d) => {
      buf += d
      const i = buf.indexOf('\n')
      if (i >= 0) resolve(buf.slice(0, i))
    })
    child.once('exit', (code) => reject(new Error(`echo server exited ${code}`)))
  })
  return {ports: JSON.parse(line), stop: () => child.stdin!.end()}
}

const ratioCmp = (name: string, dtk: number, base: number, baseName: string, unit: string, goal?: string, min?: number): Comparison => {
  const ratio = dtk / base
  return {
    name,
    dtk: {name: 'dtk', value: dtk, unit},
    baseline: {name: baseName, value: base, unit},
    ratio,
    ...(goal ? {goal, met: ratio >= min!} : {}),
  }
}

export default async function transport(opts: SuiteOptions): Promise<SuiteResult> {
  const comparisons: Comparison[] = []
  const figures: Figure[] = []
  const notes: string[] = []
  for (const [label, payload, n] of [
    ['64 B', 64, opts.quick ? 200_000 : 2_000_000],
    ['4 KiB', 4096, opts.quick ? 20_000 : 200_000],
  ] as const) {
    const msg = message(payload)
    await pipeline(Math.min(n, 50_000), msg) // warm the JIT for the codec paths
    await dtkOneWay(Math.min(n, 50_000), msg)
    const chunked = await rawChunked(n, payload + 4)
    opts.progress(`one-way ${label}: raw chunked ${(chunked / 1e6).toFixed(2)} M/s`)
    const perFrame = await rawPerFrame(n, payload + 4)
    opts.progress(`one-way ${label}: raw per frame ${(perFrame / 1e6).toFixed(2)} M/s`)
    const pipe = await pipeline(n, msg)
    opts.progress(`one-way ${label}: msgpackr pipeline ${(pipe / 1e6).toFixed(2)} M/s`)
    const dtk = await dtkOneWay(n, msg)
    opts.progress(`one-way ${label}: dtk ${(dtk / 1e6).toFixed(2)} M/s`)
    const unit = 'msg/s'
    comparisons.push(ratioCmp(`one-way ${label} vs hand-written msgpackr pipeline`, dtk, pipe, 'msgpackr pipeline', unit, '>= 1.0x hand-written msgpackr pipeline', 1.0))
    comparisons.push(ratioCmp(`one-way ${label} vs raw per frame`, dtk, perFrame, 'raw per frame', unit, '>= 1.0x raw per frame', 1.0))
    comparisons.push(ratioCmp(`one-way ${label} vs raw chunked (link limit)`, dtk, chunked, 'raw chunked', unit))
  }

  const echo = await startEcho()
  try {
    const ms = opts.quick ? 1000 : 3000
    for (const [inFlight, goal, min] of [
      [1, '>= 0.8x raw echo', 0.8],
      [64, '>= 0.5x raw echo', 0.5],
    ] as const) {
      // Alternate short windows of each so that a change in the load of a shared machine (which
      // moves 1-in-flight round trips by 2-3x) hits both sides alike; figures are over all windows.
      const rawRuns: RttRun[] = []
      const dtkRuns: RttRun[] = []
      for (let i = 0; i < ROUNDS; i++) {
        rawRuns.push(await rawRpc(echo.ports.raw, inFlight, ms / ROUNDS))
        dtkRuns.push(await dtkRpc(echo.ports.dtk, inFlight, ms / ROUNDS))
      }
      const raw = summarize(rawRuns)
      const dtk = summarize(dtkRuns)
      opts.progress(`rpc ${inFlight} in flight: dtk ${dtk.perSec.toFixed(0)}/s p99 ${dtk.p99.toFixed(3)} ms, raw ${raw.perSec.toFixed(0)}/s p99 ${raw.p99.toFixed(3)} ms`)
      const c = ratioCmp(`RPC round trips, ${inFlight} in flight (2 processes)`, dtk.perSec, raw.perSec, 'raw echo', 'req/s', goal, min)
      c.dtk.extra = {p50_ms: dtk.p50, p99_ms: dtk.p99}
      c.baseline.extra = {p50_ms: raw.p50, p99_ms: raw.p99}
      comparisons.push(c)
      figures.push({name: `dtk request() p99, ${inFlight} in flight`, value: dtk.p99, unit: 'ms', goal: '< 1 ms', met: dtk.p99 < 1})
    }
  } finally {
    echo.stop()
  }
  notes.push('one-way: sender and receiver in one process over loopback, 1024 messages queued per event-loop turn for every contender')
  notes.push(`RPC: ${ROUNDS} alternating windows per contender (raw, dtk, raw, dtk, ...), each after its own warm-up; rates and percentiles over all windows`)
  notes.push('raw echo: the server splits frames and writes each back by itself, the client writes one frame per request; dtk: the server decodes each request and encodes the reply')
  return {suite: 'transport', comparisons, figures, notes}
}
