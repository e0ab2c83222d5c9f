import type { Batch, DataLoader } from '../data/loader.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { crossEntropy } from '../tensor/ops/loss.js';
import { Tensor } from '../tensor/tensor.js';
import { ProgressBar } from './progress.js';

/** The loss of one batch given the model's logits; cross-entropy on the labels by default. */
export type LossFn = (logits: Tensor, batch: Batch) => Tensor;

/** Options of `trainEpoch`. */
export interface TrainEpochOptions {
  loss?: LossFn;
  /** Label of the progress bar; no bar when omitted. */
  progress?: string;
  /** Runs after every optimizer step, e.g. to re-apply pruning masks. */
  afterStep?: () => void;
}

/** What one epoch of training did. */
export interface EpochStats {
  /** Mean of the batch losses (as the notebook's running_loss / len(trainloader)). */
  loss: number;
  images: number;
  seconds: number;
}

/**
 * One pass over `loader`: forward, loss, backward, optimizer step per batch.
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
    const loss = lossFn(model.forward(batch.x), batch);
    loss.backward();
    optimizer.step();
    options.afterStep?.();
    const value = loss.item();
    if (!Number.isFinite(value)) throw new Error(`trainEpoch: the loss became ${value} at batch ${batches}`);
    total += value;
    batches++;
    images += batch.size;
    bar?.tick({ loss: total / batches });
  }
  bar?.done();
  return { loss: batches > 0 ? total / batches : NaN, images, seconds: (performance.now() - start) / 1000 };
}
