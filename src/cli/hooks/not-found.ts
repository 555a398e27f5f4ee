import type {Hook} from '@oclif/core'
import {paint} from '../style.js'

/**
 * A mistyped command: one line in dtk's error form, with the closest command as the user would
 * type it (`cluster status`, not oclif's internal `cluster:status`), and exit code 2 (usage).
 * @oclif/plugin-not-found prompts at a terminal and prints no suggestion in a pipeline, where a
 * script's author needs it most, hence this small hook.
 */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = cur
  }
  return prev[b.length]!
}

/** The known command closest to `typed`, if it is close enough to be what was meant. */
export function closestCommand(typed: string, known: string[]): string | undefined {
  let best: {id: string; d: number} | undefined
  for (const id of known) {
    // Compare with as many words as were typed, so `clster status --x` still finds `cluster status`.
    const d = editDistance(typed, id)
    if (!best || d < best.d) best = {id, d}
  }
  return best && best.d <= Math.max(2, Math.floor(typed.length / 3)) ? best.id : undefined
}

const hook: Hook<'command_not_found'> = async function (opts) {
  const bin = opts.config.bin
  const typed = opts.id.replaceAll(':', ' ')
  const visible = opts.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases]).concat(opts.config.topics.map((t) => t.name))
    .map((id) => id.replaceAll(':', ' '))
  const guess = closestCommand(typed, visible)
  const hint = guess ? `; did you mean '${bin} ${guess}'?` : ''
  process.stderr.write(`${paint('red', 'Error', process.stderr)}: '${bin} ${typed}' is not a ${bin} command${hint} (see: ${bin} --help)\n`)
  process.exitCode = 2
}

export default hook
