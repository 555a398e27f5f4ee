import type {NodeId} from '../core/index.js'

/**
 * Lifeguard's dynamic suspicion timeout ("Local Health Aware Suspicion", Lifeguard paper, section "Local Health Aware Suspicion";
 * memberlist suspicion.go). A suspicion starts with the longest timeout and shrinks towards the
 * shortest as other members independently confirm it: one node's local trouble then cannot kill
 * a healthy peer quickly, while a real failure seen by many is declared fast.
 */

export interface SuspicionBounds {
  /** SuspicionMult · max(1, log10(N)) · ProbeInterval. */
  min: number
  /** SuspicionMaxTimeoutMult · min. */
  max: number
  /** Independent confirmations wanted: SuspicionMult − 2, or 0 when N − 2 < that. */
  k: number
}

/** memberlist's suspicionTimeout + suspectNode bounds for a cluster of `n` nodes (self included). */
export function suspicionBounds(n: number, probeInterval: number, suspicionMult: number, maxTimeoutMult: number): SuspicionBounds {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)))
  // memberlist truncates nodeScale·1000 to whole milliseconds-per-second before multiplying.
  const min = (suspicionMult * Math.floor(nodeScale * 1000) * probeInterval) / 1000
  // "we set up k such that we hit the nominal timeout two probe intervals short of what we
  // expect given the suspicion multiplier"; minus 2 takes out ourselves and the suspect.
  let k = suspicionMult - 2
  if (n - 2 < k) k = 0
  return {min, max: maxTimeoutMult * min, k: Math.max(0, k)}
}

/** Total timeout after `c` confirmations: max − (max − min)·log(c + 1)/log(k + 1), floored at min. */
export function suspicionTimeout(c: number, b: SuspicionBounds): number {
  if (b.k < 1) return b.min
  const frac = Math.log(c + 1) / Math.log(b.k + 1)
  const raw = b.max - frac * (b.max - b.min)
  const t = Math.floor(raw)
  return t < b.min ? b.min : t
}

/** One open suspicion of one member. Sans-IO: it only computes the deadline; the core owns the timer. */
export class Suspicion {
  private readonly confirmations = new Set<NodeId>()
  private n = 0

  constructor(
    /** Who raised it (not counted as a confirmation). */
    readonly from: NodeId,
    readonly start: number,
    readonly bounds: SuspicionBounds,
  ) {
    this.confirmations.add(from)
  }

  get confirmationCount(): number {
    return this.n
  }

  /** Absolute logical time at which the member should be declared dead. */
  deadline(): number {
    return this.start + (this.bounds.k < 1 ? this.bounds.min : suspicionTimeout(this.n, this.bounds))
  }

  /** Counts an independent confirmation; true when it was new (and the deadline moved earlier). */
  confirm(from: NodeId): boolean {
    if (this.n >= this.bounds.k || this.confirmations.has(from)) return false
    this.confirmations.add(from)
    this.n++
    return true
  }
}
