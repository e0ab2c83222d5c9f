import { biasRelu, reluBackward, sumRows } from './elementwise.js';
import { gemmBlocked } from './gemm.js';

/**
 * A fully connected layer's forward in one kernel: y `[N, out]` = x·Wᵀ + b, then
 * max(y, 0) when `relu`, for x `[N, in]`, W `[out, in]`, b `[out]` or null. Here the three
 * steps run one after another; a fast backend fuses the bias and the ReLU into the
 * product's last pass over each tile of y (its epilogue), so y is written once.
 */
export function linearForward(
  x: Float32Array,
  N: number,
  inF: number,
  W: Float32Array,
  outF: number,
  bias: Float32Array | null,
  relu: boolean,
  y: Float32Array,
): void {
  gemmBlocked(false, true, N, outF, inF, x, W, y, false);
  biasRelu(y, bias, N, outF, relu);
}

/**
 * A fully connected layer's backward in one kernel, for y = x·Wᵀ + b (then max(y, 0) when
 * `y` is given, the forward's output): g = dy masked where y ≤ 0, then
 *   dx `[N, in]` = g·W,  dW `[out, in]` (+)= gᵀ·x,  db `[out]` (+)= Σ_rows g,
 * each only when its array is given (null: that gradient is not needed); `addW` and `addB`
 * add dW and db to what they hold (a parameter's gradient from an earlier backward).
 * Here the steps run one after another; a fast backend masks dy as it copies it in and
 * makes dx and dW at once, one on each thread.
 */
export function linearBackward(
  dy: Float32Array,
  y: Float32Array | null,
  N: number,
  inF: number,
  outF: number,
  x: Float32Array,
  W: Float32Array,
  dx: Float32Array | null,
  dW: Float32Array | null,
  addW: boolean,
  db: Float32Array | null,
  addB: boolean,
): void {
  let g = dy;
  if (y) {
    g = new Float32Array(N * outF);
    reluBackward(dy, y, g);
  }
  if (dx) gemmBlocked(false, false, N, inF, outF, g, W, dx, false);
  if (dW) gemmBlocked(true, false, outF, inF, N, g, x, dW, addW);
  if (db) sumRows(g, N, outF, db, addB);
}

/** This file's entries of the kernel interface (interface.ts joins every file's). */
export const linearKernels = { linearForward, linearBackward };
