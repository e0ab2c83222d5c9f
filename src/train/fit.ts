import { checkDataset, type Dataset } from '../data/dataset.js';
import { type Batch, DataLoader } from '../data/loader.js';
import type { TensorSet } from '../data/tensor-set.js';
import { Module } from '../nn/module.js';
import { runPlanned } from '../nn/plan.js';
import { Adam } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { crossEntropy } from '../tensor/ops/loss.js';
import { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { evaluate } from './evaluate.js';
import { ProgressBar } from './progress.js';

/** The loss of one batch given the model's logits; cross-entropy on the labels by default. */
export type LossFn = (logits: Tensor, batch: Batch) => Tensor;

/** Options of `trainEpoch`. */
export interface TrainEpochOptions {
  /** The loss of a batch given its logits (default cross-entropy on its labels). */
  loss?: LossFn;
  /** Label of the progress bar; no bar when omitted. */
  progress?: string;
  /** Runs after every optimizer step, e.g. to re-apply pruning masks. */
  afterStep?: () => void;
  /** Called after every step with its batch's loss, to draw progress (a page's loss curve). */
  onStep?: (step: TrainStep) => void;
}

/** One optimizer step, as `onStep` sees it. */
export interface TrainStep {
  /** Batches done in this epoch, this one included. */
  batch: number;
  /** The epoch's number of batches. */
  batches: number;
  /** This batch's loss. */
  loss: number;
  /** Examples seen in this epoch so far. */
  images: number;
  /** Seconds since the epoch began. */
  seconds: number;
}

/** What one epoch of training did. */
export interface EpochStats {
  /** Mean of the batch losses (as the notebook's running_loss / len(trainloader)). */
  loss: number;
  /** Examples seen. */
  images: number;
  /** Wall time of the pass. */
  seconds: number;
}

/**
 * One pass over `loader`: forward (through the model's plan, its fused kernels), loss,
 * backward, optimizer step per batch.
 * @example const { loss } = trainEpoch(model, trainLoader, new Adam(model.parameters()));
 */
export function trainEpoch(model: Module, loader: DataLoader, optimizer: Optimizer, options: TrainEpochOptions = {}): EpochStats {
  const lossFn = options.loss ?? ((logits: Tensor, batch: Batch) => crossEntropy(logits, batch.labels));
  const bar = options.progress ? new ProgressBar(options.progress, loader.length) : null;
  model.train();
  const start = performance.now();
  let total = 0;
  let batches = 0;
  let images = 0;
  for (const batch of loader) {
    optimizer.zeroGrad();
    const loss = lossFn(runPlanned(model, batch.x), batch);
    loss.backward();
    optimizer.step();
    options.afterStep?.();
    const value = loss.item();
    if (!Number.isFinite(value)) throw new Error(`trainEpoch: the loss became ${value} at batch ${batches}`);
    total += value;
    batches++;
    images += batch.size;
    bar?.tick({ loss: total / batches });
    options.onStep?.({ batch: batches, batches: loader.length, loss: value, images, seconds: (performance.now() - start) / 1000 });
  }
  bar?.done();
  return { loss: batches > 0 ? total / batches : NaN, images, seconds: (performance.now() - start) / 1000 };
}

/** How `fit` trains: the notebook's loop settings by default, and what may change per call. */
export interface FitOptions {
  /** Passes over the training set (default 5, the notebook's). */
  epochs?: number;
  /** Examples per step (default 64). */
  batchSize?: number;
  /** Learning rate of the default Adam (default 1e-3); ignored when `optimizer` is given. */
  lr?: number;
  /**
   * Seed of the shuffle (default 0). Epoch k's order is the k-th draw of `Rng(seed + 1)`, so
   * that a model initialized from `Rng(seed)` and its shuffle never share a stream.
   */
  seed?: number;
  /** The optimizer to step (default `new Adam(model.parameters(), { lr })`). */
  optimizer?: Optimizer;
  /** The loss of a batch given its logits (default cross-entropy on its labels). */
  loss?: LossFn;
  /** Runs after every optimizer step, e.g. `() => pruner.apply()` to hold pruning masks. */
  afterStep?: () => void;
  /** Called after every step with its batch's loss (see `TrainStep`). */
  onStep?: (step: TrainStep) => void;
  /** Evaluated after each epoch (a validation slice, or the test set as the notebook does); none by default. */
  evalSet?: Dataset | TensorSet | null;
  /** The model's name in the rows and log lines (default 'model'). */
  name?: string;
  /** Where each epoch's line goes, e.g. `console.log`. */
  log?: (line: string) => void;
  /** Called with each epoch's row as soon as it is done (to print it as the notebook does). */
  onEpoch?: (row: FitEpoch) => void;
  /** Draw a progress bar on a terminal's stderr. */
  progress?: boolean;
}

/** One epoch of `fit`, as the notebook prints it. */
export interface FitEpoch {
  /** The `name` given to `fit`. */
  model: string;
  /** 1 for the first epoch. */
  epoch: number;
  /** Mean training loss over the epoch's batches. */
  loss: number;
  /** Accuracy on the evaluation set after the epoch, in [0, 1]; absent without one. */
  accuracy?: number;
  /** Wall time of the epoch's training (not its evaluation). */
  seconds: number;
  /** Training examples per second. */
  imagesPerSecond: number;
}

/**
 * Trains `model` on `train` for `epochs` passes, each a fresh seeded shuffle in batches:
 * forward, loss, backward, optimizer step, the notebook's loop. After each epoch it
 * evaluates on `evalSet` when one is given. Same seed, same batches in the same order.
 * @example
 * const log = fit(new SimpleNet(new Rng(0)), train, { epochs: 5, evalSet: test, log: console.log })
 * log.at(-1)?.accuracy // 0.97…
 */
export function fit(model: Module, train: Dataset, options: FitOptions = {}): FitEpoch[] {
  const { epochs = 5, batchSize = 64, lr = 1e-3, seed = 0, name = 'model' } = options;
  if (!(model instanceof Module)) throw new Error(`fit: expected a Module to train, got ${String(model)}`);
  checkDataset(train, 'fit');
  if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`fit: epochs must be an integer ≥ 0, got ${epochs}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`fit: batchSize must be a positive integer, got ${batchSize}`);
  if (!(Number.isFinite(lr) && lr > 0)) throw new Error(`fit: lr must be a positive number, got ${lr}`);
  if (!Number.isFinite(seed)) throw new Error(`fit: seed must be a number, got ${seed}`);
  const optimizer = options.optimizer ?? new Adam(model.parameters(), { lr });
  const shuffle = new Rng(seed + 1);
  const rows: FitEpoch[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const loader = new DataLoader(train, { batchSize, shuffle: true, seed: shuffle.nextUint32() });
    const stats = trainEpoch(model, loader, optimizer, {
      loss: options.loss,
      afterStep: options.afterStep,
      onStep: options.onStep,
      progress: options.progress ? `${name} epoch ${epoch}` : undefined,
    });
    const row: FitEpoch = { model: name, epoch, loss: stats.loss, seconds: stats.seconds, imagesPerSecond: stats.images / stats.seconds };
    if (options.evalSet) row.accuracy = evaluate(model, options.evalSet);
    rows.push(row);
    const accuracy = row.accuracy === undefined ? '' : `, accuracy ${(row.accuracy * 100).toFixed(2)}%`;
    options.log?.(`${name} epoch ${epoch}: loss ${row.loss.toFixed(4)}${accuracy}`);
    options.onEpoch?.(row);
  }
  return rows;
}
