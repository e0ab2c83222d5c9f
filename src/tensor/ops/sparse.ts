import { kernels } from '../kernels/index.js';
import type { CsrWeights } from '../kernels/sparse.js';
import { fmt } from '../shape.js';
import { Tensor } from '../tensor.js';

/**
 * A fully connected layer with a CSR weight: y = x·Wᵀ + b, multiplying only the stored
 * entries; with `relu`, max(y, 0) too, applied by the kernel as it stores each sum.
 * Inference only (no gradient). x `[N, in]`, W `[out, in]`, bias `[out]` or null
 * → `[N, out]`. The weight's structure is checked where it is built (compress/csr.ts).
 * @example sparseLinear(x, CsrMatrix.fromDense(w, 512, 784), b) // [64, 784] → [64, 512]
 */
export function sparseLinear(x: Tensor, weight: CsrWeights, bias: Tensor | null = null, relu = false): Tensor {
  if (x.rank !== 2 || x.shape[1] !== weight.cols) {
    throw new Error(`sparseLinear: input ${fmt(x.shape)} does not match weight [${weight.rows}, ${weight.cols}]`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== weight.rows)) {
    throw new Error(
      `sparseLinear: bias ${fmt(bias.shape)} does not match weight [${weight.rows}, ${weight.cols}] (expected [${weight.rows}])`,
    );
  }
  const N = x.shape[0];
  const out = Tensor.zeros([N, weight.rows]);
  kernels.csrLinear(weight, x.data, N, out.data, bias?.data ?? null, relu);
  return out;
}

/** One sparse layer of a chain: its CSR weight `[out, in]`, its bias `[out]` or null, and whether a ReLU follows. */
export interface SparseStage {
  weight: CsrWeights;
  bias: Tensor | null;
  relu: boolean;
}

/**
 * Sparse layers one after another in one op: x `[N, in]` through each stage's
 * y = x·Wᵀ + b (then ReLU where the stage says) → `[N, out of the last]`. The same values as
 * sparseLinear layer by layer; the wasm kernel keeps the batch transposed from the first
 * layer to the last instead of transposing it for each. Inference only (no gradient).
 * @example sparseChain(x, [{ weight: fc1, bias: b1, relu: true }, { weight: fc2, bias: b2, relu: false }])
 */
export function sparseChain(x: Tensor, stages: readonly SparseStage[]): Tensor {
  if (stages.length === 0) throw new Error('sparseChain: needs at least one layer');
  if (x.rank !== 2 || x.shape[1] !== stages[0].weight.cols) {
    throw new Error(`sparseChain: input ${fmt(x.shape)} does not match weight [${stages[0].weight.rows}, ${stages[0].weight.cols}]`);
  }
  stages.forEach(({ weight, bias }, i) => {
    const next = stages[i + 1]?.weight;
    if (next && next.cols !== weight.rows)
      throw new Error(
        `sparseChain: layer ${i} [${weight.rows}, ${weight.cols}] does not chain into layer ${i + 1} [${next.rows}, ${next.cols}]`,
      );
    if (bias && (bias.rank !== 1 || bias.shape[0] !== weight.rows)) {
      throw new Error(
        `sparseChain: bias ${fmt(bias.shape)} of layer ${i} does not match weight [${weight.rows}, ${weight.cols}] (expected ` +
          `[${weight.rows}])`,
      );
    }
  });
  const N = x.shape[0];
  const out = Tensor.zeros([N, stages[stages.length - 1].weight.rows]);
  kernels.csrChain(
    stages.map((s) => ({ weight: s.weight, bias: s.bias?.data ?? null, relu: s.relu })),
    x.data,
    N,
    out.data,
  );
  return out;
}
