import type { Tensor } from '../tensor/tensor.js';
import { aminmax, type ObservedRange, Observer, type QuantSpec, valuesOf } from './observers.js';

/**
 * A histogram of |x| that grows with the data: `bins` equal bins over [0, top], `top`
 * doubled (pairs of bins merged) whenever a value lands beyond it, so every count stays
 * exact. Shared by the percentile and entropy observers.
 */
class AbsHistogram {
  counts: Float64Array;
  top = 0;
  min = Infinity;
  max = -Infinity;

  constructor(readonly bins: number) {
    this.counts = new Float64Array(bins);
  }

  /** Counts the magnitudes of `data`; with `skipZeros`, exact zeros only widen the range. */
  add(data: Float32Array, skipZeros = false): void {
    const [lo, hi] = aminmax(data);
    [this.min, this.max] = [Math.min(this.min, lo), Math.max(this.max, hi)];
    const amax = Math.max(Math.abs(lo), Math.abs(hi));
    if (this.top === 0) this.top = amax;
    while (amax > this.top) this.double();
    const { bins, counts, top } = this;
    for (let i = 0; i < data.length; i++) {
      const a = Math.abs(data[i]);
      if (a === 0 && skipZeros) continue;
      counts[top === 0 ? 0 : Math.min(bins - 1, Math.floor((a / top) * bins))]++;
    }
  }

  private double(): void {
    const { bins, counts } = this;
    const merged = new Float64Array(bins);
    for (let i = 0; i < bins; i++) merged[i >> 1] += counts[i];
    this.counts = merged;
    this.top *= 2;
  }

  get binWidth(): number {
    return this.top / this.bins;
  }
}

/** [−t, t] with each end held inside [lo, hi] (so [0, t] after a ReLU, and never upside down). */
function clampedRange(t: number, lo: number, hi: number): ObservedRange {
  const clamp = (v: number) => Math.min(hi, Math.max(lo, v));
  return { min: Float32Array.of(clamp(-t)), max: Float32Array.of(clamp(t)) };
}

/**
 * The range that holds `percentile` % of the magnitudes observed: a threshold t with that
 * share of |x| at or below it (found in a histogram of |x|, interpolated within its bin),
 * and the range [−t, t] with each end held inside what was seen (so [0, t] after a ReLU). onnxruntime's and
 * TensorRT's percentile calibration, 99.99 % by default.
 * @example const o = new PercentileObserver({ percentile: 99.9 })
 */
export class PercentileObserver extends Observer {
  /** The share of magnitudes kept, in % (default 99.99). */
  readonly percentile: number;
  private readonly hist: AbsHistogram;

  constructor(options: QuantSpec & { percentile?: number; bins?: number } = {}) {
    const { percentile = 99.99, bins = 2048, ...spec } = options;
    super(spec);
    if (!(percentile > 0 && percentile <= 100)) throw new Error(`PercentileObserver: percentile must be in (0, 100], got ${percentile}`);
    if (!(Number.isInteger(bins) && bins >= 2)) throw new Error(`PercentileObserver: bins must be an integer ≥ 2, got ${bins}`);
    this.percentile = percentile;
    this.hist = new AbsHistogram(bins);
  }

  observe(x: Tensor | Float32Array, where = 'PercentileObserver'): void {
    const data = valuesOf(x, where);
    if (data.length > 0) this.hist.add(data);
  }

  /** t: the magnitude with `percentile` % of the values at or below it. */
  threshold(): number {
    const { counts, binWidth } = this.hist;
    const total = counts.reduce((a, b) => a + b, 0);
    const want = (this.percentile / 100) * total;
    let seen = 0;
    for (let i = 0; i < counts.length; i++) {
      if (seen + counts[i] >= want && counts[i] > 0) return Math.min(this.hist.top, (i + (want - seen) / counts[i]) * binWidth);
      seen += counts[i];
    }
    return this.hist.top;
  }

  range(): ObservedRange {
    if (this.hist.min === Infinity) return { min: Float32Array.of(Infinity), max: Float32Array.of(-Infinity) };
    return clampedRange(this.threshold(), this.hist.min, this.hist.max);
  }
}

/**
 * KL(P ‖ Q) of TensorRT's entropy calibration for a cut after the first `length` bins of a
 * histogram: P is the histogram cut there, what lies beyond added to its last bin (clipped
 * values land on the threshold); Q is the cut histogram without those, merged into `levels`
 * groups of ⌊length/levels⌋ bins (the last group takes the rest) and spread back evenly over
 * each group's bins where P is non-zero. Both are normalized. Infinite where P has mass
 * that Q has not (all of a group's mass clipped away).
 * @example clippedKl(counts, 512, 128) // the cost of clipping at bin 512
 */
export function clippedKl(counts: ArrayLike<number>, length: number, levels: number): number {
  if (!(Number.isInteger(length) && Number.isInteger(levels) && levels >= 1 && length >= levels && length <= counts.length))
    throw new Error(`clippedKl: a cut of ${length} bins into ${levels} levels does not fit ${counts.length} bins`);
  const p = Float64Array.from({ length }, (_, i) => counts[i]);
  for (let i = length; i < counts.length; i++) p[length - 1] += counts[i];
  const q = new Float64Array(length);
  const size = Math.floor(length / levels);
  for (let g = 0; g < levels; g++) {
    const from = g * size,
      to = g === levels - 1 ? length : from + size;
    let sum = 0,
      nonEmpty = 0;
    for (let i = from; i < to; i++) {
      sum += counts[i];
      if (p[i] > 0) nonEmpty++;
    }
    for (let i = from; i < to; i++) if (p[i] > 0) q[i] = sum / nonEmpty;
  }
  const pSum = p.reduce((a, v) => a + v, 0),
    qSum = q.reduce((a, v) => a + v, 0);
  let kl = 0;
  for (let i = 0; i < length; i++) {
    if (p[i] === 0) continue;
    if (q[i] === 0) return Infinity;
    kl += (p[i] / pSum) * Math.log(p[i] / pSum / (q[i] / qSum));
  }
  return kl;
}

/** The cut an entropy observer chose. */
export interface EntropyCut {
  /** t: the range is [−t, t] (held inside what was seen). */
  threshold: number;
  /** KL(P ‖ Q) of that cut. */
  kl: number;
  /** The histogram bins below t. */
  bins: number;
}

/**
 * The clipping threshold that keeps the distribution of |x| closest to its quantized form:
 * over a histogram of |x| (2048 bins), every cut from `levels` bins up to all of them is
 * tried, and the one whose KL divergence to its `levels`-level quantization is least gives
 * t at the cut's edge (TensorRT's entropy calibration, as onnxruntime's `Entropy`). The
 * range is [−t, t] with each end held inside what was seen.
 *
 * Exact zeros are not counted (`skipZeros`, default true; TensorRT's pytorch-quantization has
 * the same switch): they are exact at any scale, and after a ReLU they are most values, a
 * spike in P that the search then keeps whole by clipping hard. Counted, SimpleNet's fc2
 * input keeps 22 dB instead of 42 (examples/08-observers.ts --quick).
 * @example const o = new EntropyObserver(); for (const b of batches) o.observe(b); o.range()
 */
export class EntropyObserver extends Observer {
  /** The levels Q is quantized to (default 128: int8's half). */
  readonly levels: number;
  /** Leave exact zeros out of the histogram (default true). */
  readonly skipZeros: boolean;
  private readonly hist: AbsHistogram;

  constructor(options: QuantSpec & { bins?: number; levels?: number; skipZeros?: boolean } = {}) {
    const { bins = 2048, levels = 128, skipZeros = true, ...spec } = options;
    super(spec);
    if (!(Number.isInteger(levels) && levels >= 2)) throw new Error(`EntropyObserver: levels must be an integer ≥ 2, got ${levels}`);
    if (!(Number.isInteger(bins) && bins >= levels))
      throw new Error(`EntropyObserver: bins must be an integer ≥ levels (${levels}), got ${bins}`);
    this.levels = levels;
    this.skipZeros = skipZeros;
    this.hist = new AbsHistogram(bins);
  }

  observe(x: Tensor | Float32Array, where = 'EntropyObserver'): void {
    const data = valuesOf(x, where);
    if (data.length > 0) this.hist.add(data, this.skipZeros);
  }

  /** t, the KL divergence of the cut chosen, and the bins it keeps. */
  threshold(): EntropyCut {
    const { counts, binWidth } = this.hist;
    let best: EntropyCut = { threshold: this.hist.top, kl: Infinity, bins: counts.length };
    for (let length = this.levels; length <= counts.length; length++) {
      const kl = clippedKl(counts, length, this.levels);
      if (kl < best.kl) best = { threshold: length * binWidth, kl, bins: length };
    }
    return best;
  }

  range(): ObservedRange {
    if (this.hist.min === Infinity) return { min: Float32Array.of(Infinity), max: Float32Array.of(-Infinity) };
    return clampedRange(this.threshold().threshold, this.hist.min, this.hist.max);
  }
}
