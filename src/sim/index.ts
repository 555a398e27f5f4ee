/**
 * Deterministic simulation of sans-IO cores (src/core): a virtual clock, one event heap, a seeded
 * network with delay, loss, duplication, partitions and TCP-like streams, node clocks with skew,
 * a disk per node that syncs, loses unsynced writes and tears them on a crash, and
 * crash/pause/restart faults. Protocol scenarios (gossip, kv) are built on top and may import
 * protocol cores; nothing here imports a transport or the node runtime.
 */
export {Simulator, type CoreFactory, type SimulatorOptions, type NodeOptions, type SimStats, type NodeStats, type NodeStatus, type EventListener, type DeliveryListener, type StartFailure} from './simulator.js'
export {Rng, splitmix32, hashString, seedOf} from '../random/index.js'
export {EventHeap, type Scheduled} from './heap.js'
export {defaultLink, resolveLink, sampleDelay, type LinkOptions, type ResolvedLink} from './network.js'
export {resolveDisk, SimDisk, FRAME_OVERHEAD, type DiskOptions} from './disk.js'
export {makeClock, type ClockOptions, type ClockSkewOptions} from './clock.js'
export {resolveStreams, type StreamOptions} from './streams.js'
export {summarize, percentile, type Summary} from './stats.js'
export {
  runGossipScenario,
  runGossipScenarioAsync,
  type GossipScenarioOptions,
  type GossipScenarioResult,
  type CrashDetection,
  type PauseOutcome,
  type PartitionOutcome,
  type ScenarioProgress,
  prepareGossipScenario,
  type PreparedScenario,
} from './gossip-scenario.js'
export {compareDetectors, comparisonRow, type ComparisonRow} from './gossip-params.js'
export {asciiHistogram, type HistogramOptions} from './plot.js'
export {runKvScenario, type KvScenarioOptions, type KvScenarioResult, type KvRecovery, type KvWrite} from './kv-scenario.js'
