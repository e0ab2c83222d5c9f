import { type Dataset, toTensorSet } from '../data/dataset.js';
import type { Batch } from '../data/loader.js';
import { batchesOf } from '../data/tensor-set.js';
import type { Module } from '../nn/module.js';
import { runPlanned } from '../nn/plan.js';
import { noGrad } from '../tensor/autograd.js';
import { add, mul } from '../tensor/ops/elementwise.js';
import { crossEntropy, klDivSoftTargets } from '../tensor/ops/loss.js';
import { fmt } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** Settings of the distillation loss (Hinton et al. 2015). */
export interface DistillationOptions {
  /** Softening temperature T > 0 (default 1, the notebook's). */
  temperature?: number;
  /** Weight α ∈ [0, 1] of the hard-label cross-entropy (default 0, the notebook's: pure KL). */
  alpha?: number;
}

/**
 * Knowledge-distillation loss, batch-mean:
 *   α·CE(student, labels) + (1 − α)·T²·KL(softmax(teacher/T) ‖ softmax(student/T)).
 * The T² keeps the soft term's gradients on the same scale as the hard term's when T
 * changes. T = 1, α = 0 is exactly the notebook's `kl_div(log_softmax(s), softmax(t),
 * 'batchmean')`. The teacher's logits are treated as constants (no gradient reaches them).
 * studentLogits, teacherLogits `[N, C]`; labels N class indices (unused when α = 0) → `[]`.
 * @example distillationLoss(student.forward(x), noGrad(() => teacher.forward(x)), y, { temperature: 4, alpha: 0.5 })
 */
export function distillationLoss(
  studentLogits: Tensor,
  teacherLogits: Tensor,
  labels: ArrayLike<number> | null,
  options: DistillationOptions = {},
): Tensor {
  const T = options.temperature ?? 1;
  const alpha = options.alpha ?? 0;
  if (!(Number.isFinite(T) && T > 0)) throw new Error(`distillationLoss: temperature must be a number > 0, got ${T}`);
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`distillationLoss: alpha must lie in [0, 1], got ${alpha}`);
  const s = studentLogits.shape,
    t = teacherLogits.shape;
  if (s.length !== 2 || t.length !== 2 || s[0] !== t[0] || s[1] !== t[1]) {
    throw new Error(`distillationLoss: student logits ${fmt(s)} and teacher logits ${fmt(t)} must both be [N, C] and equal`);
  }
  if (alpha > 0 && labels === null) throw new Error('distillationLoss: labels are needed when alpha > 0');
  // klDiv(logSoftmax(s / T), softmax(t / T)) as one fused op (tested against those composed ops).
  const soft = mul(klDivSoftTargets(studentLogits, teacherLogits, T), (1 - alpha) * T * T);
  if (alpha === 0) return soft;
  return add(mul(crossEntropy(studentLogits, labels!), alpha), soft);
}

/**
 * The teacher's logits for every example of `set`, computed once, in batches of 1000,
 * without a graph: `[count, classes]`. The teacher is fixed while a student learns, so this
 * equals calling it on every batch (as the notebook does) at a fraction of the cost; a
 * batch picks its rows with `teacherRows`.
 * @example const logits = precomputeLogits(teacher, train) // [60000, 10]
 */
export function precomputeLogits(teacher: Module, set: Dataset): Tensor {
  const { x } = toTensorSet(set, 'precomputeLogits');
  const parts: Float32Array[] = [];
  let classes = 0;
  const wasTraining = teacher.training;
  teacher.eval();
  try {
    noGrad(() => {
      for (const b of batchesOf(x, 1000)) {
        const y = runPlanned(teacher, b);
        classes = y.shape[1];
        parts.push(y.data);
      }
    });
  } finally {
    teacher.train(wasTraining);
  }
  const out = new Float32Array(x.shape[0] * classes);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return new Tensor(out, [x.shape[0], classes]);
}

/**
 * The rows of `logits` (`precomputeLogits`) for the examples of `batch`, by their dataset index: `[batch.size, classes]`.
 * @example fit(student, train, { loss: (s, batch) => distillationLoss(s, teacherRows(logits, batch), null) })
 */
export function teacherRows(logits: Tensor, batch: Batch): Tensor {
  const classes = logits.shape[1];
  const t = new Float32Array(batch.size * classes);
  for (let i = 0; i < batch.size; i++) {
    const k = batch.indices[i];
    if (!(k >= 0 && k < logits.shape[0])) throw new Error(`teacherRows: example ${k} is not a row of logits ${fmt(logits.shape)}`);
    t.set(logits.data.subarray(k * classes, (k + 1) * classes), i * classes);
  }
  return new Tensor(t, [batch.size, classes]);
}
