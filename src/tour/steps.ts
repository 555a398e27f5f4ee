import {cluster, type ClusterRef, type NodeView, type PingReport} from '../cluster/index.js'
import {readEvents, type EventRecord} from '../events/index.js'
import type {Member} from '../gossip/index.js'
import type {MembersView} from '../node/roles/gossip/index.js'

/**
 * The tour is a list of steps, each doing one thing to a real cluster and returning what a person
 * should see. Later capabilities append their own steps here.
 */
export interface TourContext {
  ref: ClusterRef
  nodes: number
}

export interface StepResult {
  /** Short prose for people. */
  lines: string[]
  /** The node table after the step, when it changed. */
  nodes?: NodeView[]
  pings?: PingReport[]
  /** Membership events the step caused, in time order. */
  events?: EventRecord[]
}

export interface TourStep {
  id: string
  title: string
  run(ctx: TourContext): Promise<StepResult>
}

const victim = 'n3'

function pingLine(p: PingReport): string {
  return p.ok
    ? `${p.from} -> ${p.to}: reply in ${p.rttMs!.toFixed(2)} ms`
    : `${p.from} -> ${p.to}: no reply (${p.code!.toLowerCase().replace('_', ' ')} after ${Math.round(p.afterMs!)} ms)`
}

async function pings(ref: ClusterRef, pairs: Array<[string, string]>, timeoutMs = 500): Promise<PingReport[]> {
  return Promise.all(pairs.map(([a, b]) => cluster.ping(ref, a, b, timeoutMs)))
}

async function views(ref: ClusterRef): Promise<Array<{node: string; answer: MembersView}>> {
  return (await cluster.roleCallAll<MembersView>(ref, {op: 'members'})).answers
}

/** Polls the nodes' views until `done` holds for every answering node except `id` itself (bounded). */
async function until(ref: ClusterRef, id: string, done: (m: Member | undefined) => boolean, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const vs = (await views(ref)).filter((v) => v.node !== id)
    if (vs.length > 0 && vs.every((v) => done(v.answer.members.find((m) => m.id === id)))) return true
    await new Promise((r) => setTimeout(r, 100))
  }
  return false
}

/** Polls one node's view until it sees every one of `ids` in `state` (bounded). */
async function viewSettles(ref: ClusterRef, node: string, ids: string[], state: Member['state'], timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const v = await cluster.roleCall<MembersView>(ref, node, {op: 'members'})
    if (ids.every((id) => v.members.find((m) => m.id === id)?.state === state)) return true
    await new Promise((r) => setTimeout(r, 100))
  }
  return false
}

function memberEvents(ref: ClusterRef, since: number, about: string): EventRecord[] {
  return readEvents(cluster.eventFiles(ref)).filter((e) => e.ts >= since && e.type.startsWith('member.') && e.member === about)
}

function timeline(events: EventRecord[], t0: number): string[] {
  return events.map((e) => `  +${String(e.ts - t0).padStart(5)} ms  ${e.node} sees ${e.member} ${e.type.slice(7)}${e.by ? ` (raised by ${e.by})` : ''}${e.type === 'member.alive' ? ` at incarnation ${e.incarnation}` : ''}`)
}

export const tourSteps: TourStep[] = [
  {
    id: 'up',
    title: 'Start a cluster',
    async run({ref, nodes}) {
      await cluster.up({...ref, nodes, role: 'gossip', host: '127.0.0.1', nodeArgs: ['--detector', 'swim', '--profile', 'fast']})
      await until(ref, 'n1', (m) => m?.state === 'alive')
      const n5 = await cluster.roleCall<MembersView>(ref, 'n5', {op: 'members'})
      return {
        lines: [
          `Started ${nodes} node processes on 127.0.0.1. Each is a real \`dtk node run\` process with its own port, data dir and event log,`,
          `running SWIM failure detection over UDP (the "fast" profile: a probe every 200 ms). They joined through n1;`,
          `n5 now knows ${n5.members.filter((m) => m.state === 'alive').map((m) => m.id).join(', ')} as alive.`,
        ],
        nodes: cluster.status(ref),
      }
    },
  },
  {
    id: 'ping',
    title: 'Nodes talk through the transport',
    async run({ref}) {
      const res = await pings(ref, [['n1', 'n2'], ['n1', victim], ['n2', 'n5']])
      return {lines: ["Every node can reach every other: each ping is a request over dtk's TCP transport.", ...res.map(pingLine)], pings: res}
    },
  },
  {
    id: 'crash',
    title: `Crash ${victim}`,
    async run({ref}) {
      const t0 = Date.now()
      const c = await cluster.crash(ref, victim)
      const detected = await until(ref, victim, (m) => m?.state === 'dead')
      const evs = memberEvents(ref, t0, victim)
      return {
        lines: [
          `Sent SIGKILL to ${victim} (pid ${c.pid}): no goodbye, no flush, like pulling the plug. What the others saw:`,
          ...timeline(evs, t0),
          detected
            ? `A probe went unanswered, indirect probes through other nodes failed too, so ${victim} was suspected; the suspicion spread by gossip and, unrefuted, became "dead" on every survivor.`
            : `Not every survivor marked ${victim} dead within 20 s.`,
        ],
        nodes: cluster.status(ref),
        events: evs,
      }
    },
  },
  {
    id: 'restart',
    title: `Restart ${victim}`,
    async run({ref}) {
      const t0 = Date.now()
      const r = await cluster.restart(ref, victim)
      await until(ref, victim, (m) => m?.state === 'alive')
      const evs = memberEvents(ref, t0, victim)
      return {
        lines: [
          `${victim} is back as pid ${r.pid} on the same port ${r.port} with the same data dir. It rejoined, learned it had been declared dead, and refuted with a higher incarnation:`,
          ...timeline(evs, t0),
        ],
        nodes: cluster.status(ref),
        events: evs,
      }
    },
  },
  {
    id: 'partition',
    title: 'Partition the network',
    async run({ref}) {
      const t0 = Date.now()
      await cluster.partition(ref, ['n1,n2', 'n3,n4,n5'])
      const res = await pings(ref, [['n1', 'n2'], ['n1', 'n4'], ['n4', 'n5']])
      await viewSettles(ref, 'n1', ['n3', 'n4', 'n5'], 'dead')
      await viewSettles(ref, 'n4', ['n1', 'n2'], 'dead')
      const n1 = await cluster.roleCall<MembersView>(ref, 'n1', {op: 'members'})
      const t1 = Date.now()
      await cluster.heal(ref)
      const healed = await pings(ref, [['n1', 'n4']])
      const merged = (await viewSettles(ref, 'n1', ['n3', 'n4', 'n5'], 'alive')) && (await viewSettles(ref, 'n4', ['n1', 'n2'], 'alive'))
      return {
        lines: [
          'Cut the network into {n1, n2} | {n3, n4, n5}. Every process is up, but messages across the cut are dropped:',
          ...res.map(pingLine),
          `Each side soon declares the other dead. n1's view ${((t1 - t0) / 1000).toFixed(1)} s in: ${n1.members.map((m) => `${m.id} ${m.state}`).join(', ')}.`,
          'Healed the partition:',
          ...healed.map(pingLine),
          merged
            ? `Views merged again ${((Date.now() - t1) / 1000).toFixed(1)} s after the heal: nodes keep syncing state with "dead" members, and the first sync across merges the views.`
            : 'The views had not merged within 20 s.',
        ],
        pings: [...res, ...healed],
      }
    },
  },
  {
    id: 'delay',
    title: 'Slow links',
    async run({ref}) {
      await cluster.setFaults(ref, {delayMs: 40}, ['n1', 'n2'])
      const res = await pings(ref, [['n1', 'n2']], 1000)
      await cluster.clearFaults(ref)
      return {lines: ['Added 40 ms of delay to everything n1 and n2 send; a round trip between them now crosses two slow links:', ...res.map(pingLine)], pings: res}
    },
  },
  {
    id: 'down',
    title: 'Tear down',
    async run({ref}) {
      const d = await cluster.down({...ref, purge: false})
      return {lines: [`Stopped ${d.stopped.length} nodes with SIGTERM${d.killed.length ? `, SIGKILLed ${d.killed.join(', ')}` : ''}. Nothing is left running.`], nodes: cluster.status(ref)}
    },
  },
]
