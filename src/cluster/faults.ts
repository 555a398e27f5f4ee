import {DtkError} from '../errors/index.js'
import type {PingResult} from '../node/index.js'
import type {LinkFaults} from '../transport/index.js'
import {dirOf, record, type ClusterRef} from './context.js'
import {withClusterControl} from './control-client.js'
import {addLinkFaults, clearLinkFaults, parsePartition, rulesFor} from './network.js'
import {processState} from './procs.js'
import {assertWritable, findNode, requireState, saveState, type ClusterState} from './state.js'

/** Applying the cluster's network (partition, link faults) to running nodes, and looking through it. */
export interface NetworkChange {
  partition: string[][] | null
  /** Nodes that got their new rules; nodes that are down get them when they restart. */
  applied: string[]
  unreachable: string[]
}

async function pushRules(dir: string, state: ClusterState): Promise<Omit<NetworkChange, 'partition'>> {
  const applied: string[] = []
  const unreachable: string[] = []
  await withClusterControl(dir, async (c) => {
    await Promise.all(
      state.nodes.map(async (n) => {
        if (!n.remote && processState(n) !== 'up') {
          unreachable.push(n.id)
          return
        }
        const ok = await c.tryCall(n, {op: 'faults.replace', rules: rulesFor(state, n.id)}, 2000)
        ;(ok ? applied : unreachable).push(n.id)
      }),
    )
  })
  return {applied: applied.sort(), unreachable: unreachable.sort()}
}

export async function partition(ref: ClusterRef, sides: string[]): Promise<NetworkChange> {
  const dir = dirOf(ref)
  const state = requireState(dir, ref.name)
  assertWritable(dir)
  state.partition = parsePartition(sides, state.nodes.map((n) => n.id))
  saveState(dir, state)
  const pushed = await pushRules(dir, state)
  record(dir, 'fault.partition', {groups: state.partition})
  return {partition: state.partition, ...pushed}
}

export async function heal(ref: ClusterRef): Promise<NetworkChange> {
  const dir = dirOf(ref)
  const state = requireState(dir, ref.name)
  assertWritable(dir)
  state.partition = null
  saveState(dir, state)
  const pushed = await pushRules(dir, state)
  record(dir, 'fault.heal', {})
  return {partition: null, ...pushed}
}

function idsOrAll(state: ClusterState, ids: string[] | undefined, allowStar: boolean): string[] {
  if (!ids || ids.length === 0) return allowStar ? ['*'] : state.nodes.map((n) => n.id)
  for (const id of ids) findNode(state, id)
  return ids
}

export async function setFaults(ref: ClusterRef, faults: LinkFaults, from?: string[], to?: string[]): Promise<NetworkChange & {linkFaults: ClusterState['linkFaults']}> {
  const dir = dirOf(ref)
  const state = requireState(dir, ref.name)
  assertWritable(dir)
  addLinkFaults(state, idsOrAll(state, from, false), idsOrAll(state, to, true), faults)
  saveState(dir, state)
  const pushed = await pushRules(dir, state)
  record(dir, 'fault.set', {from: from ?? 'all', to: to ?? 'all', ...faults})
  return {partition: state.partition, ...pushed, linkFaults: state.linkFaults}
}

export async function clearFaults(ref: ClusterRef, from?: string[], to?: string[]): Promise<NetworkChange> {
  const dir = dirOf(ref)
  const state = requireState(dir, ref.name)
  assertWritable(dir)
  clearLinkFaults(state, from && idsOrAll(state, from, false), to && idsOrAll(state, to, true))
  saveState(dir, state)
  const pushed = await pushRules(dir, state)
  record(dir, 'fault.clear', {from: from ?? 'all', to: to ?? 'all'})
  return {partition: state.partition, ...pushed}
}

export function faultTable(ref: ClusterRef): {partition: string[][] | null; rules: Record<string, Record<string, LinkFaults>>} {
  const state = requireState(dirOf(ref), ref.name)
  const rules: Record<string, Record<string, LinkFaults>> = {}
  for (const n of state.nodes) {
    const r = rulesFor(state, n.id)
    if (Object.keys(r).length > 0) rules[n.id] = r
  }
  return {partition: state.partition, rules}
}

export interface PingReport extends Record<string, unknown> {
  from: string
  to: string
  ok: boolean
  rttMs?: number
  code?: string
  afterMs?: number
}

/** Node `from` sends an echo request to `to` through its own transport, faults and all. */
export async function ping(ref: ClusterRef, from: string, to: string, timeoutMs: number): Promise<PingReport> {
  const state = requireState(dirOf(ref), ref.name)
  const a = findNode(state, from)
  const b = findNode(state, to)
  if (!a.remote && processState(a) !== 'up') throw new DtkError(`node ${from} is ${processState(a)}: it cannot send`)
  const res = await withClusterControl(dirOf(ref), (c) =>
    c.call<PingResult>(a, {op: 'ping', target: {id: b.id, host: b.host, port: b.port}, timeoutMs}, timeoutMs + 3000),
  )
  return res.ok ? {from, to, ok: true, rttMs: res.rttMs} : {from, to, ok: false, code: res.code, afterMs: res.afterMs}
}

/** Registers a node that runs elsewhere (another host or network namespace) by its address. */
