import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../src/node/mnist.js';
import { tempDir } from './helpers.js';
import { runCli } from './run-cli.js';

/**
 * The scripts of examples/, run as a user runs them (`npx tsx examples/… --quick`, importing
 * the package as 'slimtensor'), their printed tables checked against the notebook's rows
 * and columns, and their accuracies against the CLI's own run of the same section with the
 * same seed, to the digit: the library and the CLI share one code path.
 */

const ROOT = resolve(__dirname, '..');

function runExample(name: string, ...args: string[]): string {
  return execFileSync(process.execPath, ['--import', 'tsx', join('examples', `${name}.ts`), '--quick', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 16 * 2 ** 20,
  });
}

/** The section's results as `slimtensor <section> --quick --out DIR` writes them. */
async function cliResult<T>(section: string, file: string, ...args: string[]): Promise<T> {
  const out = tempDir(`example-${section}`);
  const { code, err } = await runCli([section, '--quick', '--out', out, ...args]);
  expect(err).toBe('');
  expect(code).toBe(0);
  return JSON.parse(readFileSync(join(out, file), 'utf8')) as T;
}

interface Table {
  columns: string[];
  rows: string[][];
}

/** Every table `console.table` printed: its columns (without the index) and its cells, quotes removed. */
function tables(output: string): Table[] {
  const found: Table[] = [];
  let current: string[][] = [];
  for (const line of output.split('\n')) {
    if (line.startsWith('│'))
      current.push(
        line
          .split('│')
          .slice(2, -1)
          .map((c) => c.trim().replace(/^'(.*)'$/, '$1')),
      );
    if (line.startsWith('└')) {
      found.push({ columns: current[0], rows: current.slice(1) });
      current = [];
    }
  }
  return found;
}

/** The notebook's epoch lines: `Epoch 1, Loss: 0.23, Accuracy: 97.60%`. */
function epochs(output: string): { epoch: number; loss: number; accuracy: string }[] {
  return [...output.matchAll(/^Epoch (\d+), Loss: ([\d.e+-]+), Accuracy: ([\d.]+)%$/gm)].map((m) => ({
    epoch: Number(m[1]),
    loss: Number(m[2]),
    accuracy: m[3],
  }));
}

const column = (t: Table, name: string): string[] => {
  const i = t.columns.indexOf(name);
  if (i < 0) throw new Error(`no column '${name}' in [${t.columns.join(', ')}]`);
  return t.rows.map((r) => r[i]);
};
const pct = (fraction: number): string => (fraction * 100).toFixed(2);
/** A number as console.table prints `Number(x.toFixed(d))`. */
const shown = (x: number, digits: number): string => String(Number(x.toFixed(digits)));

describe('examples/, each against the CLI on the same slice and seed', () => {
  it('01-distillation: the epochs, the summary table, the same accuracies as slimtensor distill', async () => {
    const out = runExample('01-distillation');
    const cli = await cliResult<{
      epochs: { model: string; loss: number; accuracy: number }[];
      models: { model: string; accuracy: number }[];
    }>('distill', 'distill.json');
    const acc = (name: string): number => cli.models.find((m) => m.model === name)!.accuracy;
    expect(epochs(out).map((e) => e.accuracy)).toEqual([pct(acc('teacher')), pct(acc('student-kd-notebook'))]);
    expect(epochs(out).map((e) => e.loss)).toEqual(
      cli.epochs.filter((e) => e.model === 'teacher' || e.model === 'student-kd-notebook').map((e) => e.loss),
    );
    const [summary] = tables(out);
    expect(summary.columns).toEqual(['model', 'params', 'accuracy %', 'KiB', 'ms / batch 64']);
    expect(column(summary, 'params')).toEqual(['67786', '101770', '101770', '101770']); // the notebook's models
    expect(column(summary, 'accuracy %')).toEqual(
      ['teacher', 'student-kd-notebook', 'student-kd', 'student-labels'].map((m) => shown(acc(m) * 100, 2)),
    );
    for (const a of column(summary, 'accuracy %')) expect(Number(a)).toBeGreaterThan(50);
    expect(out).toMatch(/The student runs \d+\.\d\d× as fast as the teacher/);
  });

  it("02-zero-pruning: the notebook's sweep table (its rows and columns), sizes, the same accuracies as slimtensor prune", async () => {
    const out = runExample('02-zero-pruning');
    const cli = await cliResult<{
      training: { accuracy: number }[];
      sweep: { threshold: number; accuracy: number; zeros: number }[];
      fineTune: { accuracy: number }[];
    }>('prune', 'prune.json');
    expect(epochs(out).map((e) => e.accuracy)).toEqual(cli.training.map((e) => pct(e.accuracy)));
    const [sweep] = tables(out);
    expect(sweep.columns).toEqual(['Threshold', 'Accuracy', 'Original Params', 'Zero Params', 'Zero percentage']);
    expect(column(sweep, 'Threshold')).toEqual(['0', '0.01', '0.02', '0.03', '0.04', '0.05', '0.06', '0.07', '0.08', '0.09', '0.1']);
    expect(column(sweep, 'Original Params').every((v) => v === '566528')).toBe(true);
    expect(column(sweep, 'Accuracy')).toEqual(cli.sweep.map((r) => shown(r.accuracy, 4)));
    expect(column(sweep, 'Zero Params')).toEqual(cli.sweep.map((r) => String(r.zeros)));
    expect(Number(column(sweep, 'Accuracy')[0])).toBeGreaterThan(0.5);
    expect(out).toMatch(
      /λ = 0\.03: dense 2\.1611 MB; CSR values only 0\.\d+ MB \(the notebook's figure\), with int32 indices and row pointers \d\.\d+ MB/,
    );
    expect([...out.matchAll(/zeros: accuracy ([\d.]+)% after fine-tuning/g)].map((m) => m[1])).toEqual(
      cli.fineTune.map((r) => pct(r.accuracy)),
    );
  });

  it(
    "03-activation-pruning: the notebook's columns and thresholds, the same accuracies and parameters as slimtensor " + 'activation-prune',
    async () => {
      const out = runExample('03-activation-pruning');
      const cli = await cliResult<{ training: { accuracy: number }[]; sweep: { accuracy: number; newParams: number }[] }>(
        'activation-prune',
        'activation-prune.json',
      );
      expect(epochs(out).map((e) => e.accuracy)).toEqual(cli.training.map((e) => pct(e.accuracy)));
      const [sweep] = tables(out);
      expect(sweep.columns.slice(0, 6)).toEqual([
        'Threshold',
        'Accuracy',
        'Original Params',
        'New Params',
        'Inference Time ms',
        'Size Reduction',
      ]);
      expect(column(sweep, 'Threshold')).toEqual(['0', '0.1', '0.2', '0.3', '0.4', '0.5', '0.6', '0.7', '0.8', '0.9', '1']);
      expect(column(sweep, 'Original Params').every((v) => v === '567434')).toBe(true);
      expect(column(sweep, 'Accuracy')).toEqual(cli.sweep.map((r) => shown(r.accuracy * 100, 2)));
      expect(column(sweep, 'New Params')).toEqual(cli.sweep.map((r) => String(r.newParams)));
    },
  );

  it("04-low-rank: the notebook's ranks and counts beside the honest ones, the same accuracies as slimtensor low-rank", async () => {
    const out = runExample('04-low-rank');
    const cli = await cliResult<{
      training: { accuracy: number }[];
      sweep: {
        rank: number;
        accuracy: number;
        newParams: number;
        notebookParams: number;
        operations: number;
        notebookOperations: number;
      }[];
    }>('low-rank', 'low-rank.json');
    expect(epochs(out).map((e) => e.accuracy)).toEqual(cli.training.map((e) => pct(e.accuracy)));
    const [sweep] = tables(out);
    expect(sweep.columns.slice(0, 7)).toEqual([
      'Rank',
      'Accuracy',
      'Original Params',
      'New Params',
      'Notebook Params',
      'Operations',
      'Notebook Operations',
    ]);
    expect(column(sweep, 'Rank')).toEqual(['128', '100', '90', '80', '60', '50', '40', '30', '20', '10', '5', '2', '1']);
    expect(column(sweep, 'Accuracy')).toEqual(cli.sweep.map((r) => shown(r.accuracy * 100, 2)));
    for (const key of ['newParams', 'notebookParams', 'operations', 'notebookOperations'] as const) {
      const name = {
        newParams: 'New Params',
        notebookParams: 'Notebook Params',
        operations: 'Operations',
        notebookOperations: 'Notebook Operations',
      }[key];
      expect(column(sweep, name)).toEqual(cli.sweep.map((r) => String(r[key])));
    }
    // The notebook's own figures for its cells: 48,400 parameters and 1,548,800 operations at rank 100.
    expect(sweep.rows[1].slice(4, 7)).toEqual(['48400', '1228800', '1548800']);
  });

  it("05-quantization: the int8 accuracy, bytes and file bytes equal slimtensor quantize's", async () => {
    const out = runExample('05-quantization');
    const cli = await cliResult<{ rows: { model: string; scheme: string; accuracy: number; weightBytes: number; fileBytes: number }[] }>(
      'quantize',
      'quantize.json',
      '--no-teacher',
    );
    const int8 = cli.rows.find((r) => r.scheme === 'int8 per-tensor')!;
    expect(out).toContain(`int8 accuracy: ${pct(int8.accuracy)}%`);
    const [table] = tables(out);
    expect(column(table, 'scheme')).toEqual(['fp32', 'int8 per tensor', 'int8 per channel']);
    expect(column(table, 'accuracy %')).toEqual(cli.rows.map((r) => shown(r.accuracy * 100, 2)));
    expect(column(table, 'bytes')).toEqual(cli.rows.map((r) => String(r.weightBytes)));
    // The file adds its header (tensor names, shapes, offsets) to the arrays; the CLI's also holds a model name.
    column(table, 'file bytes').forEach((b, i) => {
      expect(Number(b) - cli.rows[i].weightBytes).toBeGreaterThan(0);
    });
    column(table, 'file bytes').forEach((b, i) => {
      expect(Number(b)).toBeLessThanOrEqual(cli.rows[i].fileBytes);
    });
    expect(out).toMatch(/The int8 weights are 3\.9\d× smaller than fp32/);
  });

  describe('06-deep-compression', () => {
    let out: string;
    beforeAll(() => {
      out = runExample('06-deep-compression');
    });

    it("Table 1's stages, the file's size and every accuracy equal slimtensor deep-compress's", async () => {
      const cli = await cliResult<{ accuracy: Record<'dense' | 'pruned' | 'shared' | 'decoded', number>; fileBytes: number }>(
        'deep-compress',
        'deep-compress.json',
      );
      const [stages] = tables(out);
      expect(column(stages, 'stage')).toEqual(['dense float32', 'pruned', '+ quantization', '+ Huffman', 'the file on disk']);
      const error = (a: number): string => `${(100 * (1 - a)).toFixed(2)}%`;
      expect(column(stages, 'error %')).toEqual(
        [cli.accuracy.dense, cli.accuracy.pruned, cli.accuracy.shared, cli.accuracy.shared, cli.accuracy.decoded].map(error),
      );
      expect(column(stages, 'KB').at(-1)).toBe(shown(cli.fileBytes / 1000, 1));
      expect(Number(column(stages, 'ratio').at(-1))).toBeGreaterThan(30);
    });

    it("the per-layer table keeps about the paper's share of weights", () => {
      const [, layers] = tables(out);
      expect(column(layers, 'layer')).toEqual(['fc1', 'fc2', 'fc3']);
      column(layers, 'kept %').forEach((k, i) => {
        expect(Math.abs(Number(k) - [8, 9, 26][i])).toBeLessThan(1.5);
      });
    });
  });

  it('07-mnist-from-bytes: decodeIdx and mnistSplit give the images and labels loadMnist gives', async () => {
    const out = runExample('07-mnist-from-bytes');
    const test = await loadMnist('test', { limit: 1000 });
    const counts = Array.from({ length: 10 }, (_, d) => test.labels.filter((y) => y === d).length);
    expect(out).toContain('images: shape [10000, 28, 28], labels: shape [10000]');
    expect(out).toContain('1000 images of 28×28, values in [-1, 1]');
    expect(out).toContain(`images per digit: ${counts.join(' ')}`);
  });

  it("08-observers: every observer at 10, 100 and 1,000 calibration images; MinMax's scale is its range over 127 levels", () => {
    const [t] = tables(runExample('08-observers'));
    const observers = ['MinMax', 'moving average', 'histogram (x86 default)', 'percentile 99.99', 'entropy'];
    expect(column(t, 'observer')).toEqual([...observers, ...observers, ...observers]);
    expect(column(t, 'calibration images')).toEqual(['10', '100', '1000'].flatMap((n) => observers.map(() => n)));
    const ranges = column(t, 'fc2 input range').map((r) => (JSON.parse(r) as number[]).map(Number));
    const scales = column(t, 'fc2 scale').map(Number);
    t.rows.forEach((_, i) => {
      const [lo, hi] = ranges[i];
      expect(lo).toBe(0); // fc2's input is a ReLU's output
      expect(hi).toBeGreaterThan(0);
      // 7 bits (reduce_range): the scale spans the range in 127 steps, to the digits printed.
      expect(Math.abs(scales[i] - hi / 127)).toBeLessThanOrEqual(1e-3 * scales[i] + 5e-4 / 127);
      expect(column(t, 'fc2 zero point')[i]).toBe('0');
      for (let l = 1; l <= 4; l++) {
        const db = Number(column(t, `fc${l} SQNR dB`)[i]);
        expect(db).toBeGreaterThan(10);
        expect(db).toBeLessThan(60);
      }
    });
    // MinMax over more images never narrows (it keeps every value seen).
    const minmax = ranges.filter((_, i) => i % observers.length === 0).map(([, hi]) => hi);
    expect(minmax[1]).toBeGreaterThanOrEqual(minmax[0]);
    expect(minmax[2]).toBeGreaterThanOrEqual(minmax[1]);
  });

  it("09-static-int8: static int8 keeps fp32's accuracy to within a point at a quarter of the bytes, as dynamic does", () => {
    const out = runExample('09-static-int8');
    const [t] = tables(out);
    expect(column(t, 'scheme')).toEqual([
      'fp32',
      'dynamic int8 (per channel)',
      'static int8, histogram (x86 default), 1000 images',
      'static int8, MinMax, 1000 images',
      'QAT int8, one epoch',
      'QAT 4-bit weights and activations, one epoch',
    ]);
    const accuracy = column(t, 'accuracy %').map(Number);
    const bytes = column(t, 'bytes').map(Number);
    const fileBytes = column(t, 'file bytes').map(Number);
    for (const i of [2, 3]) {
      expect(Math.abs(accuracy[i] - accuracy[0])).toBeLessThanOrEqual(1);
      expect(bytes[i]).toBeLessThan(bytes[0] / 3.9);
      expect(fileBytes[i]).toBeGreaterThan(bytes[i]);
    }
    // One more epoch, through fake quantization: int8 keeps (or betters) fp32's accuracy to within 2 points; 4-bit learns.
    expect(accuracy[4]).toBeGreaterThan(accuracy[0] - 2);
    expect(accuracy[5]).toBeGreaterThan(50);
    expect(out).toMatch(/fc2's output: scale [\d.]+, zero point 0/); // a ReLU's output: 0 is the zero point
  });
});
