/**
 * Ctrl-C, `kill` and a closed terminal for commands that start node processes (the tour,
 * `cluster up`, `cluster join`, the demos to come): one place that turns SIGINT, SIGTERM and SIGHUP
 * into "stop what this command started, remove its temporary state, say so in one line, exit 130".
 *
 * Nodes are started detached in their own process group, so the terminal's Ctrl-C reaches only
 * the CLI; without this the CLI died at once and its nodes ran on (in a temp dir nobody could name).
 * A prompt of @inquirer/prompts reads Ctrl-C itself (raw mode) and rejects with ExitPromptError:
 * `isPromptExit` lets a command treat that as the same interrupt.
 */
export type Teardown = () => Promise<string[]>

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

export interface InterruptGuard {
  /** Runs the teardown as if a signal had arrived (e.g. on Ctrl-C at a prompt); never returns. */
  interrupt(reason?: string): Promise<never>
  /** The command finished on its own: stop listening. */
  dispose(): void
}

/** Summary line: "interrupted: stopped 5 nodes, removed /tmp/dtk-tour-abc". */
export function interruptedLine(done: string[]): string {
  return `interrupted: ${done.length > 0 ? done.join(', ') : 'nothing to clean up'}`
}

let tearingDown = false

/**
 * True once an interrupt's clean-up has begun: the command's own work, cut off under it, fails in
 * ways nobody needs to read ("did not answer"), so errors and spinners stay quiet until the exit.
 */
export function interrupting(): boolean {
  return tearingDown
}

export function guardInterrupts(teardown: Teardown): InterruptGuard {
  let running: Promise<never> | undefined
  const interrupt = (reason = 'SIGINT'): Promise<never> => {
    running ??= (async () => {
      tearingDown = true
      let done: string[] = []
      let failure = ''
      try {
        done = await teardown()
      } catch (error) {
        failure = ` (clean-up failed: ${(error as Error).message})`
      }
      process.stderr.write(`${interruptedLine(done)}${failure}\n`)
      if (process.env.DEBUG) process.stderr.write(`(${reason})\n`)
      process.exit(130)
    })()
    return running
  }
  const handlers = SIGNALS.map((sig) => {
    // A second Ctrl-C while cleaning up is ignored: the clean-up is what it would ask for.
    const h = () => void interrupt(sig)
    process.on(sig, h)
    return [sig, h] as const
  })
  return {
    interrupt,
    dispose() {
      for (const [sig, h] of handlers) process.off(sig, h)
    },
  }
}

/** @inquirer/prompts rejects with ExitPromptError when the user presses Ctrl-C at a prompt. */
export function isPromptExit(error: unknown): boolean {
  return error instanceof Error && error.name === 'ExitPromptError'
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}
