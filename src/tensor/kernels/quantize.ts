/**
 * Quantization: the float ends of an int8 layer, as PyTorch's dynamic quantization computes them: the
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
export const SMALL_SCALE = Math.fround(6.1e-5);

/**
 * Asymmetric parameters from a range [min, max] widened to include 0 (so that 0, e.g. a
 * ReLU's output or the padding, is exact): PyTorch's `ChooseQuantizationParams` (from
 * fbgemm), step by step: the scale from the range (0.1 for an empty range, at least
 * 6.1e-5), the zero point from whichever end gives the smaller error, rounded to the
 * nearest integer (ties to even) inside [qmin, qmax].
 */
export function quantFromRange(min: number, max: number, reduceRange = true): ActivationQuant {
  const qmin = 0,
    qmax = reduceRange ? 127 : 255;
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
  const fromMin = qmin - min / scale,
    fromMax = qmax - max / scale;
  const initial = Math.abs(qmin) + Math.abs(min / scale) < Math.abs(qmax) + Math.abs(max / scale) ? fromMin : fromMax;
  const zeroPoint = initial < qmin ? qmin : initial > qmax ? qmax : roundHalfEven(initial);
  return { scale: Math.fround(scale), zeroPoint: zeroPoint + 0, qmin, qmax }; // + 0 turns −0 into 0
}

/** The parameters for the range of `x` (NaN skipped). */
export function activationQuant(x: Float32Array, reduceRange = true): ActivationQuant {
  let min = 0,
    max = 0;
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
export function quantizeActivations(
  x: Float32Array,
  { scale, zeroPoint, qmin, qmax }: ActivationQuant,
  out: Int16Array,
  M = 1,
  K = x.length,
  Kp = K,
): void {
  const inv = Math.fround(1 / scale),
    lo = qmin - zeroPoint,
    hi = qmax - zeroPoint;
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) {
      const q = roundHalfEven(Math.fround(x[i * K + k] * inv));
      out[i * Kp + k] = Number.isNaN(q) ? 0 : Math.min(Math.max(q, lo), hi);
    }
    out.fill(0, i * Kp + K, (i + 1) * Kp);
  }
}

/** The float32 factor each output's int32 sum is scaled by: f32(sₓ·s_w), per output channel when there are several scales. */
export function dequantFactors(activationScale: number, scales: Float32Array, N: number): Float32Array {
  return Float32Array.from({ length: N }, (_, j) => activationScale * scales[scales.length > 1 ? j : 0]);
}

/** f32(acc)·factor, then + bias, each rounded to float32; then max(0, ·) when `relu`. */
export function dequantOne(acc: number, factor: number, bias: number | null, relu: boolean): number {
  let v = Math.fround(Math.fround(acc) * factor);
  if (bias !== null) v = Math.fround(v + bias);
  // biome-ignore lint/complexity/useMathMinMax: a NaN sum becomes 0 here (NaN > 0 is false); Math.max would keep it NaN
  return relu ? (v > 0 ? v : 0) : v;
}
