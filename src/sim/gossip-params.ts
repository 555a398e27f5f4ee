import {detectorKinds, type DetectorKind} from '../gossip/index.js'
import {runGossipScenarioAsync, type GossipScenarioOptions, type GossipScenarioResult, type ScenarioProgress} from './gossip-scenario.js'

/** The three-detector comparison behind `dtk sim gossip --compare`. */

/** One row of a detector comparison. */
export interface ComparisonRow {
  detector: DetectorKind
  firstP50: number
  firstP99: number
  fullP50: number
  fullP99: number
  undetected: number
  falsePositives: number
  falseSuspicions: number
  msgsPerNodePerSecond: number
  bytesPerNodePerSecond: number
}

export function comparisonRow(r: GossipScenarioResult): ComparisonRow {
  const t = r.traffic
  return {
    detector: r.options.detector,
    firstP50: r.detection.first.p50,
    firstP99: r.detection.first.p99,
    fullP50: r.detection.full.p50,
    fullP99: r.detection.full.p99,
    undetected: r.detection.undetected.length,
    falsePositives: r.falsePositives.count,
    falseSuspicions: r.falseSuspicions.count,
    msgsPerNodePerSecond: t.udpMessagesPerNodePerSecond + t.tcpMessagesPerNodePerSecond,
    bytesPerNodePerSecond: t.udpBytesPerNodePerSecond + t.tcpBytesPerNodePerSecond,
  }
}

/**
 * The same scenario (seed, nodes, faults: the victims and start times come from the scenario's
 * own random stream, which does not depend on the detector) under each detector in turn.
 */
export async function compareDetectors(
  opts: Omit<GossipScenarioOptions, 'detector'>,
  progress: {onProgress?: (kind: DetectorKind, p: ScenarioProgress) => void} = {},
  kinds: readonly DetectorKind[] = detectorKinds,
): Promise<{rows: ComparisonRow[]; results: GossipScenarioResult[]}> {
  const results: GossipScenarioResult[] = []
  for (const kind of kinds) {
    results.push(await runGossipScenarioAsync({...opts, detector: kind}, {onProgress: (p) => progress.onProgress?.(kind, p)}))
  }
  return {rows: results.map(comparisonRow), results}
}
