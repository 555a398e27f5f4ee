import {paint, visibleLength} from './style.js'

export interface Column<T> {
  header: string
  get: (row: T) => string
  align?: 'left' | 'right'
}

/** A plain aligned table: a bold header row, then one line per row. No borders, easy to grep. */
export function renderTable<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => c.get(r)))
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => visibleLength(row[i]!))))
  const pad = (text: string, i: number) => {
    const gap = ' '.repeat(widths[i]! - visibleLength(text))
    return columns[i]!.align === 'right' ? gap + text : text + gap
  }
  const header = columns.map((c, i) => pad(c.header, i)).join('  ').trimEnd()
  const lines = [paint('bold', header)]
  for (const row of cells) lines.push(row.map((text, i) => pad(text, i)).join('  ').trimEnd())
  return lines.join('\n')
}
