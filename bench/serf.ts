/**
 * HashiCorp Serf as the baseline of bench/gossip-real.ts: N `serf agent` processes on 127.0.0.1,
 * every one but the first joining through the first, each with an event-handler script that
 * appends `<epoch s.ns> <self> <event> <members…>` to a file of its own.
 *
 * Why the agents' stdout is read too: the agent feeds every consumer (handlers and RPC streams
 * alike) through Serf's member-event coalescer (CoalescePeriod 3 s, QuiescentPeriod 1 s, fixed in
 * the agent), so a handler runs 1–3 s after the agent's member list changed. Serf's own log line
 * `serf: EventMemberFailed: <name>` is written the moment the list changes; its printed time has
 * only seconds, but the moment it reaches this process through the pipe has milliseconds. Those
 * arrival times are what the procedure uses; the handler records are kept as a cross-check.
 */
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {chmodSync, existsSync, readFileSync, writeFileSync} from 'node:fs'
import {createSocket} from 'node:dgram'
import {createServer, type Server} from 'node:net'
import {join} from 'node:path'

export type Kind = 'start' | 'join' | 'alive' | 'suspect' | 'dead' | 'leave'

/** One membership observation: `observer` saw `member` become `kind` at wall-clock ms `ts`. */
export interface Obs {
  ts: number
  kind: Kind
  member: string
}

export function serfInstalled(): boolean {
  const r = spawnSync('serf', ['version'], {stdio: 'ignore'})
  return !r.error && r.status === 0
}

/** `count` ports free for TCP and UDP on `host` right now (held together so none repeats). */
export async function freePorts(host: string, count: number): Promise<number[]> {
  const held: Array<{close: () => void}> = []
  const ports: number[] = []
  try {
    for (let tries = 0; ports.length < count && tries < count * 20; tries++) {
      const srv: Server = createServer()
      const port = await new Promise<number | undefined>((resolve) => {
        srv.once('error', () => resolve(undefined))
        srv.listen({host, port: 0, exclusive: true}, () => {
          const a = srv.address()
          resolve(typeof a === 'object' && a ? a.port : undefined)
        })
      })
      if (port === undefined) continue
      held.push({close: () => srv.close()})
      const udp = createSocket('udp4')
      const ok = await new Promise<boolean>((resolve) => {
        udp.once('error', () => resolve(false))
        udp.bind({address: host, port, exclusive: true}, () => resolve(true))
      })
      if (ok) {
        held.push({close: () => udp.close()})
        ports.push(port)
      } else udp.close()
    }
  } finally {
    for (const h of held) h.close()
  }
  if (ports.length < count) throw new Error(`could not find ${count} free ports on ${host}`)
  return ports
}

export interface SerfAgent {
  name: string
  port: number
  rpcPort: number
  proc: ChildProcess
  pid: number
  /** Wall ms when its "==> Starting Serf agent..." line arrived. */
  startedAt?: number
  exited?: {code: number | null; signal: string | null; at: number}
  obs: Obs[]
  tail: string[]
}

const LINE = /\[INFO\] serf: EventMember(Join|Failed|Leave|Reap): (\S+)/
/** memberlist logs a suspicion only on the member whose probe failed, not where it is gossiped. */
const SUSPECT = /\[INFO\] memberlist: Suspect (\S+) has failed/

export class SerfCluster {
  readonly agents: SerfAgent[] = []
  private readonly onExit = () => this.killAllSync()

  constructor(
    private readonly dir: string,
    private readonly host = '127.0.0.1',
  ) {
    process.on('exit', this.onExit)
  }

  get handlerScript(): string {
    return join(this.dir, 'handler.sh')
  }

  private writeHandler(): void {
    // stdin: one member a line, "name<TAB>address<TAB>role<TAB>tags"; only the names are kept.
    const script = [
      '#!/bin/sh',
      'ts=$(date +%s.%N)',
      `names=$(awk '{printf "%s ", $1}')`,
      `printf '%s %s %s %s\\n' "$ts" "$SERF_SELF_NAME" "$SERF_EVENT" "$names" >> '${this.dir}/handler-'"$SERF_SELF_NAME"'.log'`,
      '',
    ].join('\n')
    writeFileSync(this.handlerScript, script)
    chmodSync(this.handlerScript, 0o755)
  }

  private spawnAgent(i: number, port: number, rpcPort: number, seedPort: number | undefined, profile: string): SerfAgent {
    const name = `s${i + 1}`
    const args = ['agent', `-node=${name}`, `-bind=${this.host}:${port}`, `-rpc-addr=${this.host}:${rpcPort}`, `-profile=${profile}`]
    args.push(`-event-handler=${this.handlerScript}`, '-log-level=info')
    if (seedPort !== undefined) args.push(`-join=${this.host}:${seedPort}`)
    const proc = spawn('serf', args, {cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe']})
    if (!proc.pid) throw new Error(`could not start serf agent ${name}`)
    const agent: SerfAgent = {name, port, rpcPort, proc, pid: proc.pid, obs: [], tail: []}
    let rest = ''
    const onData = (chunk: Buffer) => {
      const ts = Date.now()
      const lines = (rest + chunk.toString('utf8')).split('\n')
      rest = lines.pop() ?? ''
      for (const line of lines) {
        agent.tail.push(line)
        if (agent.tail.length > 20) agent.tail.shift()
        if (agent.startedAt === undefined && line.startsWith('==> Starting Serf agent...')) {
          agent.startedAt = ts
          agent.obs.push({ts, kind: 'start', member: name})
          continue
        }
        const sus = SUSPECT.exec(line)
        if (sus) {
          agent.obs.push({ts, kind: 'suspect', member: sus[1]!})
          continue
        }
        const m = LINE.exec(line)
        if (!m) continue
        const kind: Kind = m[1] === 'Join' ? 'join' : m[1] === 'Failed' ? 'dead' : 'leave'
        agent.obs.push({ts, kind, member: m[2]!})
      }
    }
    proc.stdout!.on('data', onData)
    proc.stderr!.on('data', onData)
    proc.on('exit', (code, signal) => (agent.exited = {code, signal, at: Date.now()}))
    this.agents.push(agent)
    return agent
  }

  /**
   * Starts the first agent, waits until it runs (a `-join` to nobody makes an agent exit), then
   * all the others at once. Returns the wall ms just before the first spawn.
   */
  async start(n: number, profile: string, deadlineMs: number): Promise<void> {
    this.writeHandler()
    const ports = await freePorts(this.host, 2 * n)
    const first = this.spawnAgent(0, ports[0]!, ports[n]!, undefined, profile)
    const until = Date.now() + 10_000
    while (!first.tail.some((l) => l.includes('Serf agent running')) && Date.now() < until) {
      if (first.exited) throw new Error(`serf agent s1 exited: ${first.tail.join('\n')}`)
      await sleep(5)
    }
    if (first.exited || !first.tail.some((l) => l.includes('Serf agent running'))) throw new Error(`serf agent s1 did not start:\n${first.tail.join('\n')}`)
    for (let i = 1; i < n; i++) this.spawnAgent(i, ports[i]!, ports[n + i]!, ports[0]!, profile)
    const end = Date.now() + deadlineMs
    while (this.agents.some((a) => a.startedAt === undefined && !a.exited) && Date.now() < end) await sleep(10)
    const dead = this.agents.filter((a) => a.exited)
    if (dead.length > 0) throw new Error(`serf agents exited while starting: ${dead.map((a) => `${a.name}: ${a.tail.slice(-3).join(' | ')}`).join('; ')}`)
  }

  /** Handler records of one agent: [wall ms, event, member names]. */
  handlerRecords(name: string): Array<{ts: number; event: string; members: string[]}> {
    const file = join(this.dir, `handler-${name}.log`)
    if (!existsSync(file)) return []
    const out: Array<{ts: number; event: string; members: string[]}> = []
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [ts, , event, ...members] = line.trim().split(/\s+/)
      if (!ts || !event) continue
      out.push({ts: Math.round(Number(ts) * 1000), event, members: members.filter(Boolean)})
    }
    return out
  }

  killAllSync(): void {
    for (const a of this.agents) {
      if (a.exited) continue
      try {
        process.kill(a.pid, 'SIGKILL')
      } catch {
        // gone already
      }
    }
  }

  async stop(): Promise<void> {
    this.killAllSync()
    const until = Date.now() + 3000
    while (this.agents.some((a) => !a.exited) && Date.now() < until) await sleep(20)
    for (const a of this.agents) {
      a.proc.stdout?.destroy()
      a.proc.stderr?.destroy()
    }
    process.off('exit', this.onExit)
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
