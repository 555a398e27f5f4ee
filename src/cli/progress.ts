import {colorEnabled, paint} from './style.js'
import {interrupting} from './interrupt.js'

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
  // A terminal that reports 0 columns (some CI shells, `script`, serial consoles) makes ora count
  // Infinity lines to clear on every frame: it wrote 22 MB in 20 s. There, print the outcome only.
  if (!(process.stderr.columns > 0)) return plain()
  const {default: ora} = await import('ora')
  const color = colorEnabled(process.stderr)
  const spinner = ora({text, stream: process.stderr, color: color ? 'cyan' : false}).start()
  const end = (mark: string, style: 'green' | 'red', t: string) => spinner.stopAndPersist({symbol: paint(style, mark, process.stderr), text: t})
  return {
    update(t) {
      spinner.text = t
    },
    succeed(t) {
      end('✔', 'green', t)
    },
    fail(t) {
      if (interrupting()) spinner.stop()
      else end('✖', 'red', t)
    },
    clear() {
      spinner.stop()
    },
  }
}

function plain(): Progress {
  return {
    update() {},
    succeed(t) {
      process.stderr.write(`${paint('green', '✔', process.stderr)} ${t}\n`)
    },
    fail(t) {
      if (!interrupting()) process.stderr.write(`${paint('red', '✖', process.stderr)} ${t}\n`)
    },
    clear() {},
  }
}

/** Prompts only when a person is at the keyboard: stdin a TTY and not under CI. */
export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY) && !process.env.CI
}
