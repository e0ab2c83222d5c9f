import { join } from 'node:path';
import { measureLatency, speedUpOver } from '../compress/metrics.js';
import { accuracyOn } from '../train/evaluate.js';
import { activationStats, neuronScores, removeNeurons, type NeuronScore } from '../compress/neurons.js';
import { saveModel } from '../nn/checkpoint.js';
import {
  percent, SectionClock, trainClassifier, trainedSimpleNet, writeJson, type EpochRow, type ExperimentConfig, type ExperimentData, type SectionSeconds,
  type TrainedNet,
} from './common.js';

/** Settings of section 3. */
export interface ActivationPruningConfig extends ExperimentConfig {
  /** Thresholds of the sweep (the notebook: 0, 0.1, …, 1). */
  thresholds: number[];
  /** How neurons are scored (the notebook: mean activation). */
  score: NeuronScore;
  /** Thresholds whose pruned network is also fine-tuned for `fineTuneEpochs` (default none). */
  fineTune: number[];
  fineTuneEpochs: number;
  /** Start from this trained SimpleNet instead of training one. */
  modelPath?: string;
  /** Start from this SimpleNet (shared by the sections of one run). */
  net?: TrainedNet;
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
  /** Model-only forward time of one batch of 64 and of the whole test set, seconds (medians). */
  latencyBatch: number;
  latencySet: number;
  /** Seconds of one forward pass at batch 1 (median). */
  latency1: number;
  /** Original time ÷ this one's, at batch 1 and per batch of 64, timed side by side (`speedUpOver`). */
  speedup1: number;
  speedup64: number;
  /** Original latency ÷ this one, for the whole set. */
  speedup: number;
  /** Accuracy after fine-tuning the pruned net, when asked for. */
  fineTuned?: number;
}

/** What section 3 returns. */
export interface ActivationPruningResult {
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
export async function runActivationPruning(config: ActivationPruningConfig, data: ExperimentData): Promise<ActivationPruningResult> {
  const clock = new SectionClock();
  const { net, epochs: training, accuracy: baseAccuracy } = await trainedSimpleNet('simple-net', config, data);
  const stats = activationStats(net, data.train.images, data.train.count);
  const scores = neuronScores(net, config.score, stats);
  const layers = stats.mean.map((m, i) => ({
    layer: `fc${i + 1}`, neurons: m.length, meanActivation: m.reduce((a, b) => a + b, 0) / m.length, dead: m.filter((v) => v === 0).length,
  }));
  const originalParams = net.numParameters();
  const base = measureLatency(net, data.testSet.x, { batchSize: config.batchSize });
  const sweep: ActivationRow[] = [];
  for (const threshold of config.thresholds) {
    const pruned = removeNeurons(net, scores, threshold);
    const latency = measureLatency(pruned.net, data.testSet.x, { batchSize: config.batchSize });
    const speed = speedUpOver(net, pruned.net, data.testSet.x);
    const newParams = pruned.net.numParameters();
    const row: ActivationRow = {
      threshold, accuracy: accuracyOn(pruned.net, data.testSet), originalParams, newParams, sizeReduction: 1 - newParams / originalParams,
      kept: pruned.kept.map((k) => k.length), emptied: pruned.emptied,
      latencyBatch: latency.perBatch, latencySet: latency.perSet, speedup: base.perSet / latency.perSet,
      latency1: speed.latency1, speedup1: speed.speedup1, speedup64: speed.speedup64,
    };
    clock.mark('notebook');
    if (config.fineTune.some((t) => Math.abs(t - threshold) < 1e-9)) {
      const log = trainClassifier(`fine-tune t=${threshold}`, pruned.net, data, { ...config, epochs: config.fineTuneEpochs }, { seed: config.seed + 2000 });
      row.fineTuned = log.at(-1)!.accuracy;
      if (config.out) await saveModel(pruned.net, join(config.out, `neurons-pruned-t${threshold}.safetensors`), { sizes: [784, ...row.kept, 10].join(',') });
    }
    clock.mark('extras');
    sweep.push(row);
    config.log?.(`threshold ${threshold}: accuracy ${percent(row.accuracy)}, kept [${row.kept.join(', ')}], ${(row.sizeReduction * 100).toFixed(1)}% fewer params`);
  }
  const result = { training, baseAccuracy, layers, sweep, seconds: clock.seconds };
  await writeJson(config.out, 'activation-pruning.json', result);
  return result;
}
