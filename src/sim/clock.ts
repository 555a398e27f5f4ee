import type {Rng} from '../random/index.js'

/**
 * Simulated node clocks. Node i reads `local = global · (1 + drift) + offset`: a fixed offset
 * (where its clock stood at global time 0) and a drift (a rate error: 1e-4 gains 0.1 ms per
 * second). Cores see only local time and ask for timers in it; the simulator converts a timer's
 * local instant back to global time, and never lets a node's clock go backwards or a timer fire
 * before the local instant it asked for (rounding included). A node keeps its clock across
 * crashes and restarts, like the hardware clock it stands for.
 */
export interface ClockOptions {
  /** Local time at global time 0, ms. Default 0. */
  offset?: number
  /** Rate error, a fraction (1e-4 = 100 ppm); must be > −1. Default 0. */
  drift?: number
}

/** Seeded skew for every node: offset uniform in [0, maxOffset], drift uniform in [−maxDrift, maxDrift]. */
export interface ClockSkewOptions {
  maxOffset?: number
  maxDrift?: number
}

export interface NodeClock {
  offset: number
  rate: number
}

export const idealClock: NodeClock = {offset: 0, rate: 1}

export function makeClock(o: ClockOptions): NodeClock {
  const drift = o.drift ?? 0
  if (!(drift > -1) || !Number.isFinite(o.offset ?? 0)) throw new Error('sim: a clock needs a finite offset and a drift > −1')
  return {offset: o.offset ?? 0, rate: 1 + drift}
}

/** A node's clock drawn from its own stream (`clock:<id>`), or the ideal clock without skew. */
export function skewedClock(skew: ClockSkewOptions | undefined, rng: () => Rng): NodeClock {
  const maxOffset = skew?.maxOffset ?? 0
  const maxDrift = skew?.maxDrift ?? 0
  if (maxOffset === 0 && maxDrift === 0) return idealClock
  if (!(maxOffset >= 0) || !(maxDrift >= 0 && maxDrift < 1)) throw new Error('sim: clock skew needs maxOffset ≥ 0 and 0 ≤ maxDrift < 1')
  const r = rng()
  return makeClock({offset: r.next() * maxOffset, drift: (2 * r.next() - 1) * maxDrift})
}
