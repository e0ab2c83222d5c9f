import { type Dataset, toTensorSet } from '../data/dataset.js';
import { batchesOf, type TensorSet } from '../data/tensor-set.js';
import { Module } from '../nn/module.js';
import { runPlanned } from '../nn/plan.js';
import { noGrad } from '../tensor/autograd.js';
import { fmt } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Number of rows of `logits` `[N, C]` whose largest entry is at the label. A row holding
 * NaN is an error, not a wrong guess: a broken model must not quietly score 10%.
 */
export function countCorrect(logits: Tensor, labels: ArrayLike<number>): number {
  const [n, c] = logits.shape;
  if (logits.shape.length !== 2 || labels.length !== n)
    throw new Error(`countCorrect: ${labels.length} labels for logits ${fmt(logits.shape)}`);
  const v = logits.data;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 0; j < c; j++) {
      const x = v[i * c + j];
      if (Number.isNaN(x)) throw new Error(`countCorrect: the model's output is NaN at row ${i}, class ${j}`);
      if (x > v[i * c + best]) best = j;
    }
    if (best === labels[i]) correct++;
  }
  return correct;
}

/**
 * Accuracy of `model` on `set` (the fraction of examples whose largest logit is at the
 * label), batch by batch, in evaluation mode (the previous mode is restored) and without
 * recording a graph: the notebook's `evaluate`, without its data loader.
 * @example evaluate(net, testSet) // 0.9781
 */
export function evaluate(model: Module, data: Dataset | TensorSet, batchSize = 1000): number {
  if (!(model instanceof Module)) throw new Error(`evaluate: expected a Module, got ${String(model)}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`evaluate: batchSize must be a positive integer, got ${batchSize}`);
  const set = toTensorSet(data, 'evaluate');
  if (set.labels.length !== set.x.shape[0]) throw new Error(`evaluate: ${set.labels.length} labels for inputs ${fmt(set.x.shape)}`);
  if (set.x.shape[0] === 0) throw new Error('evaluate: the set is empty');
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      let correct = 0;
      for (const [i, xb] of batchesOf(set.x, batchSize).entries()) {
        const start = i * batchSize;
        correct += countCorrect(runPlanned(model, xb), set.labels.subarray(start, start + xb.shape[0]));
      }
      return correct / set.x.shape[0];
    });
  } finally {
    model.train(wasTraining);
  }
}
