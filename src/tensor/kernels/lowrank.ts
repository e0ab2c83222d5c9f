import { biasRelu } from './elementwise.js';
import { gemmBlocked } from './gemm.js';

let scratch = new Float32Array(0);

/**
 * A factorized fully connected layer: y `[N, out]` = (x·downᵀ)·upᵀ (+ bias, then max(y, 0)
 * when `relu`: the second product's epilogue in the wasm kernel) for
 * x `[N, in]`, down `[r, in]`, up `[out, r]`: two products, r·(in + out) multiply-adds per
 * row instead of in·out. The `[N, r]` product in between is kept in a scratch array.
 */
export function lowRankLinear(
  x: Float32Array,
  N: number,
  down: Float32Array,
  up: Float32Array,
  r: number,
  inF: number,
  outF: number,
  y: Float32Array,
  bias: Float32Array | null = null,
  relu = false,
): void {
  if (scratch.length < N * r) scratch = new Float32Array(N * r);
  const t = scratch.subarray(0, N * r);
  gemmBlocked(false, true, N, r, inF, x, down, t, false);
  gemmBlocked(false, true, N, outF, r, t, up, y, false);
  biasRelu(y, bias, N, outF, relu);
}

/** This file's entries of the kernel interface (interface.ts joins every file's). */
export const lowRankKernels = { lowRankLinear };
