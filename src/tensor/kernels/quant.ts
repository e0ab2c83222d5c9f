import type { ConvGeometry } from './conv.js';
import type { PoolWindow } from './conv-pool.js';
import { gemmInt8, type Int8Weight } from './int8.js';

/**
 * The float ends of an int8 layer, as PyTorch's dynamic quantization computes them: the
 * activations are quantized per call from their own range (asymmetric, x ≈ s·(q − z),
 * q ∈ [0, 127] with `reduceRange`, else [0, 255]); the int8 GEMM sums exactly in int32;
 * then y = s·s_w·Σ + b. Every step rounds to float32 as the wasm kernels
 * (assembly/quant.ts) do, so both give the same bits, and as PyTorch 1.13 does, so the
 * outputs match its `quantize_dynamic` to float rounding (test/pytorch-golden.test.ts).
 */

/** Scale and zero point of an activation batch: x ≈ scale·(q − zeroPoint), q ∈ [qmin, qmax]. */
export interface ActivationQuant {
  scale: number;
  zeroPoint: number;
  qmin: number;
  qmax: number;
}

/** Below this scale fbgemm widens the range, so tiny activations do not give a denormal scale. */
const SMALL_SCALE = Math.fround(6.1e-5);

/**
 * Asymmetric parameters from a range [min, max] widened to include 0 (so that 0, e.g. a
 * ReLU's output or the padding, is exact): PyTorch's `ChooseQuantizationParams` (from
 * fbgemm), step by step: the scale from the range (0.1 for an empty range, at least
 * 6.1e-5), the zero point from whichever end gives the smaller error, rounded to the
 * nearest integer (ties to even) inside [qmin, qmax].
 */
export function quantFromRange(min: number, max: number, reduceRange = true): ActivationQuant {
  const qmin = 0, qmax = reduceRange ? 127 : 255;
  min = Math.min(min, 0);
  max = Math.max(max, 0);
  let scale = (max - min) / (qmax - qmin);
  if (Math.fround(scale) === 0 || !Number.isFinite(1 / Math.fround(scale))) scale = 0.1;
  if (scale < SMALL_SCALE) {
    const amplifier = SMALL_SCALE / scale;
    if (min === 0) max = SMALL_SCALE * (qmax - qmin);
    else if (max === 0) min = -SMALL_SCALE * (qmax - qmin);
    else [min, max] = [min * amplifier, max * amplifier];
    scale = SMALL_SCALE;
  }
  const fromMin = qmin - min / scale, fromMax = qmax - max / scale;
  const initial = Math.abs(qmin) + Math.abs(min / scale) < Math.abs(qmax) + Math.abs(max / scale) ? fromMin : fromMax;
  const zeroPoint = initial < qmin ? qmin : initial > qmax ? qmax : roundHalfEven(initial);
  return { scale: Math.fround(scale), zeroPoint: zeroPoint + 0, qmin, qmax }; // + 0 turns −0 into 0
}

/** The parameters for the range of `x` (NaN skipped). */
export function activationQuant(x: Float32Array, reduceRange = true): ActivationQuant {
  let min = 0, max = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return quantFromRange(min, max, reduceRange);
}

/** Rounds to the nearest integer, ties to even (C's nearbyint, which PyTorch uses). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Quantizes x `[M, K]` into out `[M, Kp]` (Kp ≥ K; the extra columns are zeroed) minus the
 * zero point: out = clamp(round(x·inv), qmin − z, qmax − z), with inv = f32(1/scale), the
 * product rounded to float32, ties to even (fbgemm's vectorized quantization); NaN gives 0.
 */
export function quantizeActivations(x: Float32Array, { scale, zeroPoint, qmin, qmax }: ActivationQuant, out: Int16Array, M = 1, K = x.length, Kp = K): void {
  const inv = Math.fround(1 / scale), lo = qmin - zeroPoint, hi = qmax - zeroPoint;
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      const q = roundHalfEven(Math.fround(x[i * K + k] * inv));
      out[i * Kp + k] = q !== q ? 0 : q < lo ? lo : q > hi ? hi : q;
    }
    out.fill(0, i * Kp + K, (i + 1) * Kp);
  }
}

/** The float32 factor each output's int32 sum is scaled by: f32(sₓ·s_w), per output channel when there are several scales. */
export function dequantFactors(activationScale: number, scales: Float32Array, N: number): Float32Array {
  return Float32Array.from({ length: N }, (_, j) => activationScale * scales[scales.length > 1 ? j : 0]);
}

/** f32(acc)·factor, then + bias, each rounded to float32; then max(0, ·) when `relu`. */
function dequantOne(acc: number, factor: number, bias: number | null, relu: boolean): number {
  let v = Math.fround(Math.fround(acc) * factor);
  if (bias !== null) v = Math.fround(v + bias);
  return relu ? (v > 0 ? v : 0) : v;
}

let actScratch = new Int16Array(0);
let accScratch = new Int32Array(0);

function scratch(activations: number, sums: number): { a: Int16Array; acc: Int32Array } {
  if (actScratch.length < activations) actScratch = new Int16Array(activations);
  if (accScratch.length < sums) accScratch = new Int32Array(sums);
  return { a: actScratch.subarray(0, activations), acc: accScratch.subarray(0, sums) };
}

/**
 * A whole int8 Linear layer: y `[M, N]` = x `[M, K]`·Wᵀ + b with int8 weights (and their
 * scales) and the activations quantized from their own range; `relu` applies max(0, ·).
 */
export function int8Linear(x: Float32Array, M: number, w: Int8Weight, bias: Float32Array | null, relu: boolean, y: Float32Array): void {
  const { rows: N, cols: K } = w;
  const { a, acc } = scratch(M * K, M * N);
  const aq = activationQuant(x.subarray(0, M * K), w.reduceRange);
  quantizeActivations(x, aq, a, M, K);
  gemmInt8(M, a, w, acc);
  const factor = dequantFactors(aq.scale, w.scales, N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) y[i * N + j] = dequantOne(acc[i * N + j], factor[j], bias ? bias[j] : null, relu);
  }
}

/**
 * A whole int8 convolution: x `[N, C, H, W]` → y `[N, OC, OH, OW]` with int8 filters
 * `[OC, C·KH·KW]` (and their scales). The batch is quantized once from its range; each
 * image is unfolded into one row of quantized inputs per output position (0 in the
 * padding, which is exact), multiplied by the int8 GEMM, and dequantized. With `pool`,
 * each pooling window's largest sum is dequantized instead, giving y `[N, OC, POH, POW]`:
 * exactly the max-pool of the dequantized convolution, since scaling by a positive factor
 * and adding the bias keep the order.
 */
export function int8Conv2d(
  x: Float32Array, N: number, w: Int8Weight, bias: Float32Array | null, g: ConvGeometry, pool: PoolWindow | null, y: Float32Array,
): void {
  const { C, H, W, KH, KW, SH, SW, PH, PW, OH, OW } = g;
  const OC = w.rows, CKK = w.cols, L = OH * OW, size = C * H * W;
  const q = new Int16Array(N * size);
  const aq = activationQuant(x.subarray(0, N * size), w.reduceRange);
  quantizeActivations(x, aq, q, 1, N * size);
  const factor = dequantFactors(aq.scale, w.scales, OC);
  const { a: rows, acc } = scratch(L * CKK, L * OC);
  for (let n = 0; n < N; n++) {
    let r = 0;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let c = 0; c < C; c++) {
          for (let kh = 0; kh < KH; kh++) {
            const ih = oh * SH - PH + kh;
            for (let kw = 0; kw < KW; kw++) {
              const iw = ow * SW - PW + kw;
              rows[r++] = ih >= 0 && ih < H && iw >= 0 && iw < W ? q[n * size + (c * H + ih) * W + iw] : 0;
            }
          }
        }
      }
    }
    gemmInt8(L, rows, w, acc);
    if (pool) {
      // The largest sum of each window, then scaled: the order is kept, so this is the max-pool of the scaled values.
      const P = pool.OH * pool.OW;
      for (let o = 0; o < OC; o++) {
        for (let ph = 0; ph < pool.OH; ph++) {
          for (let pw = 0; pw < pool.OW; pw++) {
            let best = -Infinity;
            for (let kh = 0; kh < pool.KH; kh++) {
              for (let kw = 0; kw < pool.KW; kw++) best = Math.max(best, acc[((ph * pool.SH + kh) * OW + pw * pool.SW + kw) * OC + o]);
            }
            y[(n * OC + o) * P + ph * pool.OW + pw] = dequantOne(best, factor[o], bias ? bias[o] : null, false);
          }
        }
      }
      continue;
    }
    for (let o = 0; o < OC; o++) {
      for (let l = 0; l < L; l++) y[(n * OC + o) * L + l] = dequantOne(acc[l * OC + o], factor[o], bias ? bias[o] : null, false);
    }
  }
}
