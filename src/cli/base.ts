import {Command, Errors, Flags} from '@oclif/core'
import {DtkError} from '../errors/index.js'
import {resolveStateDir, type ClusterRef} from '../cluster/index.js'

/**
 * Every dtk command: `--json` (one JSON document on stdout, the command's return value) and
 * errors as one line on stderr with exit code 2 for usage errors and 1 for failures.
 */
export abstract class DtkCommand extends Command {
  static override enableJsonFlag = true

  protected override async catch(err: Error & {exitCode?: number; oclif?: unknown}): Promise<unknown> {
    if (err instanceof DtkError) return super.catch(new Errors.CLIError(err.message, {exit: err.exitCode}))
    if (err.oclif === undefined && !process.env.DEBUG) {
      // An unexpected error still gets one clear line; DEBUG=* shows the stack.
      return super.catch(new Errors.CLIError(err.message || String(err), {exit: 1}))
    }
    return super.catch(err)
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
