import {checkSwimConfig} from './params.js'

/**
 * SWIM + Lifeguard parameters. The `lan` and `local` profiles are hashicorp/memberlist's
 * DefaultLANConfig and DefaultLocalConfig with dtk's extensions on (see ../shared/references.md);
 * `fast` is the LAN profile scaled down 5× in time for quick tests and demos; `memberlist` is
 * DefaultLANConfig with every dtk extension off — memberlist's own rules, as a Serf agent runs
 * them (with Serf's reconnect and reap) — for like-for-like comparisons. Every field can be
 * overridden; src/gossip/params.ts checks each value and names its allowed range.
 */
export interface SwimConfig {
  /** Time between probes of successive members (SWIM's protocol period T). */
  probeInterval: number
  /** How long to wait for a direct ack before asking others to probe indirectly. */
  probeTimeout: number
  /** k, the members asked to probe indirectly (ping-req). */
  indirectChecks: number
  /** Each update is retransmitted retransmitMult · ceil(log10(N + 1)) times. */
  retransmitMult: number
  /** Minimum suspicion timeout = suspicionMult · max(1, log10 N) · probeInterval. */
  suspicionMult: number
  /** Maximum suspicion timeout = suspicionMaxTimeoutMult · minimum. */
  suspicionMaxTimeoutMult: number
  /** Interval of the extra gossip fanout of queued updates (only runs while updates are queued). */
  gossipInterval: number
  /** Members each gossip round sends to (0: piggybacking only, SWIM as published). */
  gossipNodes: number
  /** Members recently dead still get gossip for this long, so a wrongly accused one hears it. */
  gossipToTheDeadTime: number
  /** Full state sync (TCP) with one random member; scaled up for clusters larger than 32. */
  pushPullInterval: number
  /** Push-pull with one random dead member, to merge views after a partition heals (Serf's reconnect). */
  reconnectInterval: number
  /** A dead member is forgotten this long after it was declared dead (Serf's reconnect_timeout, 24 h). */
  reconnectTimeout: number
  /** A member that left is forgotten this long after it left (Serf's tombstone_timeout, 24 h). */
  tombstoneTimeout: number
  /** Lifeguard local health multiplier ceiling. */
  awarenessMaxMultiplier: number
  /** Largest UDP message; piggybacked updates are capped to fit. */
  udpBufferSize: number
  /**
   * Lifeguard on (default) or off. Lifeguard is memberlist's: the local health multiplier
   * (probe interval and timeout stretched when we miss acks and nacks), the dynamic suspicion
   * timeout (shrinking with independent confirmations; off: a fixed timeout = the minimum), the
   * buddy system (a probe of a suspect carries the suspicion) and nacks from indirect probers.
   * dtk's own extensions below are switched separately.
   */
  lifeguard: boolean
  /**
   * dtk: the members share a clock (one machine, or hosts kept in step by NTP); default true. Then
   * they probe on one aligned ring, each member probed once per period (probe-ring.ts), and
   * every holder of a suspicion times it from the accuser's instant. false is memberlist:
   * each member walks its own shuffled list and times a suspicion from when it heard it.
   */
  sharedClock: boolean
  /** dtk: a ping-req helper nacks after this fraction of probeTimeout (memberlist: 1, a full timeout). */
  nackAt: number
  /** dtk: a suspect/dead message older than an alive one we hold is answered at once with the newer alive (rules.ts). */
  correctStale: boolean
  /** dtk: every holder of a suspicion pings the suspect itself until the suspicion ends (rules.ts). */
  recheckSuspects: boolean
  /**
   * dtk: news that clears or settles an accusation is gossiped on the leading edge (dissemination.ts).
   * false: every round waits for the node's gossip ticker, as memberlist's does.
   */
  urgentGossip: boolean
  /** dtk: a ping from a member we hold suspect or dead is answered with that accusation first in the ack. */
  ackAccusations: boolean
  /** dtk: a suspicion at a higher incarnation than the one held restarts the suspicion (memberlist confirms the old one). */
  restartSuspicion: boolean
}

export type SwimProfile = 'lan' | 'local' | 'fast' | 'memberlist'

export const swimProfileNames: readonly SwimProfile[] = ['lan', 'local', 'fast', 'memberlist']

const HOUR = 3_600_000

/** dtk's extensions, all on (the `lan`, `local` and `fast` profiles). */
const DTK_EXTENSIONS = {
  sharedClock: true,
  nackAt: 0.8,
  correctStale: true,
  recheckSuspects: true,
  urgentGossip: true,
  ackAccusations: true,
  restartSuspicion: true,
} as const

/** memberlist's own behaviour: every dtk extension off. */
export const MEMBERLIST_RULES = {
  sharedClock: false,
  nackAt: 1,
  correctStale: false,
  recheckSuspects: false,
  urgentGossip: false,
  ackAccusations: false,
  restartSuspicion: false,
} as const

const lan: SwimConfig = {
  probeInterval: 1000,
  probeTimeout: 500,
  indirectChecks: 3,
  retransmitMult: 4,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  gossipInterval: 200,
  gossipNodes: 3,
  gossipToTheDeadTime: 30_000,
  pushPullInterval: 30_000,
  reconnectInterval: 30_000,
  reconnectTimeout: 24 * HOUR,
  tombstoneTimeout: 24 * HOUR,
  awarenessMaxMultiplier: 8,
  udpBufferSize: 1400,
  lifeguard: true,
  ...DTK_EXTENSIONS,
}

export const swimProfiles: Record<SwimProfile, SwimConfig> = {
  lan,
  local: {
    ...lan,
    probeTimeout: 200,
    indirectChecks: 1,
    retransmitMult: 2,
    suspicionMult: 3,
    gossipInterval: 100,
    gossipToTheDeadTime: 15_000,
    pushPullInterval: 15_000,
    reconnectInterval: 15_000,
  },
  fast: {
    ...lan,
    probeInterval: 200,
    probeTimeout: 100,
    gossipInterval: 40,
    gossipToTheDeadTime: 6_000,
    pushPullInterval: 6_000,
    reconnectInterval: 2_000,
    reconnectTimeout: 24 * HOUR / 5,
    tombstoneTimeout: 24 * HOUR / 5,
  },
  memberlist: {...lan, ...MEMBERLIST_RULES},
}

/** The profile's values with `overrides` applied, checked (a bad value is a UsageError naming its range). */
export function resolveSwimConfig(profile: SwimProfile = 'lan', overrides: Partial<SwimConfig> = {}): SwimConfig {
  const base = swimProfiles[profile]
  if (!base) throw new Error(`unknown gossip profile '${profile}' (known: ${swimProfileNames.join(', ')})`)
  const c: SwimConfig = {...base}
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) (c as unknown as Record<string, unknown>)[k] = v
  checkSwimConfig(c)
  return c
}

/**
 * memberlist's pushPullScale: above 32 nodes the push-pull interval grows with log2(N / 32) so
 * that the total TCP sync load of the cluster stays bounded.
 */
export function pushPullScale(interval: number, n: number): number {
  if (n <= 32) return interval
  const mult = Math.ceil(Math.log2(n) - Math.log2(32)) + 1
  return mult * interval
}
