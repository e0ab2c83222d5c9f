import { record } from '../autograd.js';
import { fmt } from '../shape.js';
import { Tensor } from '../tensor.js';
import { exp, log, mul, neg, sub, xlogx } from './elementwise.js';
import { max, mean, sum } from './reduce.js';

/**
 * log(softmax(x)) along `axis` (default: the last), computed stably as
 * (x − m) − log Σ exp(x − m) with m the row maximum (treated as a constant: the result
 * does not depend on it, so its gradient is zero anyway).
 * Composed from primitives; it needs no backward of its own.
 * @example logSoftmax(logits) // [N, 10] → [N, 10], each row's exp sums to 1
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const m = max(x, axis, true).detach();
  const shifted = sub(x, m);
  return sub(shifted, log(sum(exp(shifted), axis, true)));
}

/** softmax(x) = exp(logSoftmax(x)) along `axis` (default: the last). */
export function softmax(x: Tensor, axis = -1): Tensor {
  return exp(logSoftmax(x, axis));
}

function checkLabels(op: string, logits: Tensor, labels: ArrayLike<number>): void {
  if (logits.rank !== 2) throw new Error(`${op}: expects logits [N, C], got ${fmt(logits.shape)}`);
  const [N, C] = logits.shape;
  if (N === 0) throw new Error(`${op}: empty batch ${fmt(logits.shape)}`);
  if (labels.length !== N) throw new Error(`${op}: ${labels.length} labels for logits ${fmt(logits.shape)} (expected ${N})`);
  for (let i = 0; i < N; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= C) throw new Error(`${op}: label ${y} at position ${i} is not a class index in [0, ${C})`);
  }
}

/**
 * Cross-entropy from logits, averaged over the batch, as PyTorch's `F.cross_entropy`:
 * loss = −(1/N) Σᵢ log softmax(xᵢ)[yᵢ]. Fused: the backward is (softmax(x) − onehot(y)) / N.
 * logits `[N, C]`, labels N class indices → `[]`.
 * @example crossEntropy(model.forward(x), batch.labels).backward()
 */
export function crossEntropy(logits: Tensor, labels: ArrayLike<number>): Tensor {
  checkLabels('crossEntropy', logits, labels);
  const [N, C] = logits.shape;
  const X = logits.data;
  const probs = new Float32Array(N * C);
  let total = 0;
  for (let i = 0; i < N; i++) {
    const row = i * C;
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, X[row + c]);
    let z = 0;
    for (let c = 0; c < C; c++) z += (probs[row + c] = Math.exp(X[row + c] - m));
    for (let c = 0; c < C; c++) probs[row + c] /= z;
    total += m + Math.log(z) - X[row + labels[i]];
  }
  const out = Tensor.scalar(N > 0 ? total / N : NaN);
  return record('crossEntropy', [logits], out, (g) => {
    const scale = g[0] / N;
    const dx = new Float32Array(N * C);
    for (let i = 0; i < N; i++) {
      for (let c = 0; c < C; c++) dx[i * C + c] = scale * (probs[i * C + c] - (c === labels[i] ? 1 : 0));
    }
    return [dx];
  });
}

/**
 * The same cross-entropy composed from primitives (−mean Σ onehot·logSoftmax). Slower;
 * it exists so the fused `crossEntropy` can be tested against it.
 */
export function crossEntropyComposed(logits: Tensor, labels: ArrayLike<number>): Tensor {
  checkLabels('crossEntropyComposed', logits, labels);
  const [N, C] = logits.shape;
  const onehot = Tensor.zeros([N, C]);
  for (let i = 0; i < N; i++) onehot.data[i * C + labels[i]] = 1;
  return neg(mean(sum(mul(logSoftmax(logits, 1), onehot), 1)));
}

/** How a KL divergence is reduced; 'batchmean' (sum / N) is the mathematically right one. */
export type KlReduction = 'batchmean' | 'sum' | 'mean';

/**
 * KL divergence as PyTorch's `F.kl_div(input, target)`: `input` holds log-probabilities
 * (of the model being trained), `target` probabilities, and
 * KL = Σ target·(log target − input), with 0·log 0 = 0, reduced by `reduction`.
 * input, target `[N, C]` → `[]`.
 * @example klDiv(logSoftmax(student), softmax(teacher)) // the notebook's distillation loss
 */
export function klDiv(input: Tensor, target: Tensor, reduction: KlReduction = 'batchmean'): Tensor {
  if (input.rank < 1 || input.shape.length !== target.shape.length || input.shape.some((d, i) => d !== target.shape[i])) {
    throw new Error(`klDiv: input ${fmt(input.shape)} and target ${fmt(target.shape)} must have the same shape`);
  }
  const total = sum(sub(xlogx(target), mul(target, input)));
  if (reduction === 'sum') return total;
  const count = reduction === 'batchmean' ? input.shape[0] : input.size;
  return mul(total, 1 / count);
}
