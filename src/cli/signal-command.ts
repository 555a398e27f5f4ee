import {Args} from '@oclif/core'
import type {ClusterRef, SignalResult} from '../cluster/index.js'
import {DtkCommand, clusterFlags, clusterRef} from './base.js'

type Signaller = (ref: ClusterRef, id: string) => Promise<SignalResult>

/**
 * `dtk crash|pause|resume NODE`: the same command around a different signal, so one class shape
 * serves all three and each command file only says what its signal means.
 */
export function signalCommand(spec: {name: 'crash' | 'pause' | 'resume'; verb: string; summary: string; description: string; act: Signaller}) {
  return class extends DtkCommand {
    static override summary = spec.summary
    static override description = spec.description
    static override examples = [`<%= config.bin %> ${spec.name} n3`, `<%= config.bin %> ${spec.name} n1 --name kv --json`]
    static override args = {node: Args.string({description: 'node id', required: true})}
    static override flags = {...clusterFlags}

    async run(): Promise<SignalResult> {
      const {args, flags} = await this.parse(this.ctor as typeof DtkCommand & {args: {node: ReturnType<typeof Args.string>}; flags: typeof clusterFlags})
      const res = await spec.act(clusterRef(flags as {name: string; 'state-dir'?: string}), args.node as string)
      this.out(`${spec.verb} ${res.node} (pid ${res.pid}, ${res.signal})`)
      return res
    }
  }
}

