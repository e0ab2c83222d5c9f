import { join } from 'node:path';
import { DataLoader } from '../data/loader.js';
import { loadMnist, type MnistSplit } from '../data/mnist.js';
import type { TensorSet } from '../data/tensor-set.js';
import { accuracyOn } from '../train/evaluate.js';
import { writeFileAtomic } from '../io/atomic.js';
import { loadModel, saveModel } from '../nn/checkpoint.js';
import { MLP } from '../nn/models.js';
import type { Module } from '../nn/module.js';
import { Adam } from '../optim/adam.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { trainEpoch, type LossFn } from '../train/fit.js';

/** Settings every notebook section shares (the notebook's values by default). */
export interface ExperimentConfig {
  /** Training epochs (the notebook: 5). */
  epochs: number;
  /** Seed of initialization and shuffling. */
  seed: number;
  /** Batch size (the notebook: 64). */
  batchSize: number;
  /** Adam learning rate (the notebook: 1e-3). */
  lr: number;
  /** Train on the first N training images only. */
  trainLimit?: number;
  /** Evaluate on the first N test images only. */
  testLimit?: number;
  /** Run folder for models and results; nothing is written when absent. */
  out?: string;
  /** Draw progress bars (on a terminal). */
  progress?: boolean;
  /** Where the section reports what it is doing, a line at a time. */
  log?: (line: string) => void;
}

/** The notebook's settings. */
export const NOTEBOOK_SETTINGS: ExperimentConfig = { epochs: 5, seed: 0, batchSize: 64, lr: 1e-3 };

/** The data of a run: the loader's source and the test set as one pre-loaded tensor. */
export interface ExperimentData {
  train: MnistSplit;
  test: MnistSplit;
  /** The test images as `[N, 1, 28, 28]`, for accuracy and latency without a loader. */
  testSet: TensorSet;
}

/** Loads MNIST once for a run (sections of `slimtensor all` share it). */
export async function loadExperimentData(config: Pick<ExperimentConfig, 'trainLimit' | 'testLimit'>): Promise<ExperimentData> {
  const [train, test] = await Promise.all([
    loadMnist('train', { limit: config.trainLimit }),
    loadMnist('test', { limit: config.testLimit }),
  ]);
  return { train, test, testSet: { x: new Tensor(test.images, [test.count, 1, test.rows, test.cols]), labels: test.labels } };
}

/** One epoch of training, as the notebook prints it. */
export interface EpochRow {
  model: string;
  epoch: number;
  /** Mean training loss over the epoch's batches. */
  loss: number;
  /** Test accuracy after the epoch, in [0, 1]. */
  accuracy: number;
  seconds: number;
  imagesPerSecond: number;
}

/**
 * Trains `model` with Adam for `config.epochs` epochs, evaluating after each, as the
 * notebook's loops do. The shuffle of every epoch comes from `seed`, so two calls with the
 * same seed see the same batches in the same order (the students of section 1 rely on it).
 */
export function trainClassifier(
  name: string, model: Module, data: ExperimentData, config: ExperimentConfig, options: { loss?: LossFn; seed?: number; afterStep?: () => void; lr?: number } = {},
): EpochRow[] {
  const optimizer = new Adam(model.parameters(), { lr: options.lr ?? config.lr });
  const shuffle = new Rng((options.seed ?? config.seed) + 1);
  const rows: EpochRow[] = [];
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    const loader = new DataLoader(data.train, { batchSize: config.batchSize, shuffle: true, seed: shuffle.nextUint32() });
    const stats = trainEpoch(model, loader, optimizer, { loss: options.loss, afterStep: options.afterStep, progress: config.progress ? `${name} epoch ${epoch}` : undefined });
    const accuracy = accuracyOn(model, data.testSet);
    const row = { model: name, epoch, loss: stats.loss, accuracy, seconds: stats.seconds, imagesPerSecond: stats.images / stats.seconds };
    rows.push(row);
    config.log?.(`${name} epoch ${epoch}: loss ${row.loss.toFixed(4)}, accuracy ${(accuracy * 100).toFixed(2)}%`);
  }
  return rows;
}

/** The MLP 784-512-256-128-10 that sections 2–5 compress (the notebook's SimpleNet). */
export const SIMPLE_NET_SIZES = [784, 512, 256, 128, 10] as const;

/** A fresh SimpleNet initialized from `seed`. */
export function simpleNet(seed: number): MLP {
  return new MLP(SIMPLE_NET_SIZES, new Rng(seed));
}

/** Writes `value` as pretty JSON to `<out>/<file>` atomically (nothing when `out` is absent). */
export async function writeJson(out: string | undefined, file: string, value: unknown): Promise<void> {
  if (out === undefined) return;
  await writeFileAtomic(join(out, file), `${JSON.stringify(value, null, 2)}\n`);
}

/** Percent with two decimals, as the notebook prints accuracies. */
export function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)}%`;
}

/** A trained SimpleNet and how it got there. */
export interface TrainedNet {
  net: MLP;
  /** Its training log (empty when it was loaded). */
  epochs: EpochRow[];
  /** Test accuracy, in [0, 1]. */
  accuracy: number;
  /** The file it came from, when loaded. */
  loadedFrom?: string;
}

/**
 * The SimpleNet a compression section starts from: `net` when given (sections of one run
 * share it; it must not be changed), loaded from `modelPath` when given (a user's own
 * run), else trained for `config.epochs` and saved as `<out>/<name>.safetensors`.
 */
export async function trainedSimpleNet(
  name: string, config: ExperimentConfig & { modelPath?: string; net?: TrainedNet }, data: ExperimentData,
): Promise<TrainedNet> {
  if (config.net) return { ...config.net, epochs: [] };
  const net = simpleNet(config.seed);
  if (config.modelPath) {
    await loadModel(net, config.modelPath);
    const accuracy = accuracyOn(net, data.testSet);
    config.log?.(`${name}: loaded ${config.modelPath}, accuracy ${percent(accuracy)}`);
    return { net, epochs: [], accuracy, loadedFrom: config.modelPath };
  }
  const epochs = trainClassifier(name, net, data, config);
  if (config.out) await saveModel(net, join(config.out, `${name}.safetensors`), { model: name, seed: String(config.seed) });
  return { net, epochs, accuracy: epochs.at(-1)!.accuracy };
}

/** An independent copy of a SimpleNet (same weights, own storage). */
export function copySimpleNet(net: MLP): MLP {
  const copy = new MLP(SIMPLE_NET_SIZES, new Rng(0));
  copy.loadStateDict(net.stateDict());
  return copy;
}

/** Seconds a section spent on the notebook's own work and on what slimtensor adds. */
export interface SectionSeconds {
  notebook: number;
  extras: number;
}

/**
 * Splits a section's wall time between the notebook's work and the extra experiments:
 * `mark(phase)` books the time since the previous mark (or the start) to `phase`.
 */
export class SectionClock {
  readonly seconds: SectionSeconds = { notebook: 0, extras: 0 };
  private last = performance.now();

  mark(phase: keyof SectionSeconds): void {
    const now = performance.now();
    this.seconds[phase] += (now - this.last) / 1000;
    this.last = now;
  }
}
