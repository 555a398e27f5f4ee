/**
 * Per-link fault rules, decided on the sending side. Randomness comes from a seeded PRNG of our
 * own so that a test or a simulation replaying the same calls sees the same fate for every message.
 *
 * One rule serves both channels of src/core (a datagram may be lost, duplicated or reordered; a
 * stream is FIFO and can only break as a whole), read differently by each:
 *
 * | field | UDP datagram (`plan`) | TCP stream (`streamDelay`, `isCut`) |
 * |---|---|---|
 * | drop | lost with probability p | the stream *breaks* at this frame with probability p |
 * | delayMs, jitterMs | delivered after delay + U[0, jitter) | same, but never before a frame queued earlier |
 * | duplicate | a second copy with probability p | ignored: a stream never duplicates |
 * | block | lost | held (the stream stalls) until the rule is cleared |
 */

export interface LinkFaults {
  /** Datagrams: probability 0..1 that one is lost. Streams: that the stream breaks at a frame. */
  drop?: number
  /** Fixed delay before delivery. */
  delayMs?: number
  /** Extra uniform delay in [0, jitterMs). */
  jitterMs?: number
  /** Datagrams only: probability 0..1 that one is delivered twice. */
  duplicate?: number
  /** A cut of this direction: datagrams are lost, stream frames are held until it is cleared. */
  block?: boolean
}

/** mulberry32: 32 bits of state is plenty for fault decisions, and it is tiny and fast. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0)
const nonNeg = (x: number) => (Number.isFinite(x) ? Math.max(0, x) : 0)

function normalize(f: LinkFaults): LinkFaults {
  const out: LinkFaults = {}
  if (f.drop !== undefined) out.drop = clamp01(f.drop)
  if (f.delayMs !== undefined) out.delayMs = nonNeg(f.delayMs)
  if (f.jitterMs !== undefined) out.jitterMs = nonNeg(f.jitterMs)
  if (f.duplicate !== undefined) out.duplicate = clamp01(f.duplicate)
  if (f.block !== undefined) out.block = !!f.block
  return out
}

export class FaultController {
  private readonly rules = new Map<string, LinkFaults>()
  private readonly rand: () => number
  private readonly listeners = new Set<() => void>()

  constructor(seed?: number) {
    this.rand = mulberry32(seed ?? (Math.random() * 2 ** 32) >>> 0)
  }

  /** True when any rule exists; lets the hot path skip plan() entirely. */
  get active(): boolean {
    return this.rules.size > 0
  }

  /** Merges into the rule for `to` ('*' = every peer; a peer's own fields win over '*'). */
  set(to: string, faults: LinkFaults): void {
    this.rules.set(to, {...this.rules.get(to), ...normalize(faults)})
    this.changed()
  }

  clear(to?: string): void {
    if (to === undefined) this.rules.clear()
    else this.rules.delete(to)
    this.changed()
  }

  /** Calls `fn` after every set/clear (a transport re-checks its held streams); returns an unsubscribe. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  private changed(): void {
    for (const fn of this.listeners) fn()
  }

  private rule(to: string): LinkFaults | undefined {
    const own = this.rules.get(to)
    const all = this.rules.get('*')
    if (own === undefined) return all
    return all === undefined ? own : {...all, ...own}
  }

  /** Streams: whether frames toward `to` are held by a cut. */
  isCut(to: string): boolean {
    return this.rule(to)?.block === true
  }

  /**
   * Streams: the delay in ms for the next frame toward `to` (the stream keeps FIFO whatever the
   * delays), or -1 when the stream is to break at this frame (`drop`). `duplicate` does not apply.
   */
  streamDelay(to: string): number {
    const f = this.rule(to)
    if (f === undefined) return 0
    if (f.drop && this.rand() < f.drop) return -1
    return (f.delayMs ?? 0) + (f.jitterMs ? this.rand() * f.jitterMs : 0)
  }

  snapshot(): Record<string, LinkFaults> {
    const out: Record<string, LinkFaults> = {}
    for (const [k, v] of this.rules) out[k] = {...v}
    return out
  }

  /** Datagrams: delays in ms at which to deliver copies of one datagram to `to`; [] means lost. */
  plan(to: string): number[] {
    const f = this.rule(to)
    if (f === undefined) return [0]
    if (f.block) return []
    if (f.drop && this.rand() < f.drop) return []
    const copies = f.duplicate && this.rand() < f.duplicate ? 2 : 1
    const out: number[] = []
    for (let i = 0; i < copies; i++) out.push((f.delayMs ?? 0) + (f.jitterMs ? this.rand() * f.jitterMs : 0))
    return out
  }
}
