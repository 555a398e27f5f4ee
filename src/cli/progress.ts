/**
 * Spinners only when stderr is a terminal; in a pipeline progress is silent, because stdout is
 * for results and a log full of spinner frames helps nobody. `ora` is imported lazily so commands
 * that never spin do not pay for loading it.
 */
export interface Progress {
  update(text: string): void
  succeed(text: string): void
  fail(text: string): void
  /** Removes the spinner without a trace, for when stdout is about to say the same thing. */
  clear(): void
}

const silent: Progress = {update() {}, succeed() {}, fail() {}, clear() {}}

export async function startProgress(text: string, opts: {enabled?: boolean} = {}): Promise<Progress> {
  if (opts.enabled === false || !process.stderr.isTTY) return silent
  const {default: ora} = await import('ora')
  const spinner = ora({text, stream: process.stderr, color: 'cyan'}).start()
  return {
    update(t) {
      spinner.text = t
    },
    succeed(t) {
      spinner.succeed(t)
    },
    fail(t) {
      spinner.fail(t)
    },
    clear() {
      spinner.stop()
    },
  }
}

/** Prompts only when a person is at the keyboard: stdin a TTY and not under CI. */
export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY) && !process.env.CI
}
