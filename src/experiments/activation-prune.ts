import { join } from 'node:path';
import { forwardMedians, SET_TIMING, TIMING_BATCH } from '../compress/measure.js';
import { activationStats, type NeuronScore, neuronScores, removeNeurons } from '../compress/neurons.js';
import type { MnistData } from '../data/mnist.js';
import { saveModel } from '../node/files.js';
import { lineChart } from '../report/charts.js';
import { CORRECTIONS, NOTEBOOK } from '../report/notebook.js';
import { type Column, formatMarkdown, formatTable } from '../report/table.js';
import { type EpochRow, trainClassifier } from '../train/classifier.js';
import { evaluate } from '../train/evaluate.js';
import { percent, SectionClock, type SectionSeconds, writeJson } from './config.js';
import { defineSection, type SectionConfig, type SectionContext } from './section.js';
import { trainedSimpleNet } from './simple-net.js';

/** Settings of section 3. */
export interface ActivationPruneOptions {
  /** Thresholds of the sweep (the notebook: 0, 0.1, …, 1). */
  thresholds: number[];
  /** How neurons are scored (the notebook: mean activation). */
  score: NeuronScore;
  /** Thresholds whose pruned network is also fine-tuned for `fineTuneEpochs`. */
  fineTune: number[];
  fineTuneEpochs: number;
}

/** The notebook's thresholds: `np.linspace(0, 1, 11)`. */
export const NOTEBOOK_ACTIVATION_THRESHOLDS = Array.from({ length: 11 }, (_, i) => i / 10);

/** One threshold of the sweep: the notebook's columns plus what it leaves out. */
export interface ActivationRow {
  threshold: number;
  accuracy: number;
  originalParams: number;
  newParams: number;
  /** 1 − new ÷ original (the notebook's "size reduction"). */
  sizeReduction: number;
  /** Neurons kept in each hidden layer (of 512, 256, 128). */
  kept: number[];
  /** Hidden layers where no neuron reached the threshold (the strongest was kept). */
  emptied: number[];
  /** Model-only forward time at batch 1, of one batch of 64 and of the whole test set in batches of 64, seconds (medians). */
  latency1: number;
  latencyBatch: number;
  latencySet: number;
  /** The original network's, timed beside it in the same calls. */
  base1: number;
  baseBatch: number;
  baseSet: number;
  /** base ÷ latency, at batch 1, 64 and for the whole set. */
  speedup1: number;
  speedup64: number;
  speedup: number;
  /** Accuracy after fine-tuning the pruned net, when asked for. */
  fineTuned?: number;
}

/** What section 3 returns. */
export interface ActivationPruneResult {
  training: EpochRow[];
  baseAccuracy: number;
  /** Mean activation of each hidden layer's neurons, summarized. */
  layers: { layer: string; neurons: number; meanActivation: number; dead: number }[];
  sweep: ActivationRow[];
  seconds: SectionSeconds;
}

/**
 * Section 3: train SimpleNet, measure every hidden neuron's mean ReLU activation over the
 * training set, then for each threshold build the network without the neurons below it
 * (really smaller matrices, not masks) and measure accuracy, parameters and model-only
 * latency against the original.
 */
export async function runActivationPrune(
  config: SectionConfig<ActivationPruneOptions>,
  data: MnistData,
  context: SectionContext = {},
): Promise<ActivationPruneResult> {
  const clock = new SectionClock();
  const { net, epochs: training, accuracy: baseAccuracy } = await trainedSimpleNet(config, data, context.net);
  const stats = activationStats(net, data.train);
  const scores = neuronScores(net, config.score, stats);
  const layers = stats.mean.map((m, i) => ({
    layer: `fc${i + 1}`,
    neurons: m.length,
    meanActivation: m.reduce((a, b) => a + b, 0) / m.length,
    dead: m.filter((v) => v === 0).length,
  }));
  const originalParams = net.numParameters();
  const x = data.testSet.x;
  const sweep: ActivationRow[] = [];
  for (const threshold of config.thresholds) {
    const pruned = removeNeurons(net, scores, threshold);
    const [base1, latency1] = forwardMedians([net, pruned.net], x, { batchSize: 1 });
    const [baseBatch, latencyBatch] = forwardMedians([net, pruned.net], x, { batchSize: TIMING_BATCH });
    const [baseSet, latencySet] = forwardMedians([net, pruned.net], x, { batchSize: TIMING_BATCH, wholeSet: true }, SET_TIMING);
    const newParams = pruned.net.numParameters();
    const row: ActivationRow = {
      threshold,
      accuracy: evaluate(pruned.net, data.testSet),
      originalParams,
      newParams,
      sizeReduction: 1 - newParams / originalParams,
      kept: pruned.kept.map((k) => k.length),
      emptied: pruned.emptied,
      latency1,
      latencyBatch,
      latencySet,
      base1,
      baseBatch,
      baseSet,
      speedup1: base1 / latency1,
      speedup64: baseBatch / latencyBatch,
      speedup: baseSet / latencySet,
    };
    clock.mark('notebook');
    if (config.fineTune.some((t) => Math.abs(t - threshold) < 1e-9)) {
      const log = trainClassifier(
        `fine-tune t=${threshold}`,
        pruned.net,
        data,
        { ...config, epochs: config.fineTuneEpochs },
        { seed: config.seed + 2000 },
      );
      row.fineTuned = log.at(-1)!.accuracy;
      if (config.out)
        await saveModel(pruned.net, join(config.out, `neurons-pruned-t${threshold}.safetensors`), {
          sizes: [784, ...row.kept, 10].join(','),
        });
    }
    clock.mark('extras');
    sweep.push(row);
    config.log?.(
      `threshold ${threshold}: accuracy ${percent(row.accuracy)}, kept [${row.kept.join(', ')}], ` +
        `${(row.sizeReduction * 100).toFixed(1)}% fewer params`,
    );
  }
  const result = { training, baseAccuracy, layers, sweep, seconds: clock.seconds };
  await writeJson(config.out, 'activation-prune.json', result);
  return result;
}

/** The sweep as the notebook prints it, plus the kept neurons and the smaller net's speed. */
export const ACTIVATION_COLUMNS: Column<ActivationRow>[] = [
  { header: 'threshold', value: (r) => r.threshold, digits: 1 },
  { header: 'accuracy', value: (r) => r.accuracy, digits: 4 },
  { header: 'original params', value: (r) => r.originalParams },
  { header: 'new params', value: (r) => r.newParams },
  { header: 'size reduction', value: (r) => r.sizeReduction, digits: 3 },
  { header: 'kept neurons', value: (r) => `${r.kept.join('-')}${r.emptied.length ? ' *' : ''}` },
  { header: 'ms b1 original', value: (r) => r.base1 * 1000, significant: 3 },
  { header: 'ms b1', value: (r) => r.latency1 * 1000, significant: 3 },
  { header: 'speed-up b1', value: (r) => `${r.speedup1.toFixed(2)}×` },
  { header: 'ms b64 original', value: (r) => r.baseBatch * 1000, significant: 3 },
  { header: 'ms b64', value: (r) => r.latencyBatch * 1000, significant: 3 },
  { header: 'speed-up b64', value: (r) => `${r.speedup64.toFixed(2)}×` },
  { header: 'ms set original', value: (r) => r.baseSet * 1000, significant: 3 },
  { header: 'ms set', value: (r) => r.latencySet * 1000, significant: 3 },
  { header: 'speed-up set', value: (r) => `${r.speedup.toFixed(2)}×` },
  { header: 'fine-tuned', value: (r) => (r.fineTuned === undefined ? '' : (r.fineTuned * 100).toFixed(2)) },
];

const EMPTIED_NOTE = '* a layer had no neuron at or above the threshold; its strongest neuron was kept';

/** Section 3 of the notebook: activation pruning. */
export const activationPrune = defineSection({
  name: 'activation-prune',
  title: '3. Activation pruning',
  summary: 'section 3: remove neurons with low mean activation; smaller matrices, real speed-up',
  usesSimpleNet: true,
  notebookTrainsSimpleNet: true,
  defaults: {
    thresholds: NOTEBOOK_ACTIVATION_THRESHOLDS,
    score: 'mean',
    fineTune: [0.4, 0.6],
    fineTuneEpochs: 1,
  } as ActivationPruneOptions,
  quick: { fineTune: [] },
  options: {
    thresholds: { kind: 'numbers', help: "thresholds of the sweep (the notebook's)" },
    score: { kind: 'choice', values: ['mean', 'active', 'l1'], help: 'neuron score: mean activation, firing rate, L1 norm of weights' },
    fineTune: {
      kind: 'numbers',
      noneAllowed: true,
      help: "fine-tune the pruned net at these thresholds and report the recovered accuracy ('none' skips)",
    },
    fineTuneEpochs: { kind: 'integer', min: 1, help: 'epochs of that fine-tuning' },
  },
  run: runActivationPrune,
  print: (r) => {
    const layers = r.layers
      .map((l) => `${l.layer}: ${l.neurons} neurons, mean activation ${l.meanActivation.toFixed(3)}, ${l.dead} never active`)
      .join('\n');
    const note = r.sweep.some((x) => x.emptied.length > 0) ? `\n${EMPTIED_NOTE}` : '';
    return `${layers}\n\n${formatTable(r.sweep, ACTIVATION_COLUMNS)}${note}\n`;
  },
  report: (r) => ({
    title: '3. Activation pruning',
    correction: CORRECTIONS['activation-prune'],
    lines: [
      `Notebook (threshold, accuracy %, size reduction): ` +
        `${NOTEBOOK.activation.sweep.map(([t, acc, red]) => `${t}: ${acc}, ${red}`).join('; ')}.`,
      '',
      formatMarkdown(r.sweep, ACTIVATION_COLUMNS),
      '',
      'chart:activation-accuracy-vs-params.svg',
    ],
    charts: [
      lineChart(
        'activation-accuracy-vs-params.svg',
        'Activation pruning: accuracy vs parameters',
        [
          ...r.sweep.map((x) => ({ source: 'slimtensor', params: x.newParams, accuracy: x.accuracy * 100 })),
          ...NOTEBOOK.activation.sweep.map(([, accuracy, red]) => ({
            source: 'notebook',
            params: Math.round(NOTEBOOK.activation.params * (1 - red)),
            accuracy,
          })),
        ],
        { x: ['parameters', 'params'], y: ['test accuracy (%)', 'accuracy'], series: 'source' },
      ),
    ],
    base: 'SimpleNet',
    bytes: r.sweep.map((x) => ({
      name: `threshold ${x.threshold}`,
      method: 'activation pruning',
      bytes: 4 * x.newParams,
      accuracy: x.accuracy * 100,
    })),
    speed: r.sweep.map((x) => ({
      name: `threshold ${x.threshold}`,
      method: 'activation pruning',
      accuracy: x.accuracy * 100,
      ms1: x.latency1 * 1000,
      ms64: x.latencyBatch * 1000,
    })),
  }),
});
