import type {CheckResult, PartitionResult, Step} from './check.js'
import {modelSpec} from './check.js'
import {effectiveOutcome, linesOf, type Op} from './history.js'
import {CSS, SCRIPT} from './html-assets.js'
import type {ModelSpec} from './model.js'
import {show} from './values.js'

/**
 * `dtk check --html`: one self-contained page (inline CSS, SVG and script; nothing fetched) that
 * draws each history as a timeline per process, in the manner of Porcupine's visualizer, and adds
 * what it lacks: the model's state along the linearization (a lane above the timeline and a
 * column in the table), and for a failure the blocked operation, its window and the states the
 * object could be in when it could have run.
 */
export interface ReportEntry {
  file: string
  result?: CheckResult
  error?: string
  ms?: number
}

/** Partitions drawn in full; beyond this many operations only the part around the failure is drawn. */
const MAX_DRAWN_OPS = 600
/** Linearizable keys drawn for a kv history (failing keys are always drawn). */
const MAX_OK_KEYS = 10
/** Rows of an order's table. */
const MAX_ROWS = 300
const ROW = 34
const BAR = 20
const LEFT = 8
const LABELS = 52
const LANE = 30

export function renderReport(entries: ReportEntry[], title = 'dtk check'): string {
  const body = entries.map((e, i) => renderEntry(e, i)).join('\n')
  const nav =
    entries.length > 1
      ? `<article><h2>${entries.length} histories</h2><nav><ul>${entries
          .map((e, i) => `<li><a href="#h${i}">${esc(e.file)}</a> ${badge(e.result?.verdict ?? 'error')}</li>`)
          .join('')}</ul></nav></article>`
      : ''
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><main>
${nav}
${body}
<p class="note">Written by dtk check. Time runs left to right in history order (one column per event of the key shown); one row per process.</p>
</main><script>${SCRIPT}</script></body></html>
`
}

function badge(v: string): string {
  const cls = v === 'linearizable' ? 'v-linearizable' : v === 'not linearizable' || v === 'error' ? 'v-not' : 'v-unknown'
  return `<span class="verdict ${cls}">${esc(v)}</span>`
}

function renderEntry(e: ReportEntry, i: number): string {
  if (!e.result) return `<article id="h${i}"><h1>${esc(e.file)}${badge('error')}</h1><p>${esc(e.error ?? '')}</p></article>`
  const r = e.result
  const spec = modelSpec(r.model)
  const parts = [...r.partitions.keys()].sort((a, b) => rank(r.partitions[a]!) - rank(r.partitions[b]!))
  const okShown = parts.filter((p) => r.partitions[p]!.status === 'linearizable').slice(0, MAX_OK_KEYS)
  const drawn = parts.filter((p) => r.partitions[p]!.status !== 'linearizable' || okShown.includes(p))
  const hidden = parts.length - drawn.length
  const meta = [`model ${r.model}`, `${r.operations} operations`, r.partitions.length > 1 ? `${r.partitions.length} keys` : '', e.ms !== undefined ? `checked in ${fmtMs(e.ms)}` : '']
  return `<article id="h${i}"><h1>${esc(e.file)}${badge(r.verdict)}</h1><p class="meta">${meta.filter(Boolean).join(' · ')}</p>
${drawn.map((p) => renderPartition(spec, r.partitions[p]!, `${i}-${p}`, r.partitions.length > 1)).join('\n')}
${hidden > 0 ? `<p class="note">${hidden} more keys are linearizable and not drawn.</p>` : ''}
</article>`
}

function rank(p: PartitionResult): number {
  return p.status === 'not linearizable' ? 0 : p.status === 'unknown' ? 1 : 2
}

function fmtMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(ms < 10 ? 1 : 0)} ms` : `${(ms / 1000).toFixed(2)} s`
}

interface Layout {
  ops: number[]
  col: Map<number, number>
  cols: number
  rows: Map<string, number>
  procs: Array<number | string>
}

/** Which operations to draw and where: columns are the distinct event positions of the drawn ops. */
function layout(p: PartitionResult): Layout & {clipped: boolean} {
  let ops = [...p.ops.keys()]
  let clipped = false
  if (ops.length > MAX_DRAWN_OPS) {
    clipped = true
    if (p.failure) {
      const x = p.ops[p.failure.op]!
      const from = Math.min(...p.failure.window.map((i) => p.ops[i]!.invoke))
      const keep = new Set(p.failure.window)
      ops = ops.filter((i) => keep.has(i) || (p.ops[i]!.invoke <= x.complete && (p.ops[i]!.complete < 0 || p.ops[i]!.complete >= from)))
      ops = ops.slice(-MAX_DRAWN_OPS)
    } else ops = ops.slice(0, MAX_DRAWN_OPS)
  }
  const positions = new Set<number>()
  for (const i of ops) {
    positions.add(p.ops[i]!.invoke)
    if (p.ops[i]!.complete >= 0) positions.add(p.ops[i]!.complete)
  }
  const sorted = [...positions].sort((a, b) => a - b)
  const col = new Map(sorted.map((pos, c) => [pos, c]))
  const procs = [...new Set(ops.map((i) => p.ops[i]!.process))].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))))
  const rows = new Map(procs.map((q, k) => [String(q), k]))
  return {ops, col, cols: sorted.length + 2, rows, procs, clipped}
}

/** Earliest points, in column units, at which each step can take effect (in order, inside its interval). */
export function linearizationPoints(spans: Array<{from: number; to: number}>): number[] {
  for (const [gap, margin] of [
    [0.35, 0.25],
    [0.2, 0.15],
    [0.1, 0.08],
    [0.04, 0.03],
    [0, 0],
  ] as const) {
    const pts: number[] = []
    let t = -Infinity
    let ok = true
    for (const s of spans) {
      t = Math.max(t + gap, s.from + margin)
      if (t > s.to - margin) ok = false
      pts.push(t)
    }
    if (ok || gap === 0) return pts
  }
  return []
}

function renderPartition(spec: ModelSpec, p: PartitionResult, id: string, keyed: boolean): string {
  const L = layout(p)
  // Wide columns for a short history, 24 px each for a long one (the view scrolls).
  const DX = Math.max(24, Math.min(60, Math.floor(1050 / L.cols)))
  const f = p.failure
  const steps: Step[] = p.order ?? f?.prefix ?? []
  const drawnSteps = steps.filter((s) => L.col.has(p.ops[s.op]!.invoke))
  const x = (c: number) => LEFT + c * DX + DX / 2
  const width = LEFT + L.cols * DX + 40
  const top = LANE + 14
  const height = top + L.procs.length * ROW + 24
  const endCol = L.cols - 1
  const colOf = (o: Op) => L.col.get(o.invoke)!
  const endOf = (o: Op) => (o.complete >= 0 && L.col.has(o.complete) ? L.col.get(o.complete)! : endCol)
  const known = (o: Op) => o.complete >= 0 && effectiveOutcome(o) !== 'unknown'
  const windowSet = new Set(f?.window ?? [])
  const svg: string[] = []
  const labels: string[] = [`<text class="axis" x="6" y="${LANE / 2 + 4}">state</text>`]
  svg.push(`<defs><linearGradient id="fade"><stop offset="0" stop-color="#fff1d6"/><stop offset="1" stop-color="#fff1d6" stop-opacity="0.15"/></linearGradient></defs>`)
  // Grid and process labels.
  for (const [k, q] of L.procs.entries()) {
    const y = top + k * ROW
    svg.push(`<line class="grid" x1="${LEFT}" x2="${width - 20}" y1="${y + ROW / 2}" y2="${y + ROW / 2}"/>`)
    labels.push(`<text class="plabel" x="6" y="${y + ROW / 2 + 4}">p${esc(String(q))}</text>`)
  }
  // The failing window, shaded.
  if (f && L.col.has(p.ops[f.op]!.invoke)) {
    const drawnWindow = f.window.filter((i) => L.col.has(p.ops[i]!.invoke))
    const from = Math.min(...drawnWindow.map((i) => colOf(p.ops[i]!)))
    const to = endOf(p.ops[f.op]!)
    svg.push(`<rect class="band" x="${x(from) - DX / 2}" y="${LANE + 4}" width="${(to - from + 1) * DX}" height="${height - LANE - 14}"/>`)
  }
  // Operations.
  for (const i of L.ops) {
    const o = p.ops[i]!
    const row = L.rows.get(String(o.process))!
    const y = top + row * ROW + (ROW - BAR) / 2
    const c0 = colOf(o)
    const c1 = known(o) ? endOf(o) : o.complete >= 0 && L.col.has(o.complete) ? L.col.get(o.complete)! : c0
    const role = p.roles[i]
    const cls = role === 'dropped' ? 'dropped' : effectiveOutcome(o) === 'unknown' ? 'unknown' : effectiveOutcome(o) === 'fail' ? 'fail' : 'ok'
    const extra = (f && i === f.op ? ' blocked' : '') + (windowSet.has(i) && !(f && i === f.op) ? ' window' : '')
    const x0 = x(c0) - DX / 2 + 2
    const w = Math.max(DX - 4, (c1 - c0 + 1) * DX - 4)
    const tip = `${spec.describe(o)} · process ${o.process} · ${linesOf(o)} · ${outcomeWord(o, role)}`
    const label = short(spec, o)
    let tail = ''
    if (cls === 'unknown') tail = `<line x1="${x0 + w}" x2="${x(endCol)}" y1="${y + BAR / 2}" y2="${y + BAR / 2}" stroke="#c77700" stroke-dasharray="3 4" opacity=".5"/>`
    svg.push(
      `<g class="op ${cls}${extra}" data-op="${i}"><title>${esc(tip)}</title>${tail}<rect x="${x0}" y="${y}" width="${w}" height="${BAR}" rx="4"/>` +
        `<svg x="${x0 + 3}" y="${y}" width="${Math.max(0, w - 6)}" height="${BAR}"><text x="0" y="${BAR / 2 + 4}">${esc(label)}</text></svg></g>`,
    )
  }
  // The linearization (or the longest linearizable prefix): points, path, and the state lane.
  const spans = drawnSteps.map((s) => {
    const o = p.ops[s.op]!
    return {from: colOf(o), to: known(o) ? endOf(o) : endCol + 0.9}
  })
  const pts = linearizationPoints(spans)
  // Points sit on the lower edge of their bar, clear of its label.
  const coords = drawnSteps.map((s, k) => [x(pts[k]!), top + L.rows.get(String(p.ops[s.op]!.process))! * ROW + (ROW + BAR) / 2] as const)
  if (coords.length > 1) svg.push(`<polyline class="path" points="${coords.map(([a, b]) => `${a.toFixed(1)},${b}`).join(' ')}"/>`)
  coords.forEach(([a, b], k) => svg.push(`<circle class="dot" data-op="${drawnSteps[k]!.op}" cx="${a.toFixed(1)}" cy="${b}" r="4"><title>${esc(`step ${k + 1}: ${spec.describe(p.ops[drawnSteps[k]!.op]!)} → ${drawnSteps[k]!.state}`)}</title></circle>`))
  const laneEnd = f ? x(endOf(p.ops[f.op]!)) + DX / 2 : x(endCol) + DX / 2
  const bounds = [LEFT, ...coords.map(([a]) => a), laneEnd]
  const laneText = [p.initialState, ...drawnSteps.map((s) => s.state)]
  for (let k = 0; k + 1 < bounds.length; k++) {
    const a = bounds[k]!
    const b = Math.max(a, bounds[k + 1]!)
    svg.push(`<rect class="seg seg${k % 2}" x="${a}" y="4" width="${b - a}" height="${LANE - 8}"><title>${esc(`state: ${laneText[k]}`)}</title></rect>`)
    if (b - a > 14) svg.push(`<svg x="${a + 3}" y="4" width="${b - a - 5}" height="${LANE - 8}"><text class="statelbl" x="0" y="${(LANE - 8) / 2 + 4}">${esc(laneText[k]!)}</text></svg>`)
  }
  if (f) {
    const text = `✗ could be: ${f.states.map((s) => s.state).join(' | ')}`
    svg.push(`<rect class="frontier" x="${laneEnd}" y="4" width="${12 + text.length * 6.7}" height="${LANE - 8}" rx="3"/><text x="${laneEnd + 6}" y="${(LANE - 8) / 2 + 8}" fill="#c62828">${esc(text)}</text>`)
  }
  const heading = keyed ? `<h2>key ${esc(show(p.key ?? null))}${badge(p.status)}</h2>` : ''
  const explain = f ? `<div class="explain">${f.explanation.map((s) => `<p>${esc(s)}</p>`).join('')}</div>` : p.status === 'unknown' ? `<div class="explain"><p>The search was stopped (--timeout) before it finished: no verdict for this ${keyed ? 'key' : 'history'}.</p></div>` : ''
  return `<section data-part="${id}">${heading}${explain}
<div class="timeline"><svg class="labels" width="${LABELS}" height="${height}">${labels.join('')}</svg><div class="scroll"><svg width="${width + 280}" height="${height}" viewBox="0 0 ${width + 280} ${height}" role="img" aria-label="timeline">${svg.join('')}</svg></div></div>
${legend(!!f)}${L.clipped ? `<p class="note">Only ${L.ops.length} of ${p.ops.length} operations are drawn${f ? ', around the failure' : ''}.</p>` : ''}
${table(spec, p, steps)}${f ? windowTable(spec, p) : ''}</section>`
}

function legend(failed: boolean): string {
  const item = (fill: string, stroke: string, text: string, dash = false) => `<span><i style="background:${fill};border-color:${stroke}${dash ? ';border-style:dashed' : ''}"></i>${text}</span>`
  return `<div class="legend">${item('#dce8fb', '#2f6fdb', 'ok')}${item('#eceef2', '#7d8594', 'failed cas (happened, compare did not match)')}${item('#fff1d6', '#c77700', 'unknown outcome (info, timed out, never returned): may take effect any time after its call, or never', true)}${item('#fafafa', '#c3c8d1', 'ignored (failed write, read without a result)', true)}<span><i style="background:#7b1fa2;border-color:#7b1fa2;border-radius:50%;width:10px;height:10px"></i>linearization point</span>${failed ? item('#fde3e3', '#c62828', 'blocked operation') + item('#fff', '#f4a62a', 'failing window') : ''}</div>`
}

function table(spec: ModelSpec, p: PartitionResult, steps: Step[]): string {
  if (steps.length === 0 && !p.failure) return ''
  const f = p.failure
  const title = f ? `Longest linearizable prefix: ${steps.length} operations, then the blocked one` : `Linearization: ${steps.length} operations in order (required ones, and those of unknown outcome that took effect)`
  // Long orders: the first rows of a linearization, the last ones before a failure.
  const from = steps.length <= MAX_ROWS ? 0 : f ? steps.length - MAX_ROWS : 0
  const shown = steps.slice(from, from + MAX_ROWS)
  const rows = shown.map((s, i) => {
    const k = from + i
    const o = p.ops[s.op]!
    return `<tr data-op="${s.op}"><td>${k + 1}</td><td>${esc(spec.describe(o))}</td><td>${esc(String(o.process))}</td><td>${esc(linesOf(o))}</td><td class="state">${esc(s.state)}</td></tr>`
  })
  if (f) {
    const o = p.ops[f.op]!
    rows.push(`<tr class="blocked" data-op="${f.op}"><td>✗</td><td>${esc(spec.describe(o))}</td><td>${esc(String(o.process))}</td><td>${esc(linesOf(o))}</td><td class="state">could be ${esc(f.states.map((s) => s.state).join(', '))}</td></tr>`)
  }
  const cut = steps.length > MAX_ROWS ? `<p class="note">${f ? `Steps 1–${from} are not listed` : `Steps ${MAX_ROWS + 1}–${steps.length} are not listed`} (--json has them all).</p>` : ''
  return `<details${f || steps.length <= 200 ? ' open' : ''}><summary>${esc(title)}</summary>${f ? cut : ''}<div class="tablewrap"><table><thead><tr><th>#</th><th>operation</th><th>process</th><th>lines</th><th>state after</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>${f ? '' : cut}</details>`
}

function windowTable(spec: ModelSpec, p: PartitionResult): string {
  const f = p.failure!
  const inPrefix = new Map((f.prefix ?? []).map((s, k) => [s.op, k + 1]))
  const lines = f.window.flatMap((i) => [p.ops[i]!.invokeLine, p.ops[i]!.completeLine]).filter((l) => l > 0)
  const rows = f.window.map((i) => {
    const o = p.ops[i]!
    const where = i === f.op ? 'blocked' : inPrefix.has(i) ? `step ${inPrefix.get(i)}` : 'not in the prefix'
    return `<tr data-op="${i}"${i === f.op ? ' class="blocked"' : ''}><td>${esc(spec.describe(o))}</td><td>${esc(String(o.process))}</td><td>${esc(linesOf(o))}</td><td>${esc(outcomeWord(o, p.roles[i]))}</td><td>${where}</td></tr>`
  })
  return `<details open><summary>Failing window: ${f.window.length} operations, lines ${Math.min(...lines)}–${Math.max(...lines)}</summary><div class="tablewrap"><table><thead><tr><th>operation</th><th>process</th><th>lines</th><th>outcome</th><th>in the prefix</th></tr></thead><tbody>${rows.join('')}</tbody></table></div></details>`
}

function outcomeWord(o: Op, role: string | undefined): string {
  const e = effectiveOutcome(o)
  if (role === 'dropped') return `${o.outcome === 'none' ? 'never returned' : o.timedOut ? 'timed out' : o.outcome}, ignored`
  if (e === 'unknown') return o.outcome === 'none' ? 'never returned (unknown)' : o.timedOut ? 'timed out (unknown)' : 'info (unknown)'
  return e === 'fail' ? 'failed' : 'ok'
}

/** A label that fits a bar: "r 3", "w 3", "c 1→2 ✗", "w 4 ?", "+3". */
function short(spec: ModelSpec, o: Op): string {
  const e = effectiveOutcome(o)
  const mark = e === 'unknown' ? ' ?' : e === 'fail' ? ' ✗' : ''
  if (o.f === 'read') return e === 'ok' ? `r ${show(o.output)}` : 'r'
  if (o.f === 'write') return `w ${show(o.input)}${mark}`
  if (o.f === 'cas' && Array.isArray(o.input)) return `c ${show(o.input[0] ?? null)}→${show(o.input[1] ?? null)}${mark}`
  if (o.f === 'add') return `+${show(o.input)}${mark}`
  return spec.describe(o)
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c]!)
}
