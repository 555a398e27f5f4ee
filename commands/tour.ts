import {Flags} from '@oclif/core'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {DtkCommand, canPrompt, formatDuration, paint, renderTable, startProgress} from '../src/cli/index.js'
import {guardInterrupts, isPromptExit, plural} from '../src/cli/interrupt.js'
import {cluster, type NodeView} from '../src/cluster/index.js'
import {tourSteps, type StepResult} from '../src/tour/index.js'

export default class Tour extends DtkCommand {
  static override summary = 'Watch fault tolerance happen: start a cluster, crash a node, partition it, heal it'
  static override description = `Starts a 5-node cluster of real processes, shows it, crashes a node and shows what the others see, restarts it, partitions the network and heals it, then tears everything down, narrating each step. At a terminal it pauses before each step (--yes runs straight through); in a pipeline it never waits. The cluster lives in a temporary state dir, named on stderr, unless --state-dir is given. Ctrl-C (or SIGTERM, SIGHUP) stops its nodes, removes the temporary dir, says so in one line and exits 130.`
  static override examples = ['<%= config.bin %> tour', '<%= config.bin %> tour --yes', '<%= config.bin %> tour --json > tour.json']
  static override flags = {
    yes: Flags.boolean({char: 'y', description: 'do not pause between steps', default: false}),
    'state-dir': Flags.string({description: 'keep the tour cluster here instead of a temporary dir (kept afterwards)'}),
  }

  async run(): Promise<{steps: Array<{id: string; title: string} & StepResult>}> {
    const {flags} = await this.parse(Tour)
    const stateDir = flags['state-dir'] ?? mkdtempSync(join(tmpdir(), 'dtk-tour-'))
    const temporary = !flags['state-dir']
    const ref = {stateDir, name: 'tour'}
    process.stderr.write(`tour cluster in ${stateDir}${temporary ? ' (removed at the end, or on Ctrl-C)' : ''}\n`)
    const guard = guardInterrupts(async () => {
      const stopped = await cluster.abortCluster(ref)
      const done = stopped > 0 ? [`stopped ${plural(stopped, 'node')}`] : []
      if (temporary) {
        rmSync(stateDir, {recursive: true, force: true})
        done.push(`removed ${stateDir}`)
      }
      return done
    })
    const interactive = !flags.yes && !this.jsonEnabled() && canPrompt()
    const done: Array<{id: string; title: string} & StepResult> = []
    let finished = false
    try {
      for (const [i, step] of tourSteps.entries()) {
        if (interactive && i > 0) {
          const {confirm} = await import('@inquirer/prompts')
          const go = await confirm({message: `Next: ${step.title.toLowerCase()}?`, default: true}).catch(async (error: unknown) => {
            if (isPromptExit(error)) return guard.interrupt('Ctrl-C at a prompt')
            throw error
          })
          if (!go) break
        }
        const progress = await startProgress(`${step.title}…`, {enabled: !this.jsonEnabled()})
        const res = await step.run({ref, nodes: 5}).catch((error: unknown) => {
          progress.fail(step.title)
          throw error
        })
        progress.clear()
        done.push({id: step.id, title: step.title, ...res})
        this.out(`\n${paint('bold', `${i + 1}. ${step.title}`)}`)
        for (const line of res.lines) this.out(`   ${line}`)
        if (res.nodes && step.id !== 'down') this.out(indent(nodeTable(res.nodes)))
      }
      finished = true
    } finally {
      // Whatever happened, leave nothing running.
      await cluster.abortCluster(ref).catch(() => 0)
      if (temporary) rmSync(stateDir, {recursive: true, force: true})
      guard.dispose()
    }
    if (finished) this.out(`\nNext: run these commands yourself (docs/getting-started.md) and compare failure detectors (docs/tutorials/failure-detection.md).`)
    return {steps: done}
  }
}

function nodeTable(nodes: NodeView[]): string {
  return renderTable(nodes, [
    {header: 'ID', get: (n) => n.id},
    {header: 'PID', get: (n) => (n.pid === null ? '-' : String(n.pid)), align: 'right'},
    {header: 'PORT', get: (n) => String(n.port), align: 'right'},
    {header: 'STATE', get: (n) => paint(n.state === 'up' ? 'green' : n.state === 'paused' ? 'yellow' : 'red', n.state)},
    {header: 'UPTIME', get: (n) => (n.uptimeMs === null ? '-' : formatDuration(n.uptimeMs)), align: 'right'},
  ])
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => '   ' + l)
    .join('\n')
}
