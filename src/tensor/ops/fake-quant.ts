import { record } from '../autograd.js';
import { roundHalfEven } from '../kernels/quantize.js';
import { fmt } from '../shape.js';
import { Tensor } from '../tensor.js';

/** The integer grid a fake quantization rounds to: x ≈ scale·(q − zeroPoint), q in [quantMin, quantMax]. */
export interface FakeQuantGrid {
  /** One scale, or one per channel along `axis`. */
  scale: Float32Array;
  /** One zero point per scale. */
  zeroPoint: Int32Array;
  /** The smallest integer (0 for uint8, −128 for int8, −8 for 4-bit weights). */
  quantMin: number;
  /** The largest integer. */
  quantMax: number;
  /** The channels' axis when there are several scales (default 0: a weight's output channels). */
  axis?: number;
}

/**
 * Fake quantization, the forward of quantization-aware training: each value rounded to its
 * grid and straight back to float, y = s·(clamp(round(x·f32(1/s)) + z, qmin, qmax) − z), as
 * PyTorch's `fake_quantize_per_tensor_affine` and `_per_channel_affine` (round to nearest,
 * ties to even). Its gradient is the straight-through estimator (Bengio et al. 2013; Jacob
 * et al. 2018): dy passes unchanged where round(x/s) + z lands inside [qmin, qmax], and is 0
 * where the value was clamped.
 * @example fakeQuantize(w, { scale: Float32Array.of(0.02), zeroPoint: Int32Array.of(0), quantMin: -8, quantMax: 7 }) // 4-bit weights
 */
export function fakeQuantize(x: Tensor, grid: FakeQuantGrid): Tensor {
  if (!(x instanceof Tensor)) throw new Error(`fakeQuantize: expected a Tensor, got ${String(x)}`);
  const { scale, zeroPoint, quantMin, quantMax } = grid;
  const axis = grid.axis ?? 0;
  if (!(Number.isInteger(quantMin) && Number.isInteger(quantMax) && quantMin < quantMax))
    throw new Error(`fakeQuantize: quantMin ${quantMin} and quantMax ${quantMax} must be integers, quantMin below quantMax`);
  if (!(scale instanceof Float32Array) || !(zeroPoint instanceof Int32Array) || scale.length !== zeroPoint.length || scale.length === 0)
    throw new Error(
      `fakeQuantize: needs as many zero points (Int32Array) as scales (Float32Array), got ${scale?.length} and ${zeroPoint?.length}`,
    );
  const channels = scale.length;
  if (channels > 1 && !(Number.isInteger(axis) && axis >= 0 && axis < x.rank && x.shape[axis] === channels))
    throw new Error(`fakeQuantize: ${channels} scales do not match axis ${axis} of ${fmt(x.shape)}`);
  for (let c = 0; c < channels; c++) {
    if (!(scale[c] > 0 && Number.isFinite(scale[c])))
      throw new Error(`fakeQuantize: scale ${scale[c]} (channel ${c}) must be positive and finite`);
    if (!(zeroPoint[c] >= quantMin && zeroPoint[c] <= quantMax))
      throw new Error(`fakeQuantize: zero point ${zeroPoint[c]} (channel ${c}) is outside [${quantMin}, ${quantMax}]`);
  }
  const inner = channels > 1 ? x.shape.slice(axis + 1).reduce((a, b) => a * b, 1) : x.size;
  const inv = Float32Array.from(scale, (s) => 1 / s);
  const out = new Float32Array(x.size);
  const inside = new Uint8Array(x.size);
  for (let i = 0; i < x.size; i++) {
    const c = channels > 1 ? Math.floor(i / inner) % channels : 0;
    const q = roundHalfEven(Math.fround(x.data[i] * inv[c])) + zeroPoint[c];
    inside[i] = q >= quantMin && q <= quantMax ? 1 : 0;
    out[i] = Math.fround((Math.min(quantMax, Math.max(quantMin, q)) - zeroPoint[c]) * scale[c]);
  }
  return record('fakeQuantize', [x], new Tensor(out, [...x.shape]), (dy) => [dy.map((g, i) => (inside[i] ? g : 0))]);
}
