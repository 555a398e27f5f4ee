import type {AllToAllMessage} from './all-to-all.js'
import type {SwimConfig} from './config.js'
import {createHeartbeat, type HeartbeatConfig} from './heartbeat.js'
import type {IdInterner} from './interner.js'
import type {SwimMessage} from './messages.js'
import {createPhi, type PhiConfig} from './phi-detector.js'
import {SwimCore} from './swim.js'
import type {Detector, DetectorBaseOptions, DetectorKind} from './types.js'

export interface DetectorOptions extends DetectorBaseOptions {
  /** Per-detector overrides; only the ones matching `kind` are read. */
  swim?: Partial<SwimConfig>
  phi?: Partial<PhiConfig>
  heartbeat?: Partial<HeartbeatConfig>
  /** SWIM: bytes the host adds around each datagram (see SwimOptions). */
  datagramOverhead?: number
  /** SWIM: an id interner shared by the cores of one simulation (see interner.ts). */
  interner?: IdInterner
}

export type GossipMessage = SwimMessage | AllToAllMessage

/** One factory for the three detectors, so hosts and scenarios can swap them by name. */
export function createDetector(kind: DetectorKind, opts: DetectorOptions): Detector<GossipMessage> {
  const base = {id: opts.id, random: opts.random, seeds: opts.seeds, tags: opts.tags, members: opts.members, profile: opts.profile}
  switch (kind) {
    case 'swim':
      return new SwimCore({...base, config: opts.swim, datagramOverhead: opts.datagramOverhead, interner: opts.interner}) as Detector<SwimMessage> as Detector<GossipMessage>
    case 'phi':
      return createPhi({...base, config: opts.phi}) as Detector<AllToAllMessage> as Detector<GossipMessage>
    case 'heartbeat':
      return createHeartbeat({...base, config: opts.heartbeat}) as Detector<AllToAllMessage> as Detector<GossipMessage>
    default:
      throw new Error(`unknown detector '${String(kind)}' (known: swim, phi, heartbeat)`)
  }
}

export const detectorKinds: readonly DetectorKind[] = ['swim', 'phi', 'heartbeat']
