import type {TraceRecord} from '../../src/trace/index.js'

type Send = Extract<TraceRecord, {k: 'send'}>
type Deliver = Extract<TraceRecord, {k: 'deliver'}>
type Drop = Extract<TraceRecord, {k: 'drop'}>

export interface TraceVerdict {
  violations: string[]
  sends: number
  delivers: number
  drops: Record<string, number>
  duplicates: number
  /** Sends with neither a delivery nor a drop, accepted, by why. */
  unresolved: Record<string, number>
}

/**
 * The trace invariants of docs/trace.md, for traces of real nodes merged together (one file per
 * node). What a real trace cannot know is accepted, and counted by why:
 *
 * - every `deliver` of a message from a traced node has a `send` with the same id, from that
 *   node to this one and core, with a smaller Lamport clock; an id is delivered at most once
 *   without `dup`, and a `dup` copy only after it;
 * - every `drop` names a message some traced node sent;
 * - every `send` to a traced node ends in a `deliver` or a `drop`, or else the receiver
 *   (re)started after it (`receiver-restarted`: it was down or booting), its trace ends within
 *   `graceMs` of it (`run-ended`: it stopped with the message in flight), or, for a stream, the
 *   link between the two broke after it (`stream-broken`: the transport lost it with frames
 *   already written, which it cannot count). Sends to untraced endpoints (clients) are not
 *   checked. A datagram lost inside the kernel would show here as a violation: on loopback,
 *   at these rates, none is.
 */
export function checkTraces(records: TraceRecord[], graceMs = 500): TraceVerdict {
  const nodes = new Set<string>()
  for (const r of records) if (r.k === 'start' || r.k === 'restart') nodes.add(r.node)
  const sends = new Map<string, Send>()
  const delivered = new Map<string, number>()
  const dropped = new Set<string>()
  const v: TraceVerdict = {violations: [], sends: 0, delivers: 0, drops: {}, duplicates: 0, unresolved: {}}
  const lastAt = new Map<string, number>()
  const starts = new Map<string, number[]>()
  const breaks: Array<{a: string; b: string; t: number}> = []
  for (const r of records) {
    // A drop's `node` is the intended receiver, but its sender wrote it: it says nothing of the receiver.
    if (r.k !== 'drop' && r.k !== 'fault') lastAt.set(r.node, Math.max(lastAt.get(r.node) ?? 0, r.t))
    if (r.k === 'send') {
      if (sends.has(r.id)) v.violations.push(`id ${r.id} sent twice`)
      sends.set(r.id, r)
      v.sends++
    } else if (r.k === 'start' || r.k === 'restart') starts.set(r.node, [...(starts.get(r.node) ?? []), r.t])
    else if (r.k === 'break' || r.k === 'stream-broken') breaks.push({a: r.node, b: r.peer, t: r.t})
  }
  for (const r of records) {
    if (r.k === 'deliver') {
      v.delivers++
      const d = r as Deliver
      if (!nodes.has(d.from)) continue
      const s = sends.get(d.id)
      if (!s) {
        v.violations.push(`deliver ${d.id} at ${d.node} has no send`)
        continue
      }
      if (s.node !== d.from || s.to !== d.node || s.core !== d.core) v.violations.push(`deliver ${d.id}: sent ${s.node}→${s.to}/${s.core}, delivered ${d.from}→${d.node}/${d.core}`)
      if (!(d.lc > s.lc)) v.violations.push(`deliver ${d.id}: Lamport clock ${d.lc} not above its send's ${s.lc}`)
      const n = delivered.get(d.id) ?? 0
      if (d.dup) {
        v.duplicates++
        if (n === 0) v.violations.push(`deliver ${d.id} flagged dup before any copy was delivered`)
      } else if (n > 0) v.violations.push(`deliver ${d.id} delivered twice without dup`)
      delivered.set(d.id, n + 1)
    } else if (r.k === 'drop') {
      const d = r as Drop
      v.drops[d.reason] = (v.drops[d.reason] ?? 0) + 1
      if (nodes.has(d.from) && !sends.has(d.id)) v.violations.push(`drop ${d.id} has no send`)
      dropped.add(d.id)
    }
  }
  for (const s of sends.values()) {
    if (!nodes.has(s.to) || delivered.has(s.id) || dropped.has(s.id)) continue
    let why: string | null = null
    if ((starts.get(s.to) ?? []).some((t) => t >= s.t)) why = 'receiver-restarted'
    else if ((lastAt.get(s.to) ?? 0) < s.t + graceMs) why = 'run-ended'
    else if (s.ch === 'stream' && breaks.some((b) => b.t >= s.t && ((b.a === s.node && b.b === s.to) || (b.a === s.to && b.b === s.node)))) why = 'stream-broken'
    if (why === null) v.violations.push(`send ${s.id} ${s.node}→${s.to} (${s.ch}, t=${s.t.toFixed(1)}) was neither delivered nor dropped`)
    else v.unresolved[why] = (v.unresolved[why] ?? 0) + 1
  }
  return v
}
