import type {Core, Envelope} from '../../core/index.js'
import type {DurableLog} from '../../storage/index.js'
import type {HostedCore} from './types.js'

/** An output held until its records (and every earlier one's of the same core) are durable. */
export interface Held {
  send: Envelope<unknown>[]
  events: unknown[]
  /** The core's persist count this output waits for. */
  upTo: number
}

/** One core of a node and its host-side state: timers, durable log, release order. */
export class CoreSlot {
  core: Core<unknown, unknown, unknown> | null = null
  readonly timers = new Map<string, NodeJS.Timeout>()
  /** Outputs waiting for durability, in the order the core produced them. */
  pending: Held[] = []
  /** `persist` calls issued, and resolved (they resolve in order). */
  written = 0
  durable = 0
  log: DurableLog | null = null
  readonly hasBreak: () => boolean = () => typeof this.core?.streamBroken === 'function'

  constructor(
    readonly name: string,
    readonly index: number,
    readonly spec: HostedCore,
    /** The core's clock (see clock.ts); set when the node starts. */
    public now: () => number,
  ) {}
}
