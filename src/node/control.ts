import type {LinkFaults, PeerAddress} from '../transport/index.js'

/**
 * The control protocol spoken between the CLI (a `control` transport endpoint, never faulted) and
 * a node process. Requests are plain objects tagged by `op`; nodes refuse control ops that arrive
 * from a peer node rather than from a control endpoint.
 */
export type ControlRequest =
  | {op: 'status'}
  | {op: 'faults.set'; to: string; faults: LinkFaults}
  | {op: 'faults.replace'; rules: Record<string, LinkFaults>}
  | {op: 'faults.clear'; to?: string}
  | {op: 'ping'; target: PeerAddress; timeoutMs: number}
  | {op: 'event'; type: string; fields?: Record<string, unknown>}
  | {op: 'role'; body: unknown}
  | {op: 'shutdown'}

export interface NodeStatus {
  id: string
  pid: number
  role: string
  host: string
  port: number
  startedAt: number
  uptimeMs: number
  faults: Record<string, LinkFaults>
  transport: {framesIn: number; framesOut: number; bytesIn: number; bytesOut: number; badFrames: number; dropped: number; connections: number}
  /** The role's own figures; `clientCore` names the core client requests go to (docs/architecture.md, Client requests). */
  roleStatus: Record<string, unknown>
  /** The node host: restarts, seed, per-core logs and held outputs, messages, rejects by reason, client requests. */
  hostStatus: Record<string, unknown>
  /** Control requests refused for want of the cluster key (see src/security/control-auth.ts). */
  controlRefused: number
}

export type PingResult = {ok: true; rttMs: number} | {ok: false; error: string; code: string; afterMs: number}

/** Messages one node sends another (not control). */
export type PeerRequest = {op: 'echo'; payload?: unknown}

export const CONTROL_OPS = new Set<ControlRequest['op']>([
  'status',
  'faults.set',
  'faults.replace',
  'faults.clear',
  'ping',
  'event',
  'role',
  'shutdown',
])
