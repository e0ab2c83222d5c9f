/** A column of a printed table: its heading and how to show a row's value. */
export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number;
  /** Digits after the point for numbers (default: as they are). */
  digits?: number;
  /** Significant digits for numbers instead (times: at least three, so that a ratio can be recomputed from them). */
  significant?: number;
}

/** `v` with `n` significant digits, never in exponent form: 0.0150, 16.4, 1234. */
export function toSignificant(v: number, n: number): string {
  if (v === 0 || !Number.isFinite(v)) return String(v);
  return v.toFixed(Math.max(0, n - 1 - Math.floor(Math.log10(Math.abs(v)))));
}

/** A cell as printed: numbers with the column's digits. */
function show<Row>(row: Row, c: Column<Row>): string {
  const v = c.value(row);
  if (typeof v !== 'number') return v;
  if (c.significant !== undefined) return toSignificant(v, c.significant);
  return c.digits !== undefined ? v.toFixed(c.digits) : String(v);
}

/**
 * Formats rows as an aligned plain-text table (numbers right-aligned), as the notebook
 * prints its pandas DataFrames.
 * @example console.log(formatTable(rows, [{ header: 'epoch', value: (r) => r.epoch }]))
 */
export function formatTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = rows.map((row) => columns.map((c) => show(row, c)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  const numeric = columns.map((c) => rows.length > 0 && typeof c.value(rows[0]) === 'number');
  const pad = (s: string, i: number): string => (numeric[i] ? s.padStart(widths[i]) : s.padEnd(widths[i]));
  const lines = [columns.map((c, i) => pad(c.header, i)).join('  '), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of cells) lines.push(r.map(pad).join('  '));
  return lines.join('\n');
}

/**
 * The same rows as a Markdown table (GitHub style), for report.md.
 * @example formatMarkdown(rows, columns) // "| epoch | loss |\n|---:|---:|\n| 1 | 0.3201 |"
 */
export function formatMarkdown<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cell = (row: Row, c: Column<Row>): string => show(row, c).replace(/\|/g, '\\|');
  const numeric = columns.map((c) => rows.length > 0 && typeof c.value(rows[0]) === 'number');
  return [
    `| ${columns.map((c) => c.header).join(' | ')} |`,
    `|${numeric.map((n) => (n ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${columns.map((c) => cell(r, c)).join(' | ')} |`),
  ].join('\n');
}
