import {formatNumber} from '../src/cli/format.js'

/**
 * The shape every bench suite returns, and the printer for it. A comparison always carries both
 * sides measured in the same run and a `ratio` where > 1 means dtk is ahead of the baseline.
 */
export interface Side {
  name: string
  /** The figure compared, in `unit`. */
  value: number
  unit: string
  /** Any further figures worth printing (p50, p99, RSS…). */
  extra?: Record<string, number | string>
}

export interface Comparison {
  name: string
  dtk: Side
  baseline: Side
  /** > 1 means dtk is ahead. For "lower is better" units the suite inverts before storing. */
  ratio: number
  /** The goal as written in ../shared/benchmarks.md, e.g. ">= 1.0x hand-written msgpackr pipeline". */
  goal?: string
  /** Whether the goal was met in this run (undefined when the comparison is context only). */
  met?: boolean
}

export interface Figure {
  name: string
  value: number | string
  unit?: string
  goal?: string
  met?: boolean
}

export interface SuiteResult {
  suite: string
  comparisons: Comparison[]
  /** Stand-alone figures (no baseline in this run), e.g. absolute p99 latency against a fixed goal. */
  figures?: Figure[]
  notes?: string[]
}

export interface SuiteOptions {
  /** Smaller workloads, for a smoke run (`--quick`). */
  quick: boolean
  /**
   * Repetitions of a procedure whose sample per run is small (`--runs N`; the gossip suite's
   * crashes: K victims a run), pooled into one set of figures.
   */
  runs: number
  /** Progress lines go here (stderr); results are printed by main. */
  progress: (line: string) => void
}

export type Suite = (opts: SuiteOptions) => Promise<SuiteResult>

const fmt = formatNumber

function mark(met: boolean | undefined): string {
  return met === undefined ? '' : met ? 'goal met' : 'GOAL MISSED'
}

export function renderText(results: SuiteResult[]): string {
  const lines: string[] = []
  for (const r of results) {
    lines.push(`== ${r.suite}`)
    for (const c of r.comparisons) {
      lines.push(
        `  ${c.name}: dtk ${fmt(c.dtk.value)} ${c.dtk.unit} vs ${c.baseline.name} ${fmt(c.baseline.value)} ${c.baseline.unit}` +
          ` -> ratio ${c.ratio.toFixed(2)}x ${c.goal ? `(goal ${c.goal}) ${mark(c.met)}` : ''}`.trimEnd(),
      )
      for (const side of [c.dtk, c.baseline]) {
        if (side.extra && Object.keys(side.extra).length > 0) {
          const parts = Object.entries(side.extra).map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : v}`)
          lines.push(`      ${side === c.dtk ? 'dtk' : side.name}: ${parts.join(' ')}`)
        }
      }
    }
    for (const f of r.figures ?? []) {
      const v = typeof f.value === 'number' ? fmt(f.value) : f.value
      lines.push(`  ${f.name}: ${v}${f.unit ? ' ' + f.unit : ''} ${f.goal ? `(goal ${f.goal}) ${mark(f.met)}` : ''}`.trimEnd())
    }
    for (const n of r.notes ?? []) lines.push(`  note: ${n}`)
  }
  return lines.join('\n')
}
