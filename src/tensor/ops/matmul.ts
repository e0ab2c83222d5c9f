import { gradientInto, needsGrad, record } from '../autograd.js';
import { kernels } from '../kernels/index.js';
import { fmt } from '../shape.js';
import { Tensor } from '../tensor.js';

/**
 * Matrix product of 2-D tensors: `[M, K]` · `[K, N]` → `[M, N]`.
 * Backward: dA = dC·Bᵀ, dB = Aᵀ·dC.
 * @example matmul(x, w) // [64, 784] · [784, 512] → [64, 512]
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank !== 2 || b.rank !== 2) throw new Error(`matmul: expects 2-D tensors, got ${fmt(a.shape)} x ${fmt(b.shape)}`);
  const [M, K] = a.shape;
  const [K2, N] = b.shape;
  if (K !== K2) throw new Error(`matmul: inner dimensions differ: ${fmt(a.shape)} x ${fmt(b.shape)}`);
  const out = Tensor.zeros([M, N]);
  kernels.gemm(false, false, M, N, K, a.data, b.data, out.data, false);
  return record('matmul', [a, b], out, (g) => {
    let da: Float32Array | null = null;
    let db: Float32Array | null = null;
    if (a.requiresGrad) {
      da = new Float32Array(M * K);
      kernels.gemm(false, true, M, K, N, g, b.data, da, false);
    }
    if (b.requiresGrad) {
      db = new Float32Array(K * N);
      kernels.gemm(true, false, K, N, M, a.data, g, db, false);
    }
    return [da, db];
  });
}

/**
 * A fully connected layer in one fused op, as PyTorch's `F.linear`: y = x·Wᵀ + b.
 * x `[N, in]`, weight `[out, in]`, bias `[out]` or null → `[N, out]`.
 * Backward: dx = dy·W, dW = dyᵀ·x, db = Σ_rows dy.
 * @example linear(x, fc1.weight, fc1.bias) // [64, 784] → [64, 512]
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  return fullyConnected('linear', x, weight, bias, false);
}

/**
 * relu(linear(x, W, b)) in one op: the bias and the ReLU are applied as the product
 * finishes each tile of y, instead of in two more passes (and two more arrays).
 * Backward: the ReLU's mask (y > 0) on dy, then linear's backward (one kernel for both).
 * @example linearRelu(x, fc1.weight, fc1.bias) // [64, 784] → [64, 512], no negatives
 */
export function linearRelu(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  return fullyConnected('linearRelu', x, weight, bias, true);
}

/** linear and linearRelu: the checks, the fused kernel, and the backward they share. */
function fullyConnected(op: string, x: Tensor, weight: Tensor, bias: Tensor | null, relu: boolean): Tensor {
  if (x.rank !== 2 || weight.rank !== 2) {
    throw new Error(`${op}: expects input [N, in] and weight [out, in], got ${fmt(x.shape)} and ${fmt(weight.shape)}`);
  }
  const [N, inF] = x.shape;
  const [outF, inW] = weight.shape;
  if (inF !== inW) throw new Error(`${op}: input ${fmt(x.shape)} does not match weight ${fmt(weight.shape)} (in_features ${inW})`);
  if (bias && (bias.rank !== 1 || bias.shape[0] !== outF)) {
    throw new Error(`${op}: bias ${fmt(bias.shape)} does not match weight ${fmt(weight.shape)} (expected [${outF}])`);
  }
  const out = Tensor.zeros([N, outF]);
  kernels.linearForward(x.data, N, inF, weight.data, outF, bias?.data ?? null, relu, out.data);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(op, inputs, out, (dy) => {
    // The weight's and bias's gradients go straight into their own (resident) storage.
    const dx = x.requiresGrad ? new Float32Array(N * inF) : null;
    const [dw, db] = [gradientInto(weight), bias ? gradientInto(bias) : null];
    kernels.linearBackward(
      dy,
      relu ? out.data : null,
      N,
      inF,
      outF,
      x.data,
      weight.data,
      dx,
      dw?.data ?? null,
      dw?.accumulate ?? false,
      db?.data ?? null,
      db?.accumulate ?? false,
    );
    return [dx, dw?.returned ? dw.data : null, db?.returned ? db.data : null];
  });
}

/**
 * A factorized fully connected layer, y = (x·downᵀ)·upᵀ + b (then max(y, 0) with `relu`): two products of r·(in + out)
 * multiply-adds per row instead of in·out. Without gradients it runs as one kernel that
 * keeps the `[N, r]` product in between where the kernels work (kernels/lowrank.ts);
 * with them, as two `linear` ops.
 * x `[N, in]`, down `[r, in]`, up `[out, r]`, bias `[out]` or null → `[N, out]`.
 * @example lowRankLinear(x, down, up, b) // [64, 256] → [64, 128] through rank 40
 */
export function lowRankLinear(x: Tensor, down: Tensor, up: Tensor, bias: Tensor | null = null, relu = false): Tensor {
  if (x.rank !== 2 || down.rank !== 2 || up.rank !== 2 || x.shape[1] !== down.shape[1] || up.shape[1] !== down.shape[0]) {
    throw new Error(`lowRankLinear: input ${fmt(x.shape)}, down ${fmt(down.shape)} and up ${fmt(up.shape)} do not chain`);
  }
  if (needsGrad(x, down, up, bias)) return (relu ? linearRelu : linear)(linear(x, down, null), up, bias);
  const [N, inF] = x.shape;
  const [outF, r] = up.shape;
  if (bias && (bias.rank !== 1 || bias.shape[0] !== outF))
    throw new Error(`lowRankLinear: bias ${fmt(bias.shape)} does not match up ${fmt(up.shape)} (expected [${outF}])`);
  const out = Tensor.zeros([N, outF]);
  kernels.lowRankLinear(x.data, N, down.data, up.data, r, inF, outF, out.data, bias?.data ?? null, relu);
  return out;
}
