import {Flags} from '@oclif/core'
import {DtkCommand, renderTable} from '../../src/cli/index.js'
import {keyFlags, loadKeys, ringConfigFrom, ringFlags} from '../../src/cli/ring-flags.js'
import type {HashRange, Plan, Transfer} from '../../src/hashring/index.js'

type Result = Plan & {keySource: string; notes: string[]}

export default class RingPlan extends DtkCommand {
  static override summary = 'Plan a change of nodes: which keys (and hash ranges) move from which node to which'
  static override description = `Compares the placement of the same keys under --from and --to (same algorithm and flags) and reports every key that changes node, counted by (from → to) pair, against the ideal: the fewest keys any placement must move for that change, from the nodes' fair shares (K/(N+1) when one node joins N equal ones). For ring and ketama it also lists the arcs of the 32-bit hash circle that change hands, which covers every possible key. With --replicas R a key moves when its set of R nodes changes, and the counts are copies to make.

What plan predicts is exactly the difference between "dtk ring lookup --nodes FROM" and "dtk ring lookup --nodes TO" on the same keys in the same order. --json prints the whole plan, every moved key and range included, for a migration tool. Keys: --keys N generated user:<i>:<hex> keys (default 100000) or --key-file, one per line.

Jump hash numbers its buckets: removing a node from the middle of --to renumbers the ones after it. Write ~ in its place (--to a,~,c) to leave its bucket empty, so that only its keys move.`
  static override examples = [
    '<%= config.bin %> ring plan --from a,b,c --to a,b,c,d',
    '<%= config.bin %> ring plan --from a,b,c,d --to a,b,d --algo maglev --keys 1000000',
    '<%= config.bin %> ring plan --from a,b,c --to a,~,c --algo jump --key-file keys.txt --json > moves.json',
    '<%= config.bin %> ring plan --from s1,s2,s3 --to s1,s2,s3,s4 --algo ketama --replicas 2',
  ]
  static override flags = {
    from: Flags.string({description: 'the nodes before, comma-separated', required: true}),
    to: Flags.string({description: 'the nodes after, comma-separated', required: true}),
    ...ringFlags,
    ...keyFlags,
    show: Flags.integer({description: 'moved keys and ranges to print as text (all of them are in --json)', default: 10, min: 0}),
  }

  async run(): Promise<Result> {
    const {flags} = await this.parse(RingPlan)
    const {createPlacement, planChange} = await import('../../src/hashring/index.js')
    const before = createPlacement(ringConfigFrom(flags, flags.from, '--from'))
    const after = createPlacement(ringConfigFrom(flags, flags.to, '--to'))
    before.checkReplicas(flags.replicas)
    after.checkReplicas(flags.replicas)
    const keys = loadKeys(flags, 100_000)
    const plan = planChange(before, after, keys, {replicas: flags.replicas, listKeys: true})
    const notes = jumpNotes(plan)
    const result: Result = {...plan, keySource: flags['key-file'] ?? 'generated user:<i>:<hex>', notes}
    this.out(render(result, flags.show))
    return result
  }
}

/** Jump: dropping a node from the middle renumbers the buckets after it; say how to avoid that. */
function jumpNotes(p: Plan): string[] {
  if (p.algo !== 'jump') return []
  const kept = p.from.filter((id): id is string => id !== null && p.to.includes(id))
  if (kept.every((id) => p.to.indexOf(id) === p.from.indexOf(id))) return []
  const layout: Array<string | null> = p.from.map((id) => (id !== null && p.to.includes(id) ? id : null))
  for (const id of p.to) {
    if (id === null || layout.includes(id)) continue
    const hole = layout.indexOf(null)
    if (hole >= 0) layout[hole] = id
    else layout.push(id)
  }
  while (layout.length > 0 && layout[layout.length - 1] === null) layout.pop()
  return [`jump numbers its buckets, and --to ${list(p.to)} moves surviving nodes to other buckets; --to ${list(layout)} keeps every surviving node in its bucket (~ is an empty one), so that only the keys that must move do`]
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`
const list = (x: Array<string | null>) => x.map((n) => n ?? '~').join(',')
const hex = (n: number) => '0x' + n.toString(16).padStart(8, '0')

function render(p: Result, show: number): string {
  const lines: string[] = []
  const unit = p.replicas === 1 ? 'keys' : 'copies'
  lines.push(`${p.algo}: ${list(p.from)} -> ${list(p.to)}, ${p.keys.toLocaleString('en-US')} keys (${p.keySource}), ${p.replicas} ${p.replicas === 1 ? 'replica' : 'replicas'} each`)
  const moved = p.replicas === 1 ? `Moved ${p.moved.toLocaleString('en-US')} of ${p.keys.toLocaleString('en-US')} keys (${pct(p.moved / Math.max(1, p.keys))})` : `${p.moved.toLocaleString('en-US')} of ${p.keys.toLocaleString('en-US')} keys change nodes: ${p.copies.toLocaleString('en-US')} new copies`
  lines.push(
    p.ratio === null
      ? `${moved}; this change needs no movement at all.`
      : `${moved}; the fewest any placement must move is ${Math.round(p.ideal).toLocaleString('en-US')} ${unit}: ${p.ratio.toFixed(2)}x the ideal.`,
  )
  if (p.transfers.length > 0) {
    lines.push('')
    lines.push(
      renderTable(p.transfers, [
        {header: 'FROM', get: (t: Transfer) => t.from},
        {header: 'TO', get: (t: Transfer) => t.to},
        {header: unit.toUpperCase(), get: (t: Transfer) => String(t.keys), align: 'right'},
      ]),
    )
  }
  if (p.movedKeys && p.movedKeys.length > 0 && show > 0) {
    lines.push('')
    lines.push(`First ${Math.min(show, p.movedKeys.length)} moved keys (--json lists all ${p.movedKeys.length}):`)
    for (const k of p.movedKeys.slice(0, show)) lines.push(`  ${k.key}\t${k.from.join(',')} -> ${k.to.join(',')}`)
  }
  if (p.ranges) {
    lines.push('')
    lines.push(`Hash ranges that change hands: ${p.ranges.count} arcs, ${pct(p.ranges.fraction)} of the 32-bit circle${p.ranges.count > show ? ` (first ${show}; --json lists all)` : ''}:`)
    if (show > 0 && p.ranges.count > 0) {
      lines.push(
        renderTable(p.ranges.list.slice(0, show), [
          {header: 'START', get: (r: HashRange) => hex(r.start)},
          {header: 'END', get: (r: HashRange) => hex(r.end)},
          {header: 'FROM', get: (r: HashRange) => r.from.join(',')},
          {header: 'TO', get: (r: HashRange) => r.to.join(',')},
        ]),
      )
    }
  }
  for (const n of p.notes) lines.push(`note: ${n}`)
  return lines.join('\n')
}
