import { roundHalfEven } from '../tensor/kernels/quantize.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Observers: they watch the values a layer meets during calibration and choose the range
 * that static quantization maps to integers, then its scale and zero point. The first four
 * are PyTorch's (`torch.ao.quantization.observer`, 1.13), step for step and in float32 as
 * PyTorch computes, so that their scales and zero points match PyTorch's bit for bit:
 * - `MinMaxObserver`: the running minimum and maximum;
 * - `MovingAverageMinMaxObserver`: each batch's extremes, averaged (constant 0.01);
 * - `PerChannelMinMaxObserver`: the extremes of each channel (weights: one scale per output channel);
 * - `HistogramObserver`: a running histogram, then the range whose quantization error
 *   (L2, over the histogram) is least: PyTorch's x86 and fbgemm default for activations.
 *
 * Two more are from the other toolkits (onnxruntime's and TensorRT's calibrators):
 * - `PercentileObserver`: the range that holds all but the given share of the values;
 * - `EntropyObserver`: the clipping threshold whose 128-level quantization keeps the
 *   distribution closest (least KL divergence), as TensorRT's entropy calibration.
 *
 * Each observer is fed batches by `observe`, and refuses non-finite values. This file has
 * the scale and zero point, the base class and the MinMax family; the histogram observer is
 * in histogram-observer.ts, the percentile and entropy ones in clipping-observers.ts.
 */

/** How a range becomes integers: PyTorch's dtypes (quint8, qint8), schemes and reduce_range. */
export interface QuantSpec {
  /** `uint8` (PyTorch's quint8: activations, the default) or `int8` (qint8: weights). */
  dtype?: 'uint8' | 'int8';
  /** Symmetric about 0 (the scale from max |x|), rather than affine over [min, max] (the default). */
  symmetric?: boolean;
  /** One bit fewer: [0, 127] or [−64, 63], PyTorch's `reduce_range` (default false). */
  reduceRange?: boolean;
  /** A custom integer range, e.g. [0, 15] for 4 bits. With `reduceRange` it is halved, as PyTorch does. */
  quantRange?: [number, number];
}

/** A scale and zero point per tensor (length 1) or per channel: x ≈ scale·(q − zeroPoint), q in [quantMin, quantMax]. */
export interface QParams {
  /** One scale per tensor or per channel, float32 as PyTorch keeps them. */
  scale: Float32Array;
  /** The integer that stands for 0, one per scale. */
  zeroPoint: Int32Array;
  /** The smallest integer q takes. */
  quantMin: number;
  /** The largest integer q takes. */
  quantMax: number;
}

/** The range an observer chose: per tensor (length 1) or per channel. */
export interface ObservedRange {
  /** The low end, one per tensor or channel. */
  min: Float32Array;
  /** The high end, one per tensor or channel. */
  max: Float32Array;
}

/** float32 machine epsilon: PyTorch's smallest scale (an all-zero range gets it). */
const EPS = 2 ** -23;
const f = Math.fround;

/** The integer range of a spec, as PyTorch's `calculate_qmin_qmax`. */
export function quantRangeOf(spec: QuantSpec = {}, from = 'quantRangeOf'): [number, number] {
  const dtype = spec.dtype ?? 'uint8';
  if (dtype !== 'uint8' && dtype !== 'int8') throw new Error(`${from}: dtype must be 'uint8' or 'int8', got ${String(dtype)}`);
  // PyTorch refuses it too: 128, symmetric uint8's zero point, is outside the reduced [0, 127].
  if (dtype === 'uint8' && spec.symmetric && spec.reduceRange && !spec.quantRange)
    throw new Error(`${from}: symmetric uint8 cannot reduce its range (its zero point 128 is outside [0, 127]); use int8 or a quantRange`);
  if (spec.quantRange) {
    const [lo, hi] = spec.quantRange;
    const [min, max] = dtype === 'int8' ? [-128, 127] : [0, 255];
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo <= 0 && 0 <= hi && lo < hi && lo >= min && hi <= max))
      throw new Error(`${from}: quantRange [${lo}, ${hi}] must hold 0 inside ${dtype}'s [${min}, ${max}]`);
    return spec.reduceRange ? [Math.floor(lo / 2), Math.floor(hi / 2)] : [lo, hi];
  }
  if (dtype === 'int8') return spec.reduceRange ? [-64, 63] : [-128, 127];
  return spec.reduceRange ? [0, 127] : [0, 255];
}

/**
 * PyTorch's `_calculate_qparams`, in float32 as PyTorch computes it. The range is widened to
 * hold 0. Affine: scale = (max − min)/(qmax − qmin), at least ε, and zero point =
 * qmin − round(min/scale), clamped. Symmetric: scale = max(|min|, max)/((qmax − qmin)/2), at
 * least ε, zero point 0 (for uint8 the middle: 128, or the middle of a custom range). With nothing
 * observed (min = +∞, max = −∞), scale 1 and zero point 0, as PyTorch.
 * @example qparamsFromRange(Float32Array.of(-1), Float32Array.of(3)) // scale 4/255, zero point 64
 */
export function qparamsFromRange(min: Float32Array, max: Float32Array, spec: QuantSpec = {}): QParams {
  const [quantMin, quantMax] = quantRangeOf(spec, 'qparamsFromRange');
  if (min.length !== max.length || min.length === 0)
    throw new Error(`qparamsFromRange: ${min.length} minima and ${max.length} maxima (one per tensor or channel, at least one)`);
  if (min[0] === Infinity && max[0] === -Infinity) return { scale: Float32Array.of(1), zeroPoint: Int32Array.of(0), quantMin, quantMax };
  const n = min.length;
  const scale = new Float32Array(n);
  const zeroPoint = new Int32Array(n);
  for (let c = 0; c < n; c++) {
    if (!(min[c] <= max[c])) throw new Error(`qparamsFromRange: min ${min[c]} above max ${max[c]} (channel ${c})`);
    const lo = Math.min(min[c], 0),
      hi = Math.max(max[c], 0);
    if (spec.symmetric) {
      scale[c] = Math.max(f(Math.max(-lo, hi) / ((quantMax - quantMin) / 2)), EPS);
      // uint8's middle: 128, or the middle of a custom range, as PyTorch.
      zeroPoint[c] = (spec.dtype ?? 'uint8') === 'uint8' ? (spec.quantRange ? Math.floor((quantMin + quantMax) / 2) : 128) : 0;
    } else {
      const s = Math.max(f(f(hi - lo) / (quantMax - quantMin)), EPS);
      scale[c] = s;
      zeroPoint[c] = Math.min(quantMax, Math.max(quantMin, quantMin - roundHalfEven(f(lo / s))));
    }
  }
  return { scale, zeroPoint, quantMin, quantMax };
}

/** What every observer offers. */
export abstract class Observer {
  /** @param spec How the range becomes integers (dtype, scheme, bits). */
  constructor(readonly spec: QuantSpec = {}) {
    quantRangeOf(spec, this.constructor.name);
  }

  /** Records a batch. Throws, naming `where` (default the observer), on a value that is not finite. */
  abstract observe(x: Tensor | Float32Array, where?: string): void;

  /** The range the scale and zero point come from, per tensor (length 1) or per channel. */
  abstract range(): ObservedRange;

  /** The scale and zero point for the range chosen. */
  qparams(): QParams {
    const { min, max } = this.range();
    return qparamsFromRange(min, max, this.spec);
  }
}

/** The values of a batch, checked to be finite (for the observers of this file and its siblings). */
export function valuesOf(x: Tensor | Float32Array, where: string): Float32Array {
  const data = x instanceof Tensor ? x.data : x;
  if (!(data instanceof Float32Array)) throw new Error(`${where}: expected a Tensor or a Float32Array, got ${String(x)}`);
  for (let i = 0; i < data.length; i++)
    if (!Number.isFinite(data[i])) throw new Error(`${where}: the values observed hold ${data[i]} at index ${i}`);
  return data;
}

export function aminmax(data: Float32Array): [number, number] {
  let lo = Infinity,
    hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    if (data[i] < lo) lo = data[i];
    if (data[i] > hi) hi = data[i];
  }
  return [lo, hi];
}

/**
 * The running minimum and maximum of everything observed (PyTorch's `MinMaxObserver`).
 * @example const o = new MinMaxObserver({ reduceRange: true }); o.observe(batch); o.qparams()
 */
export class MinMaxObserver extends Observer {
  /** The smallest value seen (+∞ before any). */
  min = Infinity;
  /** The largest value seen (−∞ before any). */
  max = -Infinity;

  observe(x: Tensor | Float32Array, where = 'MinMaxObserver'): void {
    const data = valuesOf(x, where);
    if (data.length === 0) return;
    const [lo, hi] = aminmax(data);
    this.min = Math.min(this.min, lo);
    this.max = Math.max(this.max, hi);
  }

  range(): ObservedRange {
    return { min: Float32Array.of(this.min), max: Float32Array.of(this.max) };
  }
}

/**
 * Each batch's minimum and maximum, averaged: m ← m + c·(batch's − m), from the first
 * batch's (PyTorch's `MovingAverageMinMaxObserver`, c = 0.01 by default), in float32.
 * @example const o = new MovingAverageMinMaxObserver({ averagingConstant: 0.1 })
 */
export class MovingAverageMinMaxObserver extends MinMaxObserver {
  /** c, the weight of each new batch. */
  readonly averagingConstant: number;

  constructor(options: QuantSpec & { averagingConstant?: number } = {}) {
    const { averagingConstant = 0.01, ...spec } = options;
    super(spec);
    if (!(averagingConstant > 0 && averagingConstant <= 1))
      throw new Error(`MovingAverageMinMaxObserver: averagingConstant must be in (0, 1], got ${averagingConstant}`);
    this.averagingConstant = averagingConstant;
  }

  override observe(x: Tensor | Float32Array, where = 'MovingAverageMinMaxObserver'): void {
    const data = valuesOf(x, where);
    if (data.length === 0) return;
    const [lo, hi] = aminmax(data);
    if (this.min === Infinity && this.max === -Infinity) {
      [this.min, this.max] = [lo, hi];
      return;
    }
    const c = f(this.averagingConstant);
    this.min = f(this.min + f(c * f(lo - this.min)));
    this.max = f(this.max + f(c * f(hi - this.max)));
  }
}

/**
 * The minimum and maximum of each channel along `axis` (PyTorch's `PerChannelMinMaxObserver`):
 * a weight's output channels (axis 0, symmetric int8, as PyTorch's default weight observer),
 * or an activation's channels.
 * @example const o = new PerChannelMinMaxObserver({ dtype: 'int8', symmetric: true }); o.observe(conv.weight)
 */
export class PerChannelMinMaxObserver extends Observer {
  /** The channels' axis (0: a weight's output channels). */
  readonly axis: number;
  /** The smallest value seen in each channel (empty before any). */
  min = new Float32Array(0);
  /** The largest value seen in each channel (empty before any). */
  max = new Float32Array(0);

  constructor(options: QuantSpec & { axis?: number } = {}) {
    const { axis = 0, ...spec } = options;
    super(spec);
    if (!(Number.isInteger(axis) && axis >= 0)) throw new Error(`PerChannelMinMaxObserver: axis must be an integer ≥ 0, got ${axis}`);
    this.axis = axis;
  }

  observe(x: Tensor | Float32Array, where = 'PerChannelMinMaxObserver'): void {
    if (!(x instanceof Tensor)) throw new Error(`${where}: a per-channel observer needs a Tensor (its shape gives the channels)`);
    const data = valuesOf(x, where);
    if (data.length === 0) return;
    if (this.axis >= x.shape.length) throw new Error(`${where}: axis ${this.axis} is not an axis of shape [${x.shape.join(', ')}]`);
    const channels = x.shape[this.axis];
    const inner = x.shape.slice(this.axis + 1).reduce((a, b) => a * b, 1);
    if (this.min.length !== 0 && this.min.length !== channels)
      throw new Error(`${where}: ${channels} channels, but ${this.min.length} were observed before`);
    const lo = new Float32Array(channels).fill(Infinity),
      hi = new Float32Array(channels).fill(-Infinity);
    for (let i = 0; i < data.length; i++) {
      const c = Math.floor(i / inner) % channels;
      if (data[i] < lo[c]) lo[c] = data[i];
      if (data[i] > hi[c]) hi[c] = data[i];
    }
    if (this.min.length === 0) [this.min, this.max] = [lo, hi];
    else
      for (let c = 0; c < channels; c++) {
        this.min[c] = Math.min(this.min[c], lo[c]);
        this.max[c] = Math.max(this.max[c], hi[c]);
      }
  }

  range(): ObservedRange {
    return this.min.length === 0 ? { min: Float32Array.of(Infinity), max: Float32Array.of(-Infinity) } : { min: this.min, max: this.max };
  }
}
