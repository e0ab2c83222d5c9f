import { biasRelu } from './elementwise.js';
import { gemmBlocked } from './gemm.js';

/**
 * A fully connected layer's forward in one kernel: y `[N, out]` = x·Wᵀ + b, then
 * max(y, 0) when `relu`, for x `[N, in]`, W `[out, in]`, b `[out]` or null. Here the three
 * steps run one after another; a fast backend fuses the bias and the ReLU into the
 * product's last pass over each tile of y (its epilogue), so y is written once.
 */
export function linearForward(
  x: Float32Array, N: number, inF: number, W: Float32Array, outF: number, bias: Float32Array | null, relu: boolean, y: Float32Array,
): void {
  gemmBlocked(false, true, N, outF, inF, x, W, y, false);
  biasRelu(y, bias, N, outF, relu);
}
