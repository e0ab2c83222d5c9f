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
  studentLogits: Tensor, teacherLogits: Tensor, labels: ArrayLike<number> | null, options: DistillationOptions = {},
): Tensor {
  const T = options.temperature ?? 1;
  const alpha = options.alpha ?? 0;
  if (!(Number.isFinite(T) && T > 0)) throw new Error(`distillationLoss: temperature must be a number > 0, got ${T}`);
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`distillationLoss: alpha must lie in [0, 1], got ${alpha}`);
  const s = studentLogits.shape, t = teacherLogits.shape;
  if (s.length !== 2 || t.length !== 2 || s[0] !== t[0] || s[1] !== t[1]) {
    throw new Error(`distillationLoss: student logits ${fmt(s)} and teacher logits ${fmt(t)} must both be [N, C] and equal`);
  }
  if (alpha > 0 && labels === null) throw new Error('distillationLoss: labels are needed when alpha > 0');
  // klDiv(logSoftmax(s / T), softmax(t / T)) as one fused op (tested against those composed ops).
  const soft = mul(klDivSoftTargets(studentLogits, teacherLogits, T), (1 - alpha) * T * T);
  if (alpha === 0) return soft;
  return add(mul(crossEntropy(studentLogits, labels!), alpha), soft);
}
