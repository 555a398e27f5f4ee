import {Command, Flags} from '@oclif/core'
import {paint} from './style.js'
import {describeMissingArgs, describeSystemError} from './errors.js'
import {interrupting} from './interrupt.js'
import {DtkError} from '../errors/index.js'
import {resolveStateDir} from '../cluster/state.js'
import type {ClusterRef} from '../cluster/supervisor.js'

/**
 * Every dtk command: `--json` (one JSON document on stdout, the command's return value) and
 * errors as one line on stderr with exit code 2 for usage errors and 1 for failures.
 */
export abstract class DtkCommand extends Command {
  static override enableJsonFlag = true

  protected override async catch(err: Error & {code?: string; oclif?: {exit?: number}; args?: Array<{name: string}>}): Promise<unknown> {
    if (err.code === 'EEXIT') throw err // this.exit(): not an error
    // Cut off by Ctrl-C: the interrupt's one line says what happened, and it ends the process.
    if (interrupting()) return new Promise(() => {})
    // A parse that failed is reported here; oclif would add an "UnparsedCommand" warning under NODE_ENV=development|test.
    this.parsed = true
    const exit = err instanceof DtkError ? err.exitCode : (err.oclif?.exit ?? 1)
    const plain = describeMissingArgs(err) ?? describeSystemError(err)
    if (plain) err.message = plain
    if (process.env.DEBUG && !(err instanceof DtkError)) process.stderr.write(`${err.stack}\n`)
    // One line, whatever oclif or a library put in the message: the usage hint is in --help.
    const message =
      (err.message || String(err))
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !/^See more help with --help/.test(l))
        .join('; ') + (err.oclif && !(err instanceof DtkError) && exit === 2 ? ` (see: ${this.config.bin} ${(this.id ?? '').replaceAll(':', ' ')} --help)` : '')
    process.exitCode = exit
    if (this.jsonEnabled()) this.logJson({error: {message, exit}})
    process.stderr.write(`${paint('red', 'Error', process.stderr)}: ${message.replace(/\s+/g, ' ')}\n`)
    return undefined
  }

  /** Human output goes to stdout only without --json; oclif's `log` already does that. */
  protected out(text: string): void {
    this.log(text)
  }

  /** Progress and narration for people: stderr, silent under --json. */
  protected note(text: string): void {
    this.logToStderr(text)
  }
}

/** `--name` and `--state-dir`, shared by every command that works on a recorded cluster. */
export const clusterFlags = {
  name: Flags.string({char: 'c', description: 'cluster name', default: 'default', env: 'DTK_CLUSTER'}),
  'state-dir': Flags.string({description: 'where clusters are recorded [default: $DTK_STATE_DIR or ./.dtk]'}),
}

export function clusterRef(flags: {name: string; 'state-dir'?: string}): ClusterRef {
  return {name: flags.name, stateDir: resolveStateDir(flags['state-dir'])}
}
