import { lineChart } from '../report/charts.js';
import { CORRECTIONS, NOTEBOOK } from '../report/notebook.js';
import { type Column, formatMarkdown, formatTable, toSignificant } from '../report/table.js';
import { type EnergyRow, type LowRankOptions, type LowRankResult, NOTEBOOK_RANKS, type RankRow, runLowRank } from './low-rank.js';
import { defineSection } from './section.js';

/** The fc3 rank sweep: the notebook's columns with honest counts, and the layer's and net's speed. */
export const RANK_COLUMNS: Column<RankRow>[] = [
  { header: 'rank', value: (r) => r.rank },
  { header: 'accuracy %', value: (r) => r.accuracy * 100, digits: 2 },
  { header: 'original params', value: (r) => r.originalParams },
  { header: 'new params', value: (r) => r.newParams },
  { header: 'notebook params', value: (r) => r.notebookParams },
  { header: 'operations', value: (r) => r.operations },
  { header: 'notebook ops', value: (r) => r.notebookOperations },
  { header: 'energy %', value: (r) => r.energy * 100, digits: 2 },
  { header: 'fc3 µs b64 dense', value: (r) => r.layerDense64 * 1e6, significant: 3 },
  { header: 'fc3 µs b64 low-rank', value: (r) => r.layerFactorized64 * 1e6, significant: 3 },
  { header: 'fc3 ms large dense', value: (r) => r.layerDense10k * 1e3, significant: 3 },
  { header: 'fc3 ms large low-rank', value: (r) => r.layerFactorized10k * 1e3, significant: 3 },
  { header: 'net ms b1 dense', value: (r) => r.denseLatency1 * 1e3, significant: 3 },
  { header: 'net ms b1', value: (r) => r.netLatency1 * 1e3, significant: 3 },
  { header: 'net speed-up b1', value: (r) => `${r.speedup1.toFixed(2)}×` },
  { header: 'net ms b64 dense', value: (r) => r.denseLatency64 * 1e3, significant: 3 },
  { header: 'net ms b64', value: (r) => r.netLatency64 * 1e3, significant: 3 },
  { header: 'net speed-up b64', value: (r) => `${r.speedup64.toFixed(2)}×` },
];

/** Every hidden layer factorized to an energy target. */
export const ENERGY_COLUMNS: Column<EnergyRow>[] = [
  { header: 'energy %', value: (r) => r.energy * 100, digits: 1 },
  { header: 'ranks fc1-fc3', value: (r) => r.ranks.map((k) => k ?? 'dense').join('-') },
  { header: 'params', value: (r) => r.params },
  { header: 'MFLOP / image', value: (r) => r.flops / 1e6, digits: 3 },
  { header: 'accuracy %', value: (r) => r.accuracy * 100, digits: 2 },
  { header: 'fine-tuned %', value: (r) => (r.fineTuned === undefined ? '' : (r.fineTuned * 100).toFixed(2)) },
  { header: 'net ms set dense', value: (r) => r.denseLatencySet * 1e3, significant: 3 },
  { header: 'net ms set', value: (r) => r.netLatency * 1e3, significant: 3 },
  { header: 'net ms b1 dense', value: (r) => r.denseLatency1 * 1e3, significant: 3 },
  { header: 'net ms b1', value: (r) => r.netLatency1 * 1e3, significant: 3 },
  { header: 'speed-up b1', value: (r) => `${r.speedup1.toFixed(2)}×` },
  { header: 'net ms b64 dense', value: (r) => r.denseLatency64 * 1e3, significant: 3 },
  { header: 'net ms b64', value: (r) => r.netLatency64 * 1e3, significant: 3 },
  { header: 'speed-up b64', value: (r) => `${r.speedup64.toFixed(2)}×` },
];

const originalLine = (r: LowRankResult): string =>
  `original: ${r.original.params} params, ${(r.original.flops / 1e6).toFixed(3)} MFLOP/image, ` +
  `${toSignificant(r.original.netLatency * 1e3, 3)} ms for the test set in batches of 64`;

/** Section 4 of the notebook: low-rank factorization. */
export const lowRank = defineSection({
  name: 'low-rank',
  title: '4. Low-rank factorization of fc3',
  summary: 'section 4: SVD of fc3 truncated to rank r, run as two real GEMMs; every layer by energy',
  usesSimpleNet: true,
  notebookTrainsSimpleNet: true,
  defaults: { ranks: NOTEBOOK_RANKS, energies: [0.8, 0.9, 0.95], fineTuneEpochs: 1, largeBatch: 10000 } as LowRankOptions,
  quick: { energies: [0.9], fineTuneEpochs: 0, largeBatch: 1000 },
  options: {
    ranks: { kind: 'numbers', min: 1, max: 128, integers: true, help: 'ranks of the fc3 sweep' },
    energies: {
      kind: 'numbers',
      min: 0,
      max: 1,
      openMin: true,
      noneAllowed: true,
      help: "spectral energy kept when factorizing every hidden layer ('none' skips)",
    },
    fineTuneEpochs: { kind: 'integer', min: 0, help: 'fine-tune each energy-factorized net (0 = none)' },
    largeBatch: { kind: 'integer', min: 1, help: 'the large batch of the fc3 timing' },
  },
  run: runLowRank,
  print: (r) => {
    let text = `fc3 singular values: ${r.spectrum
      .slice(0, 8)
      .map((v) => v.toFixed(3))
      .join(', ')}, … ${r.spectrum.at(-1)!.toExponential(2)}\n`;
    text += `break-even rank 128·256/(128+256) = ${r.breakEven.toFixed(1)}: below it the factorized layer is smaller and cheaper\n\n`;
    text += formatTable(r.sweep, RANK_COLUMNS);
    if (r.energy.length > 0) text += `\n\nevery hidden layer by energy kept (${originalLine(r)})\n${formatTable(r.energy, ENERGY_COLUMNS)}`;
    return `${text}\n`;
  },
  report: (r) => ({
    title: '4. Low-rank factorization of fc3',
    correction: CORRECTIONS['low-rank'],
    lines: [
      `Notebook (rank, accuracy %, params counted): ${NOTEBOOK.lowRank.sweep.map(([k, acc, p]) => `${k}: ${acc}, ${p}`).join('; ')}. ` +
        `Break-even rank here: ${r.breakEven.toFixed(1)}.`,
      '',
      formatMarkdown(r.sweep, RANK_COLUMNS),
      '',
      'chart:lowrank-accuracy-vs-rank.svg',
      'chart:lowrank-spectrum.svg',
      `Every hidden layer by spectral energy (${originalLine(r)}):`,
      '',
      formatMarkdown(r.energy, ENERGY_COLUMNS),
    ],
    charts: [
      lineChart(
        'lowrank-accuracy-vs-rank.svg',
        'Low-rank fc3: accuracy vs rank',
        [
          ...r.sweep.map((x) => ({ source: 'slimtensor', rank: x.rank, accuracy: x.accuracy * 100 })),
          ...NOTEBOOK.lowRank.sweep.map(([rank, accuracy]) => ({ source: 'notebook', rank, accuracy })),
        ],
        { x: ['rank of fc3 (log scale)', 'rank'], y: ['test accuracy (%)', 'accuracy'], series: 'source', xScale: 'log' },
      ),
      lineChart(
        'lowrank-spectrum.svg',
        'Singular values of fc3 (256 → 128)',
        r.spectrum.map((sigma, i) => ({ index: i + 1, sigma })),
        { x: ['index i', 'index'], y: ['singular value σᵢ', 'sigma'], yZero: true },
      ),
    ],
    base: 'SimpleNet',
    bytes: [
      ...r.sweep.map((x) => ({
        name: `fc3 rank ${x.rank}`,
        method: 'low-rank fc3',
        bytes: 4 * (r.original.params - x.originalParams + x.newParams),
        accuracy: x.accuracy * 100,
      })),
      ...r.energy.map((e) => ({
        name: `energy ${e.energy}`,
        method: 'low-rank, all layers',
        bytes: 4 * e.params,
        accuracy: (e.fineTuned ?? e.accuracy) * 100,
      })),
    ],
    speed: [
      ...r.sweep.map((x) => ({
        name: `fc3 rank ${x.rank}`,
        method: 'low-rank fc3',
        accuracy: x.accuracy * 100,
        ms1: x.netLatency1 * 1000,
        ms64: x.netLatency64 * 1000,
      })),
      ...r.energy.map((e) => ({
        name: `energy ${e.energy}`,
        method: 'low-rank, all layers',
        accuracy: e.accuracy * 100,
        ms1: e.netLatency1 * 1000,
        ms64: e.netLatency64 * 1000,
      })),
    ],
  }),
});
