import type {DropReason, TraceChannel, TraceRecord, TraceSink} from '../../trace/index.js'

/** Stream messages remembered per peer, to name the ones a break lost (the transport counts them). */
const RECENT_STREAM = 4096
/** Sequence numbers remembered per sender, to flag a duplicated datagram's second copy. */
const RECENT_SEEN = 256
/** Peers remembered for either (a stranger beyond this evicts the oldest). */
const MAX_PEERS = 1024

/**
 * What a real node can know for its trace, beyond what it does itself (docs/trace.md, Traces of
 * real nodes): which of its stream messages a break lost (the transport says how many of its
 * queued one-way frames it dropped; they are the last ones sent to that peer on that link), and
 * whether a datagram is the second copy of one already delivered. Both are bounded tables, kept
 * only while tracing: an untraced node pays nothing.
 */
export class HostTracer {
  private readonly recent = new Map<string, {ids: string[]; cores: string[]}>()
  private readonly seen = new Map<string, {seqs: number[]; at: number}>()
  /** Stream link generation per peer: what `conn` names in send records. */
  private readonly links = new Map<string, number>()

  constructor(
    readonly sink: TraceSink,
    readonly node: string,
    /** Global time of a record: the node's wall clock. */
    readonly t: () => number,
  ) {}

  record(r: TraceRecord): void {
    this.sink.record(r)
  }

  /** The current link generation toward `peer` (1 until its first break). */
  conn(peer: string): number {
    return this.links.get(peer) ?? 1
  }

  /** A stream message to `peer` left: remembered until the link breaks or it ages out. */
  noteStream(peer: string, id: string, core: string): void {
    let r = this.recent.get(peer)
    if (r === undefined) {
      if (this.recent.size >= MAX_PEERS) this.recent.delete(this.recent.keys().next().value as string)
      r = {ids: [], cores: []}
      this.recent.set(peer, r)
    }
    r.ids.push(id)
    r.cores.push(core)
    if (r.ids.length > RECENT_STREAM * 2) {
      r.ids.splice(0, RECENT_STREAM)
      r.cores.splice(0, RECENT_STREAM)
    }
  }

  /**
   * The outbound link to `peer` broke, losing `lost` queued messages: records a drop for each of
   * the last `lost` stream messages sent to it (as many as are remembered), and starts the next
   * link generation.
   */
  lostOnBreak(peer: string, lost: number, reason: DropReason): void {
    this.links.set(peer, this.conn(peer) + 1)
    const r = this.recent.get(peer)
    this.recent.delete(peer)
    if (r === undefined || lost <= 0) return
    const from = Math.max(0, r.ids.length - lost)
    const t = this.t()
    for (let i = from; i < r.ids.length; i++) {
      this.record({k: 'drop', t, node: peer, core: r.cores[i]!, id: r.ids[i]!, from: this.node, ch: 'stream', reason})
    }
  }

  /** True when datagram `seq` of `from` was delivered before (its second copy). */
  isDuplicate(from: string, seq: number): boolean {
    let s = this.seen.get(from)
    if (s === undefined) {
      if (this.seen.size >= MAX_PEERS) this.seen.delete(this.seen.keys().next().value as string)
      s = {seqs: new Array<number>(RECENT_SEEN).fill(-1), at: 0}
      this.seen.set(from, s)
    }
    if (s.seqs.includes(seq)) return true
    s.seqs[s.at] = seq
    s.at = (s.at + 1) % RECENT_SEEN
    return false
  }

  drop(to: string, core: string, id: string, from: string, ch: TraceChannel, reason: DropReason): void {
    this.record({k: 'drop', t: this.t(), node: to, core, id, from, ch, reason})
  }
}
