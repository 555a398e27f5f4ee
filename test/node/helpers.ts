import {spawn, type ChildProcess} from 'node:child_process'
import {join} from 'node:path'
import type {Core, CoreContext, Output} from '../../src/core/index.js'
import {EventLog} from '../../src/events/index.js'
import {NodeHost, type HostedComposition, type HostHooks, type HostOptions} from '../../src/node/host/index.js'
import {Transport, type PeerAddress} from '../../src/transport/index.js'
import {runJs, tempDir} from '../helpers/cli.js'

export interface TestNode {
  host: NodeHost
  transport: Transport
  events: EventLog
  dir: string
  address: PeerAddress
  stop(): Promise<void>
}

/** A node host in this process on a real loopback transport (and UDP when asked), answering client requests as the runtime does. */
export async function startHost(id: string, comp: HostedComposition, opts: Partial<HostOptions> = {}, hooks: HostHooks = {}): Promise<TestNode> {
  const dir = opts.dataDir ?? tempDir(`host-${id}`)
  const transport = await Transport.listen({id, port: 0})
  const events = new EventLog(join(dir, 'events.jsonl'), id)
  const host = new NodeHost({id, dataDir: dir, transport, events, seedPeers: [], seed: 1, ...opts}, comp, hooks)
  transport.onRequest((m, ctx) => host.clientRequest(ctx.from, m))
  await host.bind()
  await host.start()
  let stopped = false
  return {
    host,
    transport,
    events,
    dir,
    address: {id, host: '127.0.0.1', port: transport.address.port},
    async stop() {
      if (stopped) return
      stopped = true
      await host.stop()
      await transport.close()
      events.close()
    },
  }
}

/** A client endpoint of the client-request contract. */
export async function startClient(name = `client-test-${process.pid}-${Math.random().toString(16).slice(2, 8)}`): Promise<Transport> {
  return Transport.listen({id: name, listen: false})
}

export function out<M = unknown, E = unknown>(): Output<M, E> {
  return {send: [], timers: [], cancel: [], events: [], persist: []}
}

/** A core built from plain functions, for tests: each handler returns its output. */
export function core<M = unknown, E = unknown, C = unknown>(handlers: Partial<Omit<Core<M, E, C>, 'id'>>): (ctx: CoreContext) => Core<M, E, C> {
  return (ctx) => ({
    id: ctx.id,
    start: handlers.start ?? (() => out()),
    receive: handlers.receive ?? (() => out()),
    tick: handlers.tick ?? (() => out()),
    ...(handlers.command ? {command: handlers.command} : {}),
    ...(handlers.streamBroken ? {streamBroken: handlers.streamBroken} : {}),
  })
}

/** `dtk node run` as its own process (the lean launcher), on a kernel-chosen port; resolves once it listens. */
export async function spawnNode(id: string, args: string[] = []): Promise<{child: ChildProcess; address: PeerAddress; dir: string}> {
  const dir = tempDir(`proc-${id}`)
  const child = spawn(process.execPath, [runJs, 'node', 'run', '--id', id, '--port', '0', '--data-dir', dir, ...args], {stdio: ['ignore', 'ignore', 'pipe']})
  const port = await new Promise<number>((resolve, reject) => {
    let err = ''
    const timer = setTimeout(() => reject(new Error(`node ${id} did not start within 60 s: ${err}`)), 60_000)
    child.stderr!.on('data', (d) => {
      err += String(d)
      const m = / listening on [^ ]+:(\d+),/.exec(err)
      if (m) {
        clearTimeout(timer)
        resolve(Number(m[1]))
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`node ${id} exited (${code}) while starting: ${err}`))
    })
  })
  return {child, address: {id, host: '127.0.0.1', port}, dir}
}
