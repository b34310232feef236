import type { Row } from './context.js';

export const fixed = (value: number, digits = 1): string =>
  Number.isFinite(value) ? value.toFixed(digits) : String(value);

export const ms = (value: number): string => `${fixed(value, 1)} ms`;

export const perSecond = (value: number): string => `${fixed(value, 1)}/s`;

export const percent = (value: number): string => `${fixed(value * 100, 1)} %`;

/** `{ "201": 10, "409": 2 }` → `409×2` (the non-201 counts), or `none`. */
export function otherStatuses(byStatus: Record<string, number>): string {
  const others = Object.entries(byStatus)
    .filter(([status]) => status !== '201')
    .map(([status, count]) => `${status}×${count}`);
  return others.length ? others.join(', ') : 'none';
}

function verdict(row: Row): string {
  if (row.met === undefined) return '';
  return row.met ? 'ok' : 'MISSED';
}

/** A plain-text table: one block per section, aligned columns. */
export function renderTable(sections: ReadonlyArray<{ title: string; rows: readonly Row[] }>): string {
  const header = ['section', 'metric', 'value', 'target', ''];
  const lines: string[][] = [];
  for (const { title, rows } of sections) {
    rows.forEach((row, i) => {
      lines.push([i === 0 ? title : '', row.metric, row.value, row.target ?? '', verdict(row)]);
    });
  }
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((line) => line[c]!.length)));
  const render = (cells: string[]): string =>
    cells
      .map((cell, c) => (c === 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [render(header), rule, ...lines.map(render)].join('\n');
}

/** The rows of one section, indented, as it finishes. */
export function renderRows(rows: readonly Row[]): string {
  const width = Math.max(...rows.map((r) => r.metric.length));
  return rows
    .map((r) => `  ${r.metric.padEnd(width)}  ${r.value}${r.target ? `  (target ${r.target}: ${verdict(r)})` : ''}`)
    .join('\n');
}
