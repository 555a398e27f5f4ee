import {Flags} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef, parseDuration} from '../../src/cli/index.js'
import {cluster, type DownResult} from '../../src/cluster/index.js'

export default class ClusterDown extends DtkCommand {
  static override summary = 'Stop every node of a cluster'
  static override description = `Sends SIGTERM to every node (SIGCONT first to paused ones, which could not act on it), waits a grace period, then SIGKILLs what is left. Data dirs and events stay for inspection unless --purge.`
  static override examples = ['<%= config.bin %> cluster down', '<%= config.bin %> cluster down --name kv --purge --yes']
  static override flags = {
    ...clusterFlags,
    grace: Flags.string({description: 'how long to wait after SIGTERM before SIGKILL', default: '5s'}),
    purge: Flags.boolean({description: "also delete the cluster's state dir (events, data)", default: false}),
    yes: Flags.boolean({char: 'y', description: 'do not ask before purging', default: false}),
  }

  async run(): Promise<DownResult> {
    const {flags} = await this.parse(ClusterDown)
    const ref = clusterRef(flags)
    if (flags.purge && !flags.yes) {
      const {canPrompt} = await import('../../src/cli/index.js')
      if (!canPrompt()) this.error('--purge deletes the cluster\'s data and events; add --yes to confirm', {exit: 2})
      const {confirm} = await import('@inquirer/prompts')
      const {isPromptExit} = await import('../../src/cli/interrupt.js')
      const sure = await confirm({message: `Delete ${ref.stateDir}/${ref.name} with all its events and data?`, default: false}).catch((error: unknown) => {
        if (!isPromptExit(error)) throw error
        process.stderr.write('interrupted: nothing stopped, nothing purged\n')
        return this.exit(130)
      })
      if (!sure) {
        this.error('nothing purged', {exit: 1})
      }
    }
    const res = await cluster.down({...ref, graceMs: parseDuration(flags.grace, 'grace'), purge: flags.purge})
    this.out(
      `stopped ${res.stopped.length} node(s)${res.stopped.length ? ` (${res.stopped.join(', ')})` : ''}` +
        (res.killed.length ? `; SIGKILLed ${res.killed.join(', ')} after the grace period` : '') +
        (res.purged ? `; removed ${ref.stateDir}/${ref.name}` : ''),
    )
    return res
  }
}
