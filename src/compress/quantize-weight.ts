import { type Int8Weight, int8Weight } from '../tensor/kernels/int8.js';
import { roundHalfEven } from '../tensor/kernels/quantize.js';

/**
 * int8 weights, as PyTorch's dynamic quantization stores them: symmetric, w ≈ s·q with
 * q ∈ [−128, 127] and one scale per tensor or per output channel. The layers that compute
 * with them are in int8-layers.ts; `quantizeDynamic` (quantize.ts) swaps them in.
 */

/** The smallest scale PyTorch's observers give (float32 machine epsilon): an all-zero tensor gets it. */
const MIN_SCALE = 2 ** -23;

/**
 * Quantizes a `[rows, cols]` weight symmetrically, as PyTorch's `MinMaxObserver` (qint8,
 * per-tensor or per-channel symmetric): scale = f32(max|w| ÷ 127.5) over the whole tensor or
 * per row (output channel), at least 2⁻²³; q = round(w·f32(1/scale)) with the product in
 * float32 (fbgemm's quantization), to the nearest, ties to even, clamped to [−128, 127].
 * Each element's error is at most about scale/2. `reduceRange` goes with the weight: the
 * activations it meets are quantized to 7 bits (PyTorch's x86 default) rather than 8.
 * @example const w8 = quantizeWeight(fc1.weight.data, 512, 784, true) // per channel: 512 scales
 */
export function quantizeWeight(w: Float32Array, rows: number, cols: number, perChannel: boolean, reduceRange = true): Int8Weight {
  if (w.length !== rows * cols) throw new Error(`quantizeWeight: ${w.length} values do not fill [${rows}, ${cols}]`);
  const groups = perChannel ? rows : 1;
  const span = perChannel ? cols : rows * cols;
  const scales = new Float32Array(groups);
  const q = new Int8Array(rows * cols);
  for (let g = 0; g < groups; g++) {
    let max = 0;
    for (let i = g * span; i < (g + 1) * span; i++) max = Math.max(max, Math.abs(w[i]));
    const s = Math.max(Math.fround(max / 127.5), MIN_SCALE);
    scales[g] = s;
    const inv = Math.fround(1 / s);
    for (let i = g * span; i < (g + 1) * span; i++) q[i] = Math.max(-128, Math.min(127, roundHalfEven(Math.fround(w[i] * inv))));
  }
  return int8Weight(q, rows, cols, scales, reduceRange);
}

/**
 * The float weights that int8 weights stand for: q·scale.
 * @example sqnr(fc1.weight.data, dequantizeWeight(w8)) // dB
 */
export function dequantizeWeight({ q, scales, rows, cols }: Int8Weight): Float32Array {
  const out = new Float32Array(rows * cols);
  const span = scales.length === 1 ? rows * cols : cols;
  for (let i = 0; i < out.length; i++) out[i] = q[i] * scales[Math.floor(i / span)];
  return out;
}

/**
 * Signal-to-quantization-noise ratio in dB: 10·log10(Σw² ÷ Σ(w − ŵ)²); Infinity when exact.
 * @example sqnr(fc1.weight.data, dequantized) // in dB: higher is closer
 */
export function sqnr(original: Float32Array, approx: Float32Array): number {
  let signal = 0,
    noise = 0;
  for (let i = 0; i < original.length; i++) {
    signal += original[i] ** 2;
    noise += (original[i] - approx[i]) ** 2;
  }
  return noise === 0 ? Infinity : 10 * Math.log10(signal / noise);
}
