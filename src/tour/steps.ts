import {cluster, type ClusterRef, type NodeView, type PingReport} from '../cluster/index.js'

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
}

export interface TourStep {
  id: string
  title: string
  run(ctx: TourContext): Promise<StepResult>
}

function pingLine(p: PingReport): string {
  return p.ok ? `${p.from} -> ${p.to}: reply in ${p.rttMs!.toFixed(2)} ms` : `${p.from} -> ${p.to}: no reply (${p.code!.toLowerCase().replace('_', ' ')} after ${Math.round(p.afterMs!)} ms)`
}

async function pings(ref: ClusterRef, pairs: Array<[string, string]>, timeoutMs = 500): Promise<PingReport[]> {
  return Promise.all(pairs.map(([a, b]) => cluster.ping(ref, a, b, timeoutMs)))
}

const victim = 'n3'

export const tourSteps: TourStep[] = [
  {
    id: 'up',
    title: 'Start a cluster',
    async run({ref, nodes}) {
      await cluster.up({...ref, nodes, role: 'echo', host: '127.0.0.1'})
      const view = cluster.status(ref)
      return {
        lines: [`Started ${nodes} node processes on 127.0.0.1. Each is a real \`dtk node run\` process with its own port, data dir and event log.`],
        nodes: view,
      }
    },
  },
  {
    id: 'ping',
    title: 'Nodes talk through the transport',
    async run({ref}) {
      const res = await pings(ref, [['n1', 'n2'], ['n1', victim], ['n2', 'n5']])
      return {lines: ['Every node can reach every other: each ping is a request over dtk\'s TCP transport.', ...res.map(pingLine)], pings: res}
    },
  },
  {
    id: 'crash',
    title: `Crash ${victim}`,
    async run({ref}) {
      const c = await cluster.crash(ref, victim)
      const others = cluster.status(ref).filter((n) => n.id !== victim && n.state === 'up').map((n) => n.id)
      const res = await pings(ref, others.map((id) => [id, victim] as [string, string]))
      return {
        lines: [
          `Sent SIGKILL to ${victim} (pid ${c.pid}): no goodbye, no flush, like pulling the plug.`,
          `What the others see when they try to reach it:`,
          ...res.map(pingLine),
          `A failure detector (dtk's gossip roles) turns these silences into "${victim} is dead".`,
        ],
        nodes: cluster.status(ref),
        pings: res,
      }
    },
  },
  {
    id: 'restart',
    title: `Restart ${victim}`,
    async run({ref}) {
      const r = await cluster.restart(ref, victim)
      const res = await pings(ref, [['n1', victim]])
      return {lines: [`${victim} is back as pid ${r.pid} on the same port ${r.port} with the same data dir.`, ...res.map(pingLine)], nodes: cluster.status(ref), pings: res}
    },
  },
  {
    id: 'partition',
    title: 'Partition the network',
    async run({ref}) {
      await cluster.partition(ref, ['n1,n2', 'n3,n4,n5'])
      const res = await pings(ref, [['n1', 'n2'], ['n1', 'n4'], ['n4', 'n5']])
      await cluster.heal(ref)
      const healed = await pings(ref, [['n1', 'n4']])
      return {
        lines: [
          'Cut the network into {n1, n2} | {n3, n4, n5}. Every process is up, but messages across the cut are dropped:',
          ...res.map(pingLine),
          'Healed the partition:',
          ...healed.map(pingLine),
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
