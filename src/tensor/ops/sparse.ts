import { kernels } from '../kernels/index.js';
import type { CsrWeights } from '../kernels/sparse.js';
import { fmt } from '../shape.js';
import { Tensor } from '../tensor.js';

/**
 * A fully connected layer with a CSR weight: y = x·Wᵀ + b, multiplying only the stored
 * entries. Inference only (no gradient). x `[N, in]`, W `[out, in]`, bias `[out]` or null
 * → `[N, out]`. The weight's structure is checked where it is built (compress/csr.ts).
 * @example sparseLinear(x, CsrMatrix.fromDense(w, 512, 784), b) // [64, 784] → [64, 512]
 */
export function sparseLinear(x: Tensor, weight: CsrWeights, bias: Tensor | null = null): Tensor {
  if (x.rank !== 2 || x.shape[1] !== weight.cols) {
    throw new Error(`sparseLinear: input ${fmt(x.shape)} does not match weight [${weight.rows}, ${weight.cols}]`);
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== weight.rows)) {
    throw new Error(`sparseLinear: bias ${fmt(bias.shape)} does not match weight [${weight.rows}, ${weight.cols}] (expected [${weight.rows}])`);
  }
  const N = x.shape[0];
  const out = Tensor.zeros([N, weight.rows]);
  kernels.csrLinear(weight, x.data, N, out.data);
  if (bias) kernels.addBias(out.data, bias.data, N, weight.rows, out.data);
  return out;
}
