import { type Dataset, toTensorSet } from '../data/dataset.js';
import type { TensorSet } from '../data/tensor-set.js';
import { Module } from '../nn/module.js';
import { Tensor } from '../tensor/tensor.js';
import { forwardMedians } from './measure.js';

/**
 * The public measures of a model: what it holds, and how long one forward pass takes on
 * inputs already in memory (never a data loader, unlike the notebook's `%timeit evaluate`).
 */

/** Options of `modelLatency` and `compareLatency`. */
export interface ModelLatencyOptions {
  /** Rows of the input per forward pass (default 1); the first `batchSize` rows are used. */
  batchSize?: number;
}

/** Two models timed side by side: each one's median seconds per forward pass, and `base ÷ model`. */
export interface LatencyComparison {
  /** Median seconds of one forward pass of the base model. */
  base: number;
  /** Median seconds of one forward pass of the other model. */
  model: number;
  /** `base / model`: how many times faster the model runs (below 1: slower). */
  speedUp: number;
}

function inputOf(input: Tensor | Dataset | TensorSet, from: string): Tensor {
  const x = input instanceof Tensor ? input : toTensorSet(input, from).x;
  if (x.shape.length < 2 || x.shape[0] < 1)
    throw new Error(`${from}: expected a batch-first input with at least one row, got shape [${x.shape.join(', ')}]`);
  return x;
}

function checked(model: unknown, from: string): Module {
  if (!(model instanceof Module)) throw new Error(`${from}: expected a Module, got ${String(model)}`);
  return model;
}

function batchOf(options: ModelLatencyOptions, from: string): number {
  const { batchSize = 1 } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`${from}: batchSize must be a positive integer, got ${batchSize}`);
  return batchSize;
}

/**
 * Median seconds of one `model.forward` on the first `batchSize` rows of `input`, in
 * evaluation mode and without a graph, after a warm-up (the protocol of `measure.ts`).
 * @example modelLatency(net, testSet, { batchSize: 64 }) // 0.00041
 */
export function modelLatency(model: Module, input: Tensor | Dataset | TensorSet, options: ModelLatencyOptions = {}): number {
  const x = inputOf(input, 'modelLatency');
  return forwardMedians([checked(model, 'modelLatency')], x, { batchSize: batchOf(options, 'modelLatency') })[0];
}

/**
 * `base` and `model` timed side by side on the first `batchSize` rows of `input`: both
 * warm up, then run in alternating rounds, so a drift in the machine's speed hits both
 * alike. Medians of each; `speedUp` is base ÷ model, computed from the two times returned.
 * @example compareLatency(dense, sparse, testSet, { batchSize: 64 }) // { base: 0.00041, model: 0.00008, speedUp: 5.1 }
 */
export function compareLatency(
  base: Module,
  model: Module,
  input: Tensor | Dataset | TensorSet,
  options: ModelLatencyOptions = {},
): LatencyComparison {
  const x = inputOf(input, 'compareLatency');
  const [b, m] = forwardMedians([checked(base, 'compareLatency'), checked(model, 'compareLatency')], x, {
    batchSize: batchOf(options, 'compareLatency'),
  });
  return { base: b, model: m, speedUp: b / m };
}

/**
 * Bytes a model holds: every array of its state dict (a CSR layer's values, column indices
 * and row pointers; an int8 layer's bytes and scales), which is also the payload of the
 * file `modelToBytes` writes. For a dense float32 model it is 4 × its parameters.
 * @example modelBytes(new SimpleNet()) // 2,269,736
 */
export function modelBytes(model: Module): number {
  let bytes = 0;
  for (const entry of checked(model, 'modelBytes').stateDict().values()) bytes += entry.data.byteLength;
  return bytes;
}
