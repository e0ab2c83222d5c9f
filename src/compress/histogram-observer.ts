import { roundHalfEven } from '../tensor/kernels/quantize.js';
import type { Tensor } from '../tensor/tensor.js';
import { aminmax, type ObservedRange, Observer, type QuantSpec, valuesOf } from './observers.js';

const f = Math.fround;

/**
 * `torch.histc` on the CPU: `bins` equal bins over [lo, hi] in float32, values outside
 * skipped, the last bin closed; the data's own range when lo = hi, widened by 1 each way
 * when that is empty too.
 */
function histc(data: Float32Array, bins: number, lo: number, hi: number): Float32Array {
  if (lo === hi && data.length > 0) [lo, hi] = aminmax(data);
  if (lo === hi) [lo, hi] = [lo - 1, hi + 1];
  const [left, right] = [f(lo), f(hi)];
  const width = f(right - left);
  const hist = new Float32Array(bins);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!(v >= left && v <= right)) continue;
    let bin = Math.trunc(f(f(f(v - left) * bins) / width));
    if (bin === bins) bin--;
    hist[bin] += 1;
  }
  return hist;
}

/** PyTorch's floor division of float32 values (`torch.div(a, b, rounding_mode='floor')`). */
function floorDiv(a: number, b: number): number {
  const mod = a % b;
  let div = f(f(a - mod) / b);
  if (mod !== 0 && b < 0 !== mod < 0) div = f(div - 1);
  if (div === 0) return 0;
  let floor = Math.floor(div);
  if (div - floor > 0.5) floor += 1;
  return floor;
}

/** ∫ x² over [begin, end], times the density, in float32: the L2 error of values spread evenly there. */
function l2(begin: number, end: number, density: number): number {
  return f(density * f(f(f(f(end * end) * end) - f(f(begin * begin) * begin)) / 3));
}

/**
 * A running histogram of everything observed, then the range that keeps the quantization
 * error least (PyTorch's `HistogramObserver`, the x86 and fbgemm default for activations;
 * Caffe2's norm minimization). Each new batch's histogram is merged with the running one by
 * upsampling it `upsampleRate` times onto a common grid. `range()` then narrows [min, max]
 * bin by bin from whichever end holds fewer values, while the L2 error of quantizing the
 * histogram to 256 levels keeps falling.
 *
 * Like PyTorch 1.13, it histograms each batch over [trunc(min), trunc(max)]: `torch.histc`
 * is given `int(min_val)` and `int(max_val)`, so a batch of values in (−1, 1) is binned over
 * its own range, and values beyond the truncated range are left out. `exactRange: true`
 * bins over the float range instead, as the code means to (PyTorch later rewrote this
 * update: pytorch/pytorch#129387).
 * @example const o = new HistogramObserver({ reduceRange: true }); for (const b of batches) o.observe(b); o.qparams()
 */
export class HistogramObserver extends Observer {
  /** Bins of the running histogram (default 2048). */
  readonly bins: number;
  /** How finely each bin is split when histograms of other ranges merge (default 128). */
  readonly upsampleRate: number;
  /** Bin each batch over its float range, not PyTorch 1.13's truncated one (default false). */
  readonly exactRange: boolean;
  /** The running histogram: `bins` counts over [min, max] (fractional once merged). */
  histogram: Float32Array;
  /** The histogram's low end: the smallest value seen (+∞ before any). */
  min = Infinity;
  /** The histogram's high end: the largest value seen, pushed out to whole bins when histograms merge (−∞ before any). */
  max = -Infinity;

  constructor(options: QuantSpec & { bins?: number; upsampleRate?: number; exactRange?: boolean } = {}) {
    const { bins = 2048, upsampleRate = 128, exactRange = false, ...spec } = options;
    super(spec);
    for (const [name, v] of [
      ['bins', bins],
      ['upsampleRate', upsampleRate],
    ] as const)
      if (!(Number.isInteger(v) && v >= 1)) throw new Error(`HistogramObserver: ${name} must be a positive integer, got ${v}`);
    this.bins = bins;
    this.upsampleRate = upsampleRate;
    this.exactRange = exactRange;
    this.histogram = new Float32Array(bins);
  }

  /** The bounds handed to histc: PyTorch 1.13's int() truncation, or the range itself. */
  private bounds(lo: number, hi: number): [number, number] {
    return this.exactRange ? [lo, hi] : [Math.trunc(lo), Math.trunc(hi)];
  }

  observe(x: Tensor | Float32Array, where = 'HistogramObserver'): void {
    const data = valuesOf(x, where);
    if (data.length === 0) return;
    const [lo, hi] = aminmax(data);
    if ((this.min === Infinity && this.max === -Infinity) || this.min === this.max) {
      [this.min, this.max] = [lo, hi];
      this.histogram = histc(data, this.bins, ...this.bounds(lo, hi));
      return;
    }
    let combinedMin = Math.min(lo, this.min),
      combinedMax = Math.max(hi, this.max);
    // A common grid: the running histogram's bins split upsampleRate ways, and the new range
    // a whole number (downsample) of the new bins, its max pushed out to fit.
    const fineWidth = f(f(this.max - this.min) / (this.bins * this.upsampleRate));
    const binsWidth = f(this.bins * fineWidth);
    const downsample = Math.ceil(f(f(combinedMax - combinedMin) / binsWidth));
    combinedMax = f(combinedMax + f(f(downsample * binsWidth) - f(combinedMax - combinedMin)));
    const startIdx = roundHalfEven(f(f(this.min - combinedMin) / fineWidth));
    let combined = histc(data, this.bins, ...this.bounds(combinedMin, combinedMax));
    if (combinedMin === this.min && combinedMax === this.max) {
      for (let i = 0; i < this.bins; i++) combined[i] = f(combined[i] + this.histogram[i]);
    } else {
      combined = this.combine(combined, downsample, startIdx);
    }
    this.histogram = combined;
    [this.min, this.max] = [combinedMin, combinedMax];
  }

  /** PyTorch's `_combine_histograms`: the running histogram upsampled, placed at startIdx, summed back down `downsample` at a time. */
  private combine(newHist: Float32Array, downsample: number, startIdx: number): Float32Array {
    const { bins, upsampleRate } = this;
    const fine = new Float32Array(bins * downsample);
    for (let i = 0; i < bins * upsampleRate; i++) {
      const at = startIdx + i;
      if (at >= fine.length) throw new Error(`HistogramObserver: the running histogram does not fit the merged range (bin ${at})`);
      fine[at] = this.histogram[Math.floor(i / upsampleRate)];
    }
    const out = new Float32Array(bins);
    let integral = 0,
      previous = 0;
    for (let j = 0, i = 0; j < bins; j++) {
      for (const end = (j + 1) * downsample; i < end; i++) integral += fine[i];
      out[j] = f(newHist[j] + f((integral - previous) / upsampleRate));
      previous = f(integral);
    }
    return out;
  }

  /** PyTorch's `_compute_quantization_error`: the L2 error of quantizing the histogram's bins [start, end] to 256 levels. */
  private quantizationError(start: number, end: number): number {
    const binWidth = (this.max - this.min) / this.bins;
    const dstWidth = (binWidth * (end - start + 1)) / 256;
    if (dstWidth === 0) return 0;
    const [bw, dw, half] = [f(binWidth), f(dstWidth), f(dstWidth / 2)];
    const inner = l2(f(-dstWidth / 2), half, 1); // one whole destination bin, per unit of density
    let norm = 0;
    for (let k = 0; k < this.bins; k++) {
      const begin = f(f(k - start) * bw);
      const endOf = f(begin + bw);
      const first = Math.min(255, Math.max(0, floorDiv(begin, dw)));
      const last = Math.min(255, Math.max(0, floorDiv(endOf, dw)));
      const density = f(this.histogram[k] / bw);
      let n = l2(f(begin - f(f(first + 0.5) * dw)), half, density);
      n = f(n + f(f(last - first - 1) * f(density * inner)));
      n = f(n + l2(f(-dstWidth / 2), f(endOf - f(f(last * dw) + half)), density));
      norm += n;
    }
    return norm;
  }

  /** The range whose quantization error is least (PyTorch's `_non_linear_param_search`). */
  range(): ObservedRange {
    if (this.min === Infinity) return { min: Float32Array.of(Infinity), max: Float32Array.of(-Infinity) };
    const { bins, histogram } = this;
    const binWidth = f(f(this.max - this.min) / bins);
    const cumulative = new Float32Array(bins);
    let sum = 0;
    for (let i = 0; i < bins; i++) {
      sum += histogram[i];
      cumulative[i] = f(sum);
    }
    const total = f(sum);
    const step = 1e-5;
    let alpha = 0,
      beta = 1,
      start = 0,
      end = bins - 1,
      best = Infinity;
    while (alpha < beta) {
      const nextAlpha = alpha + step,
        nextBeta = beta - step;
      let l = start,
        r = end;
      while (l < end && cumulative[l] < f(nextAlpha * total)) l++;
      while (r > start && cumulative[r] > f(nextBeta * total)) r--;
      let nextStart = start,
        nextEnd = end;
      if (l - start > end - r) {
        nextStart = l;
        alpha = nextAlpha;
      } else {
        nextEnd = r;
        beta = nextBeta;
      }
      if (nextStart === start && nextEnd === end) continue;
      const norm = this.quantizationError(nextStart, nextEnd);
      if (norm > best) break;
      best = norm;
      [start, end] = [nextStart, nextEnd];
    }
    return {
      min: Float32Array.of(f(this.min + f(binWidth * start))),
      max: Float32Array.of(f(this.min + f(binWidth * (end + 1)))),
    };
  }
}
