import {DtkError} from '../errors/index.js'
import type {NodeStatus} from '../node/index.js'
import {dirOf, type ClusterRef} from './context.js'
import {withClusterControl} from './control-client.js'
import {processState} from './procs.js'
import {requireState} from './state.js'

/**
 * Watching a shard cluster rebalance (docs/shard.md, "On real processes"): every node that runs is
 * asked for its status a few times a second; the moves' totals (keys acknowledged durably by
 * receivers) are summed into one progress figure, and the rebalance is over when every node says
 * it is settled on the same ring, of the expected size. `dtk cluster join` and `dtk cluster leave`
 * wait on this for shard nodes.
 */
export interface RebalanceProgress {
  /** Keys acknowledged by receivers since the watch began, and the keys of the moves begun since. */
  moved: number
  planned: number
  moves: number
  settled: number
  nodes: number
  elapsedMs: number
}

interface ShardView {
  shard?: {settled: boolean; ring: string; members: number}
  moves?: {sent: number; planned: number; movesStarted: number}
}

export interface WatchOptions {
  timeoutMs: number
  /** Ring members expected once settled (every node of the cluster's record). */
  members?: number
  /** Until this is true too (a leaver's `left`). */
  until?: () => Promise<boolean>
  onProgress?: (p: RebalanceProgress) => void
  intervalMs?: number
  /** Each node's move counters before the change (`moveCounters`), so moves begun before the first poll count too. */
  base?: Map<string, MoveBase>
}

type MoveBase = {sent: number; planned: number; moves: number}

/** Every running shard node's move counters now, keyed by node and pid (a restart starts them again). */
export async function moveCounters(ref: ClusterRef): Promise<Map<string, MoveBase>> {
  const dir = dirOf(ref)
  const base = new Map<string, MoveBase>()
  const state = requireState(dir, ref.name)
  await withClusterControl(dir, async (c) => {
    for (const n of state.nodes.filter((x) => x.remote || processState(x) === 'up')) {
      const st = await c.tryCall<NodeStatus>(n, {op: 'status'}, 1000)
      const v = st?.roleStatus as ShardView | undefined
      if (v?.moves) base.set(`${n.id}/${st!.pid}`, {sent: v.moves.sent, planned: v.moves.planned, moves: v.moves.movesStarted})
    }
  })
  return base
}

export async function watchRebalance(ref: ClusterRef, opts: WatchOptions): Promise<RebalanceProgress> {
  const dir = dirOf(ref)
  const t0 = Date.now()
  const base = new Map(opts.base ?? [])
  let last: RebalanceProgress = {moved: 0, planned: 0, moves: 0, settled: 0, nodes: 0, elapsedMs: 0}
  return withClusterControl(dir, async (c) => {
    for (;;) {
      const state = requireState(dir, ref.name)
      const nodes = state.nodes.filter((n) => n.remote || processState(n) === 'up')
      const views = await Promise.all(nodes.map(async (n) => ({n, st: await c.tryCall<NodeStatus>(n, {op: 'status'}, 1000)})))
      let moved = 0
      let planned = 0
      let moves = 0
      let settled = 0
      const rings = new Set<string>()
      let sized = true
      for (const {n, st} of views) {
        const v = st?.roleStatus as ShardView | undefined
        if (!v?.shard || !v.moves) continue
        // A node first seen now (a new one, or restarted: its counters start again at 0) counts from 0 unless a base was given for it.
        const b = base.get(`${n.id}/${st!.pid}`) ?? (opts.base ? {sent: 0, planned: 0, moves: 0} : {sent: v.moves.sent, planned: v.moves.planned, moves: v.moves.movesStarted})
        base.set(`${n.id}/${st!.pid}`, b)
        moved += v.moves.sent - b.sent
        planned += v.moves.planned - b.planned
        moves += v.moves.movesStarted - b.moves
        if (v.shard.settled) settled++
        rings.add(v.shard.ring)
        if (opts.members !== undefined && v.shard.members !== opts.members) sized = false
      }
      last = {moved, planned: Math.max(planned, moved), moves, settled, nodes: nodes.length, elapsedMs: Date.now() - t0}
      opts.onProgress?.(last)
      const answered = views.filter((v) => v.st !== undefined).length
      // Not before the first planning round could have seen the change (settle is 1 s by default).
      const done = answered === nodes.length && settled === nodes.length && rings.size === 1 && sized && Date.now() - t0 > 1500 && (opts.until ? await opts.until() : true)
      if (done) return last
      if (Date.now() - t0 > opts.timeoutMs) throw new DtkError(`the rebalance did not finish within ${opts.timeoutMs} ms (${settled} of ${nodes.length} nodes settled, ${moved} keys moved); it goes on: watch it with dtk cluster events --type shard`)
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250))
    }
  })
}

/** One line for a terminal: `[#####-----] 12345/33000 keys moved  4 of 6 nodes settled`. */
export function rebalanceLine(p: RebalanceProgress): string {
  const width = 20
  const frac = p.planned > 0 ? Math.min(1, p.moved / p.planned) : 0
  const filled = Math.round(frac * width)
  const rate = p.elapsedMs > 0 ? Math.round((p.moved / p.elapsedMs) * 1000) : 0
  return `rebalancing [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.moved}/${p.planned} keys moved (${p.moves} moves, ${rate} keys/s)  ${p.settled} of ${p.nodes} nodes settled`
}
