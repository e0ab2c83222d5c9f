import type { Column } from '../report/table.js';
import { DataLoader } from '../data/loader.js';
import type { MnistData } from '../data/mnist.js';
import type { Module } from '../nn/module.js';
import { Adam } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { Rng } from '../tensor/random.js';
import { accuracyOn } from './evaluate.js';
import { trainEpoch, type LossFn } from './fit.js';

/** How a classifier is trained: the notebook's loop settings. */
export interface TrainSettings {
  /** Training epochs (the notebook: 5). */
  epochs: number;
  /** Seed of the shuffling (and, in the experiments, of initialization). */
  seed: number;
  /** Batch size (the notebook: 64). */
  batchSize: number;
  /** Adam learning rate (the notebook: 1e-3). */
  lr: number;
  /** Draw progress bars (on a terminal). */
  progress?: boolean;
  /** Where training reports each epoch, a line at a time. */
  log?: (line: string) => void;
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

/** What may change per call: the loss, a hook after each step, the seed of the shuffle, the learning rate or the whole optimizer. */
export interface TrainOptions {
  loss?: LossFn;
  afterStep?: () => void;
  seed?: number;
  lr?: number;
  /** The optimizer to step (default: Adam over every parameter at `lr`). */
  optimizer?: Optimizer;
}

/**
 * Trains `model` with Adam for `settings.epochs` epochs, evaluating on the test set after
 * each, as the notebook's loops do. The shuffle of every epoch comes from the seed, so two
 * calls with the same seed see the same batches in the same order.
 * @example const log = trainClassifier('simple-net', net, data, NOTEBOOK_SETTINGS)
 */
export function trainClassifier(name: string, model: Module, data: MnistData, settings: TrainSettings, options: TrainOptions = {}): EpochRow[] {
  const optimizer = options.optimizer ?? new Adam(model.parameters(), { lr: options.lr ?? settings.lr });
  const shuffle = new Rng((options.seed ?? settings.seed) + 1);
  const rows: EpochRow[] = [];
  for (let epoch = 1; epoch <= settings.epochs; epoch++) {
    const loader = new DataLoader(data.train, { batchSize: settings.batchSize, shuffle: true, seed: shuffle.nextUint32() });
    const stats = trainEpoch(model, loader, optimizer, { loss: options.loss, afterStep: options.afterStep, progress: settings.progress ? `${name} epoch ${epoch}` : undefined });
    const accuracy = accuracyOn(model, data.testSet);
    const row = { model: name, epoch, loss: stats.loss, accuracy, seconds: stats.seconds, imagesPerSecond: stats.images / stats.seconds };
    rows.push(row);
    settings.log?.(`${name} epoch ${epoch}: loss ${row.loss.toFixed(4)}, accuracy ${(accuracy * 100).toFixed(2)}%`);
  }
  return rows;
}

/** The training log as the notebook prints it: epoch, loss, accuracy (plus speed). */
export const EPOCH_COLUMNS: Column<EpochRow>[] = [
  { header: 'model', value: (r) => r.model },
  { header: 'epoch', value: (r) => r.epoch },
  { header: 'loss', value: (r) => r.loss, digits: 4 },
  { header: 'accuracy %', value: (r) => r.accuracy * 100, digits: 2 },
  { header: 'seconds', value: (r) => r.seconds, digits: 1 },
  { header: 'images/s', value: (r) => r.imagesPerSecond, digits: 0 },
];
