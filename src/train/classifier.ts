import type { MnistData } from '../data/mnist.js';
import type { Module } from '../nn/module.js';
import type { Column } from '../report/table.js';
import { type FitEpoch, type FitOptions, fit } from './fit.js';

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

/** One epoch of `trainClassifier`: a `fit` epoch whose accuracy is the test set's. */
export interface EpochRow extends FitEpoch {
  /** Test accuracy after the epoch, in [0, 1]. */
  accuracy: number;
}

/** What may change per call: the loss, a hook after each step, the seed of the shuffle, the learning rate or the whole optimizer. */
export type TrainOptions = Pick<FitOptions, 'loss' | 'afterStep' | 'seed' | 'lr' | 'optimizer'>;

/**
 * `fit` as the notebook's loops run it: on MNIST's training split, evaluating on the test
 * set after each epoch (the CLI's sections report those accuracies).
 * @example const log = trainClassifier('simple-net', net, data, NOTEBOOK_SETTINGS)
 */
export function trainClassifier(
  name: string,
  model: Module,
  data: MnistData,
  settings: TrainSettings,
  options: TrainOptions = {},
): EpochRow[] {
  const { epochs, batchSize, progress, log } = settings;
  return fit(model, data.train, {
    epochs,
    batchSize,
    progress,
    log,
    name,
    evalSet: data.testSet,
    lr: options.lr ?? settings.lr,
    seed: options.seed ?? settings.seed,
    optimizer: options.optimizer,
    loss: options.loss,
    afterStep: options.afterStep,
  }) as EpochRow[];
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
