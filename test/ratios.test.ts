import { beforeAll, describe, expect, it } from 'vitest';
import type { MnistData } from '../src/data/mnist.js';
import { NOTEBOOK_SETTINGS } from '../src/experiments/config.js';
import type { Section, SectionContext } from '../src/experiments/section.js';
import { SECTIONS } from '../src/experiments/sections.js';
import { loadMnistData } from '../src/node/mnist.js';

/**
 * Every speed-up a section prints can be recomputed from the times printed beside it: the
 * models compared are timed in one call, the ratio is taken between those medians, and
 * times are printed with three significant digits. Each section runs on a small slice,
 * and each of its tables is read back as printed.
 */

interface Table {
  columns: string[];
  rows: string[][];
}

/** The plain-text tables of `formatTable` in `text`: a header line, a line of dashes, the rows. */
function tables(text: string): Table[] {
  const lines = text.split('\n');
  const found: Table[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (!/^-+( {2}-+)*$/.test(lines[i])) continue;
    const spans: [number, number][] = [];
    for (const m of lines[i].matchAll(/-+/g)) spans.push([m.index!, m.index! + m[0].length]);
    const cut = (line: string): string[] => spans.map(([a, b]) => line.slice(a, b).trim());
    // A row has blanks between the columns; the first line that does not ends the table.
    const aligned = (line: string): boolean => spans.slice(1).every(([a], k) => line.slice(spans[k][1], a).trim() === '');
    const rows: string[][] = [];
    for (let j = i + 1; j < lines.length && lines[j].trim() !== '' && aligned(lines[j]); j++) rows.push(cut(lines[j]));
    found.push({ columns: cut(lines[i - 1]), rows });
  }
  return found;
}

/** How a ratio column is recomputed: `over` ÷ `under`, `over` from the same row or from the first row of its group. */
interface RatioRule {
  ratio: string;
  over: string;
  under: string;
  /** The base row is the first row with the same value in this column (e.g. the model), or the table's first row when absent. */
  baseRowBy?: string;
  /** The base is another row: the ratio's numerator comes from that row's `over` column. */
  fromBase?: boolean;
}

const RULES: Record<string, RatioRule[]> = {
  distill: [
    { ratio: 'vs teacher b1', over: 'ms b1', under: 'ms b1', fromBase: true },
    { ratio: 'vs teacher b64', over: 'ms / batch 64', under: 'ms / batch 64', fromBase: true },
  ],
  prune: [
    { ratio: 'speed-up b1', over: 'ms b1 dense', under: 'ms b1 CSR' },
    { ratio: 'speed-up b64', over: 'ms b64 dense', under: 'ms b64 CSR' },
  ],
  'activation-prune': [
    { ratio: 'speed-up b1', over: 'ms b1 original', under: 'ms b1' },
    { ratio: 'speed-up b64', over: 'ms b64 original', under: 'ms b64' },
    { ratio: 'speed-up set', over: 'ms set original', under: 'ms set' },
  ],
  'low-rank': [
    { ratio: 'net speed-up b1', over: 'net ms b1 dense', under: 'net ms b1' },
    { ratio: 'net speed-up b64', over: 'net ms b64 dense', under: 'net ms b64' },
    { ratio: 'speed-up b1', over: 'net ms b1 dense', under: 'net ms b1' },
    { ratio: 'speed-up b64', over: 'net ms b64 dense', under: 'net ms b64' },
  ],
  quantize: [
    { ratio: 'speed-up b1', over: 'ms b1', under: 'ms b1', fromBase: true, baseRowBy: 'model' },
    { ratio: 'speed-up b64', over: 'ms b64', under: 'ms b64', fromBase: true, baseRowBy: 'model' },
    { ratio: 'speed-up set', over: 'ms test set', under: 'ms test set', fromBase: true, baseRowBy: 'model' },
  ],
};

/** Small settings that still exercise every table: one epoch on a slice, short sweeps. */
const SMALL: Record<string, object> = {
  distill: {},
  prune: { thresholds: [0, 0.05], fineTuneSchedule: [0.5] },
  'activation-prune': { thresholds: [0, 0.5], fineTune: [] },
  'low-rank': { ranks: [64, 8], energies: [0.9], fineTuneEpochs: 0, largeBatch: 300 },
  quantize: {},
};

/** Half a unit in the last of the digits printed in `cell` (0.0216 → 0.00005). */
function halfUnit(cell: string): number {
  const decimals = cell.includes('.') ? cell.split('.')[1].length : 0;
  return 0.5 * 10 ** -decimals;
}

/** Checks every rule that applies to a table; returns how many ratios it recomputed. */
function checkTable(t: Table, rules: RatioRule[]): number {
  let checked = 0;
  for (const rule of rules) {
    const [r, o, u] = [rule.ratio, rule.over, rule.under].map((c) => t.columns.indexOf(c));
    if (r < 0 || o < 0 || u < 0) continue;
    const group = rule.baseRowBy ? t.columns.indexOf(rule.baseRowBy) : -1;
    for (const row of t.rows) {
      const base = rule.fromBase ? t.rows.find((b) => group < 0 || b[group] === row[group])! : row;
      const printed = Number(row[r].replace('×', ''));
      // The times as printed stand for any value within half a unit of their last digit;
      // the ratio printed (two decimals) must lie in the range those allow.
      const [over, under] = [Number(base[o]), Number(row[u])];
      const low = (over - halfUnit(base[o])) / (under + halfUnit(row[u])) - 0.005;
      const high = (over + halfUnit(base[o])) / (under - halfUnit(row[u])) + 0.005;
      expect(printed >= low && printed <= high, `${rule.ratio}: ${row[r]} against ${base[o]} / ${row[u]}`).toBe(true);
      for (const ms of [base[o], row[u]])
        expect(ms.replace(/^0\.0*/, '').replace('.', '').length, `${ms} has fewer than 3 significant digits`).toBeGreaterThanOrEqual(3);
      checked++;
    }
  }
  return checked;
}

describe('every printed speed-up is the ratio of the times printed beside it', () => {
  let data: MnistData;
  const context: SectionContext = {};
  beforeAll(async () => {
    data = await loadMnistData({ trainLimit: 600, testLimit: 300 });
  });

  for (const name of Object.keys(RULES)) {
    it(name, async () => {
      const section = SECTIONS.find((s) => s.name === name) as Section<string, object, unknown>;
      const config = { ...NOTEBOOK_SETTINGS, epochs: 1, ...section.defaults, ...SMALL[name] };
      const result = await section.run(config, data, context);
      const printed = tables(section.print(result, config));
      expect(printed.length).toBeGreaterThan(0);
      const checked = printed.reduce((n, t) => n + checkTable(t, RULES[name]), 0);
      expect(checked, 'no ratio column was found').toBeGreaterThanOrEqual(2);
    });
  }

  it('the reader of tables sees a wrong ratio (it can fail)', () => {
    const table = tables('ms b1 dense  ms b1 CSR  speed-up b1\n-----------  ---------  -----------\n      0.100     0.0500  3.00×\n');
    expect(() => checkTable(table[0], RULES.prune)).toThrow(/speed-up b1: 3\.00× against 0\.100 \/ 0\.0500/);
    const right = tables('ms b1 dense  ms b1 CSR  speed-up b1\n-----------  ---------  -----------\n      0.123     0.0216  5.67×\n');
    expect(checkTable(right[0], RULES.prune)).toBe(1); // 5.67 lies within what 0.123 / 0.0216 allow
  });
});
