import { lineChart } from '../report/charts.js';
import { CORRECTIONS, NOTEBOOK } from '../report/notebook.js';
import { type Column, formatMarkdown, formatTable } from '../report/table.js';
import { percent } from './config.js';
import { type FineTuneRow, NOTEBOOK_THRESHOLDS, type PruneOptions, type PruneResult, runPrune, type ThresholdRow } from './prune.js';
import { defineSection } from './section.js';

/** The λ sweep as the notebook prints it, with honest sizes and the CSR net's speed. */
export const SWEEP_COLUMNS: Column<ThresholdRow>[] = [
  { header: 'threshold', value: (r) => r.threshold, digits: 2 },
  { header: 'accuracy', value: (r) => r.accuracy, digits: 4 },
  { header: 'weights', value: (r) => r.weights },
  { header: 'zeros', value: (r) => r.zeros },
  { header: 'zero %', value: (r) => r.zeroPercent, digits: 1 },
  { header: 'dense MB', value: (r) => r.denseBytes / 2 ** 20, digits: 3 },
  { header: 'values only MB', value: (r) => r.csrValueBytes / 2 ** 20, digits: 3 },
  { header: 'CSR int32 MB', value: (r) => r.csrBytes / 2 ** 20, digits: 3 },
  { header: 'CSR u16 MB', value: (r) => r.csrBytesNarrow / 2 ** 20, digits: 3 },
  { header: 'dense/CSR', value: (r) => r.compression, digits: 2 },
  { header: 'ms b1 dense', value: (r) => r.denseLatency1 * 1000, significant: 3 },
  { header: 'ms b1 CSR', value: (r) => r.sparseLatency1 * 1000, significant: 3 },
  { header: 'ms b64 dense', value: (r) => r.denseLatency64 * 1000, significant: 3 },
  { header: 'ms b64 CSR', value: (r) => r.sparseLatency64 * 1000, significant: 3 },
  { header: 'speed-up b1', value: (r) => `${(r.denseLatency1 / r.sparseLatency1).toFixed(2)}×` },
  { header: 'speed-up b64', value: (r) => `${(r.denseLatency64 / r.sparseLatency64).toFixed(2)}×` },
];

/** The prune → fine-tune rounds. */
export const FINE_TUNE_COLUMNS: Column<FineTuneRow>[] = [
  { header: 'round', value: (r) => r.round },
  { header: 'target %', value: (r) => r.targetSparsity * 100, digits: 1 },
  { header: 'zeros %', value: (r) => r.sparsity * 100, digits: 2 },
  { header: 'fewer weights', value: (r) => `${r.reduction.toFixed(1)}×` },
  { header: 'accuracy pruned', value: (r) => r.accuracyPruned * 100, digits: 2 },
  { header: 'after fine-tune', value: (r) => r.accuracy * 100, digits: 2 },
  { header: 'ms b1 dense', value: (r) => r.denseLatency1 * 1000, significant: 3 },
  { header: 'ms b1 CSR', value: (r) => r.sparseLatency1 * 1000, significant: 3 },
  { header: 'speed-up b1', value: (r) => `${r.speedup1.toFixed(2)}×` },
  { header: 'ms b64 dense', value: (r) => r.denseLatency64 * 1000, significant: 3 },
  { header: 'ms b64 CSR', value: (r) => r.sparseLatency64 * 1000, significant: 3 },
  { header: 'speed-up b64', value: (r) => `${r.speedup64.toFixed(2)}×` },
];

const bestLine = (r: PruneResult): string => {
  const best = r.bestWithinHalfPoint;
  return best
    ? `Sparsest within 0.5 point: ${(best.sparsity * 100).toFixed(1)}% zeros (${best.reduction.toFixed(1)}× fewer weights) at ` +
        `${(best.accuracy * 100).toFixed(2)}%.`
    : 'No round stayed within 0.5 point of the unpruned accuracy.';
};

/** Section 2 of the notebook: zero (magnitude) pruning. */
export const prune = defineSection({
  name: 'prune',
  title: '2. Zero (magnitude) pruning',
  summary: 'section 2: magnitude (zero) pruning, stored and run as CSR, plus prune → fine-tune rounds',
  usesSimpleNet: true,
  notebookTrainsSimpleNet: true,
  defaults: {
    thresholds: NOTEBOOK_THRESHOLDS,
    fineTuneSchedule: [0.6, 0.8, 0.9, 0.95],
    fineTuneEpochs: 1,
    scope: 'global',
  } as PruneOptions,
  quick: { fineTuneSchedule: [0.5, 0.9] },
  options: {
    thresholds: { kind: 'numbers', min: 0, help: "λ values of the sweep (the notebook's)" },
    fineTuneSchedule: {
      kind: 'numbers',
      flag: 'schedule',
      min: 0,
      max: 1,
      openMax: true,
      noneAllowed: true,
      help: "target sparsities of the fine-tuning rounds ('none' skips)",
    },
    fineTuneEpochs: { kind: 'integer', min: 1, help: 'epochs of fine-tuning per round' },
    scope: { kind: 'choice', values: ['global', 'layer'], help: 'how rounds rank weights' },
  },
  run: runPrune,
  print: (r, config) => {
    let text = formatTable(r.sweep, SWEEP_COLUMNS);
    if (r.fineTune.length > 0) {
      text +=
        `\n\nprune → fine-tune rounds (${config.scope}, ${config.fineTuneEpochs} epoch(s) each), unpruned accuracy ` +
        `${percent(r.baseAccuracy)}\n`;
      text += `${formatTable(r.fineTune, FINE_TUNE_COLUMNS)}\n${bestLine(r)}`;
    }
    return `${text}\n`;
  },
  report: (r) => ({
    title: '2. Zero (magnitude) pruning',
    correction: CORRECTIONS.prune,
    lines: [
      `Notebook (λ, accuracy %, zeros %): ${NOTEBOOK.prune.sweep.map(([l, a, z]) => `${l}: ${a}, ${z}`).join('; ')}. Sizes at λ=0.03: ` +
        `${NOTEBOOK.prune.denseMB} MB dense, "${NOTEBOOK.prune.csrMB} MB" CSR (values only).`,
      '',
      formatMarkdown(r.sweep, SWEEP_COLUMNS),
      '',
      'chart:pruning-accuracy-vs-sparsity.svg',
      `Prune → fine-tune rounds (unpruned: ${percent(r.baseAccuracy)}):`,
      '',
      formatMarkdown(r.fineTune, FINE_TUNE_COLUMNS),
      '',
      bestLine(r),
    ],
    charts: [
      lineChart(
        'pruning-accuracy-vs-sparsity.svg',
        'Zero pruning: accuracy vs sparsity',
        [
          ...r.sweep.map((x) => ({ source: 'slimtensor', zeros: x.zeroPercent, accuracy: x.accuracy * 100 })),
          ...NOTEBOOK.prune.sweep.map(([, accuracy, zeros]) => ({ source: 'notebook', zeros, accuracy })),
        ],
        { x: ['weights set to zero (%)', 'zeros'], y: ['test accuracy (%)', 'accuracy'], series: 'source' },
      ),
    ],
    base: 'SimpleNet',
    bytes: [
      ...r.sweep.map((x) => ({
        name: `λ=${x.threshold}`,
        method: 'magnitude pruning (CSR)',
        bytes: x.csrBytesNarrow + r.biasBytes,
        accuracy: x.accuracy * 100,
      })),
      ...r.fineTune.map((x) => ({
        name: `${(x.sparsity * 100).toFixed(0)}% + fine-tune`,
        method: 'pruning + fine-tuning (CSR)',
        bytes: x.csrBytes + r.biasBytes,
        accuracy: x.accuracy * 100,
      })),
    ],
    speed: [
      ...r.sweep.slice(0, 1).map((x) => ({
        name: 'SimpleNet',
        method: 'dense fp32',
        accuracy: r.baseAccuracy * 100,
        ms1: x.denseLatency1 * 1000,
        ms64: x.denseLatency64 * 1000,
      })),
      ...r.sweep.map((x) => ({
        name: `λ=${x.threshold}`,
        method: 'magnitude pruning (CSR)',
        accuracy: x.accuracy * 100,
        ms1: x.sparseLatency1 * 1000,
        ms64: x.sparseLatency64 * 1000,
      })),
      ...r.fineTune.map((x) => ({
        name: `${(x.sparsity * 100).toFixed(0)}% + fine-tune`,
        method: 'pruning + fine-tuning (CSR)',
        accuracy: x.accuracy * 100,
        ms1: x.sparseLatency1 * 1000,
        ms64: x.sparseLatency64 * 1000,
      })),
    ],
  }),
});
