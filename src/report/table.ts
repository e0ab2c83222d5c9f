/** A column of a printed table: its heading and how to show a row's value. */
export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number;
  /** Digits after the point for numbers (default: as they are). */
  digits?: number;
}

/**
 * Formats rows as an aligned plain-text table (numbers right-aligned), as the notebook
 * prints its pandas DataFrames.
 * @example console.log(formatTable(rows, [{ header: 'epoch', value: (r) => r.epoch }]))
 */
export function formatTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = rows.map((row) =>
    columns.map((c) => {
      const v = c.value(row);
      return typeof v === 'number' && c.digits !== undefined ? v.toFixed(c.digits) : String(v);
    }),
  );
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
  const cell = (row: Row, c: Column<Row>): string => {
    const v = c.value(row);
    return (typeof v === 'number' && c.digits !== undefined ? v.toFixed(c.digits) : String(v)).replace(/\|/g, '\\|');
  };
  const numeric = columns.map((c) => rows.length > 0 && typeof c.value(rows[0]) === 'number');
  return [
    `| ${columns.map((c) => c.header).join(' | ')} |`,
    `|${numeric.map((n) => (n ? '---:' : '---')).join('|')}|`,
    ...rows.map((r) => `| ${columns.map((c) => cell(r, c)).join(' | ')} |`),
  ].join('\n');
}
