import type {Rng} from '../random/index.js'

/**
 * The simulated network's per-link behaviour. Every figure is in logical milliseconds or a
 * probability in [0, 1].
 */
export interface LinkOptions {
  /** Fixed one-way delay. Default 0.5 ms (a LAN hop). */
  baseDelay?: number
  /** Random extra delay: mean of an exponential, or the width of a uniform. Default 0.25 ms. */
  jitter?: number
  /** Shape of the jitter. Default `exponential` (rare long tails, like queueing). */
  jitterDistribution?: 'exponential' | 'uniform'
  /** Probability that a datagram (`udp`) is lost. `tcp` is never randomly lost. Default 0. */
  loss?: number
  /** Probability that a datagram (`udp`) is delivered twice. Default 0. */
  duplicate?: number
}

export type ResolvedLink = Required<LinkOptions>

export const defaultLink: ResolvedLink = {
  baseDelay: 0.5,
  jitter: 0.25,
  jitterDistribution: 'exponential',
  loss: 0,
  duplicate: 0,
}

export function resolveLink(o: LinkOptions | undefined, base: ResolvedLink = defaultLink): ResolvedLink {
  return {...base, ...stripUndefined(o ?? {})}
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const r: Partial<T> = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (r as Record<string, unknown>)[k] = v
  return r
}

/** One sampled delay for a message on `link`. */
export function sampleDelay(link: ResolvedLink, rng: Rng): number {
  if (link.jitter <= 0) return link.baseDelay
  const j = link.jitterDistribution === 'uniform' ? rng.next() * link.jitter : rng.exponential(link.jitter)
  return link.baseDelay + j
}
