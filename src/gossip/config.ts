/**
 * SWIM + Lifeguard parameters. The `lan` and `local` profiles are hashicorp/memberlist's
 * DefaultLANConfig and DefaultLocalConfig (see ../shared/references.md); `fast` is the LAN
 * profile scaled down 5× in time for quick tests and demos. Every field can be overridden.
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
  /** Members each gossip round sends to. */
  gossipNodes: number
  /** Members recently dead still get gossip for this long, so a wrongly accused one hears it. */
  gossipToTheDeadTime: number
  /** Full state sync (TCP) with one random member; scaled up for clusters larger than 32. */
  pushPullInterval: number
  /** Push-pull with one random dead member, to merge views after a partition heals (Serf's reconnect). */
  reconnectInterval: number
  /** Lifeguard local health multiplier ceiling. */
  awarenessMaxMultiplier: number
  /** Largest UDP message; piggybacked updates are capped to fit. */
  udpBufferSize: number
  /**
   * Lifeguard on (default) or off (plain SWIM with a fixed suspicion timeout = the minimum, no
   * health multiplier, no buddy system), for comparisons.
   */
  lifeguard: boolean
  /**
   * The members share a clock (one machine, or hosts kept in step by NTP); default true. Then
   * they probe on one aligned ring, each member probed once per period (probe-ring.ts), and
   * every holder of a suspicion times it from the accuser's instant. false is memberlist:
   * each member walks its own shuffled list and times a suspicion from when it heard it.
   */
  sharedClock: boolean
}

export type SwimProfile = 'lan' | 'local' | 'fast'

export const swimProfiles: Record<SwimProfile, SwimConfig> = {
  lan: {
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
    awarenessMaxMultiplier: 8,
    udpBufferSize: 1400,
    lifeguard: true,
    sharedClock: true,
  },
  local: {
    probeInterval: 1000,
    probeTimeout: 200,
    indirectChecks: 1,
    retransmitMult: 2,
    suspicionMult: 3,
    suspicionMaxTimeoutMult: 6,
    gossipInterval: 100,
    gossipNodes: 3,
    gossipToTheDeadTime: 15_000,
    pushPullInterval: 15_000,
    reconnectInterval: 15_000,
    awarenessMaxMultiplier: 8,
    udpBufferSize: 1400,
    lifeguard: true,
    sharedClock: true,
  },
  fast: {
    probeInterval: 200,
    probeTimeout: 100,
    indirectChecks: 3,
    retransmitMult: 4,
    suspicionMult: 4,
    suspicionMaxTimeoutMult: 6,
    gossipInterval: 40,
    gossipNodes: 3,
    gossipToTheDeadTime: 6_000,
    pushPullInterval: 6_000,
    reconnectInterval: 2_000,
    awarenessMaxMultiplier: 8,
    udpBufferSize: 1400,
    lifeguard: true,
    sharedClock: true,
  },
}

export function resolveSwimConfig(profile: SwimProfile = 'lan', overrides: Partial<SwimConfig> = {}): SwimConfig {
  const base = swimProfiles[profile]
  if (!base) throw new Error(`unknown gossip profile '${profile}' (known: ${Object.keys(swimProfiles).join(', ')})`)
  const c: SwimConfig = {...base}
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) (c as unknown as Record<string, unknown>)[k] = v
  if (c.probeTimeout > c.probeInterval) throw new Error('gossip: probeTimeout must not exceed probeInterval')
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
