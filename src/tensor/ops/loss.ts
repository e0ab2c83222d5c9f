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

/**
 * softmax(x) = exp(logSoftmax(x)) along `axis` (default: the last).
 * @example softmax(logits) // [N, C], each row sums to 1
 */
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
    for (let c = 0; c < C; c++) z += probs[row + c] = Math.exp(X[row + c] - m);
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

/**
 * The distillation loss's KL term in one op: klDiv(logSoftmax(s / T), softmax(t / T)),
 * batchmean, i.e. (1/N) Σ p·(log p − log q) with p = softmax(t / T) (the teacher, a
 * constant: no gradient flows to `teacherLogits`) and q = softmax(s / T). Its gradient
 * is (q − p) / (N·T), computed from the q the forward made. The composed ops make five
 * [N, C] intermediates and a graph of eight nodes for the same numbers (they are the
 * test's reference); in the notebook's student training they cost a fifth of each step.
 * studentLogits, teacherLogits `[N, C]` → `[]`.
 * @example klDivSoftTargets(student(x), teacherLogits, 4) // × T² as Hinton et al. scale it
 */
export function klDivSoftTargets(studentLogits: Tensor, teacherLogits: Tensor, temperature = 1): Tensor {
  const s = studentLogits.shape,
    t = teacherLogits.shape;
  if (s.length !== 2 || t.length !== 2 || s[0] !== t[0] || s[1] !== t[1]) {
    throw new Error(`klDivSoftTargets: student logits ${fmt(s)} and teacher logits ${fmt(t)} must both be [N, C] and equal`);
  }
  if (!(Number.isFinite(temperature) && temperature > 0))
    throw new Error(`klDivSoftTargets: temperature must be a number > 0, got ${temperature}`);
  const [N, C] = s;
  const S = studentLogits.data,
    Tt = teacherLogits.data,
    inv = 1 / temperature;
  const q = new Float32Array(N * C),
    p = new Float32Array(N * C);
  let total = 0;
  for (let i = 0; i < N; i++) {
    const row = i * C;
    let ms = -Infinity,
      mt = -Infinity;
    for (let c = 0; c < C; c++) {
      ms = Math.max(ms, S[row + c] * inv);
      mt = Math.max(mt, Tt[row + c] * inv);
    }
    let zs = 0,
      zt = 0;
    for (let c = 0; c < C; c++) {
      zs += q[row + c] = Math.exp(S[row + c] * inv - ms);
      zt += p[row + c] = Math.exp(Tt[row + c] * inv - mt);
    }
    const logZs = ms + Math.log(zs),
      logZt = mt + Math.log(zt);
    for (let c = 0; c < C; c++) {
      q[row + c] /= zs;
      const pc = p[row + c] / zt;
      p[row + c] = pc;
      // p·(log p − log q), with log p − log q = (t − s)/T − log Zt + log Zs; 0·log 0 = 0.
      if (pc > 0) total += pc * ((Tt[row + c] - S[row + c]) * inv - logZt + logZs);
    }
  }
  const out = Tensor.scalar(N > 0 ? total / N : NaN);
  return record('klDivSoftTargets', [studentLogits], out, (g) => {
    const scale = (g[0] * inv) / N;
    const dx = new Float32Array(N * C);
    for (let k = 0; k < N * C; k++) dx[k] = scale * (q[k] - p[k]);
    return [dx];
  });
}
