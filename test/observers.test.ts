import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clippedKl, EntropyObserver, PercentileObserver } from '../src/compress/clipping-observers.js';
import { HistogramObserver } from '../src/compress/histogram-observer.js';
import {
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  type Observer,
  PerChannelMinMaxObserver,
  type QuantSpec,
  qparamsFromRange,
} from '../src/compress/observers.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';

/**
 * The observers against PyTorch 1.13's (test/fixtures/pytorch/observers.json, made by
 * make_observers.py): the same batches observed, the same extremes, scales and zero points
 * bit for bit; the histogram observer's histogram and chosen range to float tolerance. The
 * percentile and entropy observers (not in PyTorch) against their definitions.
 */

interface Packed {
  shape: number[];
  f32: string;
}
interface Plain {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  kind: 'minmax' | 'moving-average' | 'per-channel' | 'histogram';
  dtype: 'quint8' | 'qint8';
  scheme: 'affine' | 'symmetric' | 'channel-affine' | 'channel-symmetric';
  args: {
    reduce_range?: boolean;
    quant_min?: number;
    quant_max?: number;
    averaging_constant?: number;
    ch_axis?: number;
    bins?: number;
    upsample_rate?: number;
  };
  batches: Packed[];
  min_val: Plain;
  max_val: Plain;
  quant_min: number;
  quant_max: number;
  scale: Plain;
  zero_point: number[];
  histogram?: [number, number][];
  chosen?: [number, number];
}

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/pytorch/observers.json', import.meta.url), 'utf8')) as { cases: Case[] };

function unpack({ shape, f32 }: Packed): Tensor {
  const bytes = Buffer.from(f32, 'base64');
  return new Tensor(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)), shape);
}

function observerFor(c: Case): Observer {
  const spec: QuantSpec = {
    dtype: c.dtype === 'qint8' ? 'int8' : 'uint8',
    symmetric: c.scheme.endsWith('symmetric'),
    reduceRange: c.args.reduce_range ?? false,
    ...(c.args.quant_min !== undefined ? { quantRange: [c.args.quant_min, c.args.quant_max as number] } : {}),
  };
  switch (c.kind) {
    case 'minmax':
      return new MinMaxObserver(spec);
    case 'moving-average':
      return new MovingAverageMinMaxObserver({ ...spec, averagingConstant: c.args.averaging_constant });
    case 'per-channel':
      return new PerChannelMinMaxObserver({ ...spec, axis: c.args.ch_axis ?? 0 });
    case 'histogram':
      return new HistogramObserver({ ...spec, bins: c.args.bins, upsampleRate: c.args.upsample_rate });
  }
}

describe('observers as PyTorch 1.13', () => {
  for (const c of fixtures.cases) {
    it(c.name, () => {
      const observer = observerFor(c);
      for (const b of c.batches) observer.observe(unpack(b));
      const held =
        observer instanceof HistogramObserver || observer instanceof MinMaxObserver
          ? { min: [observer.min], max: [observer.max] }
          : { min: [...(observer as PerChannelMinMaxObserver).min], max: [...(observer as PerChannelMinMaxObserver).max] };
      expect(held.min).toEqual(c.min_val.data);
      expect(held.max).toEqual(c.max_val.data);
      const q = observer.qparams();
      expect([q.quantMin, q.quantMax]).toEqual([c.quant_min, c.quant_max]);
      if (observer instanceof HistogramObserver) {
        const want = new Float32Array(observer.bins);
        for (const [i, v] of c.histogram ?? []) want[i] = v;
        const total = want.reduce((a, v) => a + v, 0);
        let diff = 0;
        for (let i = 0; i < want.length; i++) diff += Math.abs(observer.histogram[i] - want[i]);
        expect(diff / total).toBeLessThan(1e-6);
        const { min, max } = observer.range();
        const [lo, hi] = c.chosen as [number, number];
        const tol = 1e-6 * Math.max(1, Math.abs(lo), Math.abs(hi));
        expect(Math.abs(min[0] - lo)).toBeLessThanOrEqual(tol);
        expect(Math.abs(max[0] - hi)).toBeLessThanOrEqual(tol);
        c.scale.data.forEach((s, i) => {
          expect(Math.abs(q.scale[i] - s) / s).toBeLessThan(1e-5);
        });
        expect(Math.abs(q.zeroPoint[0] - c.zero_point[0])).toBeLessThanOrEqual(1);
      } else {
        expect([...q.scale]).toEqual(c.scale.data);
        expect([...q.zeroPoint]).toEqual(c.zero_point);
      }
    });
  }
});

describe('qparamsFromRange', () => {
  it('widens the range to hold 0, and refuses a range upside down or of no channels', () => {
    const q = qparamsFromRange(Float32Array.of(1), Float32Array.of(3)); // [0, 3]
    expect(q.zeroPoint[0]).toBe(0);
    expect(q.scale[0]).toBe(Math.fround(3 / 255));
    expect(() => qparamsFromRange(Float32Array.of(2), Float32Array.of(1))).toThrow(/qparamsFromRange: min 2 above max 1 \(channel 0\)/);
    expect(() => qparamsFromRange(new Float32Array(0), new Float32Array(0))).toThrow(/0 minima and 0 maxima/);
    expect(() => qparamsFromRange(Float32Array.of(0), Float32Array.of(1), { quantRange: [1, 5] })).toThrow(
      /quantRange \[1, 5\] must hold 0/,
    );
    expect(() => qparamsFromRange(Float32Array.of(0), Float32Array.of(1), { dtype: 'int4' as never })).toThrow(/dtype must be/);
    // As PyTorch's MinMaxObserver: "Cannot reduce range for symmetric quantization for quint8".
    expect(() => new MinMaxObserver({ symmetric: true, reduceRange: true })).toThrow(
      /^MinMaxObserver: symmetric uint8 cannot reduce its range \(its zero point 128 is outside \[0, 127\]\); use int8 or a quantRange$/,
    );
  });

  it('before any observation: scale 1, zero point 0, as PyTorch', () => {
    const q = new MinMaxObserver().qparams();
    expect([q.scale[0], q.zeroPoint[0]]).toEqual([1, 0]);
    expect(new PerChannelMinMaxObserver().qparams().scale[0]).toBe(1);
  });
});

describe('observers refuse what they cannot observe', () => {
  it('a non-finite value, naming where it was met', () => {
    for (const o of [new MinMaxObserver(), new HistogramObserver(), new PercentileObserver(), new EntropyObserver()]) {
      expect(() => o.observe(Float32Array.of(0, 1, Number.NaN), 'fc1 input')).toThrow(
        /^fc1 input: the values observed hold NaN at index 2$/,
      );
    }
    expect(() => new PerChannelMinMaxObserver().observe(Tensor.from([1, Infinity], [2, 1]))).toThrow(
      /PerChannelMinMaxObserver: the values observed hold Infinity at index 1/,
    );
  });

  it('bad options and shapes', () => {
    expect(() => new MovingAverageMinMaxObserver({ averagingConstant: 0 })).toThrow(/averagingConstant must be in \(0, 1\], got 0/);
    expect(() => new HistogramObserver({ bins: 0 })).toThrow(/bins must be a positive integer, got 0/);
    expect(() => new PercentileObserver({ percentile: 101 })).toThrow(/percentile must be in \(0, 100\], got 101/);
    expect(() => new EntropyObserver({ bins: 64 })).toThrow(/bins must be an integer ≥ levels \(128\), got 64/);
    const o = new PerChannelMinMaxObserver({ axis: 2 });
    expect(() => o.observe(Tensor.from([1, 2], [2]))).toThrow(/axis 2 is not an axis of shape \[2\]/);
    const p = new PerChannelMinMaxObserver();
    p.observe(Tensor.from([1, 2], [2, 1]));
    expect(() => p.observe(Tensor.from([1, 2, 3], [3, 1]))).toThrow(/3 channels, but 2 were observed before/);
    expect(() => p.observe(Float32Array.of(1))).toThrow(/needs a Tensor/);
  });
});

/** The q-th quantile of the values' magnitudes, by sorting them. */
function magnitudeQuantile(values: number[], share: number): number {
  const sorted = values.map(Math.abs).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)];
}

describe('PercentileObserver', () => {
  it('the threshold holds the given share of the magnitudes, to within a bin, over batches that grow the range', () => {
    const rng = new Rng(5);
    const all: number[] = [];
    const o = new PercentileObserver({ percentile: 99 });
    for (const scale of [0.5, 1, 4]) {
      const batch = Float32Array.from({ length: 3000 }, () => rng.normal() * scale);
      all.push(...batch);
      o.observe(batch);
    }
    const exact = magnitudeQuantile(all, 0.99);
    const top = Math.max(...all.map(Math.abs));
    expect(Math.abs(o.threshold() - exact)).toBeLessThanOrEqual((2 * top) / 2048 + 1e-6); // the histogram's top is below 2·max|x|
    const { min, max } = o.range();
    expect([min[0], max[0]]).toEqual([-Math.fround(o.threshold()), Math.fround(o.threshold())]);
  });

  it('after a ReLU the range starts at 0; at 100 % it is the whole range', () => {
    const o = new PercentileObserver({ percentile: 100 });
    o.observe(Float32Array.of(0, 0.5, 2, 1));
    const { min, max } = o.range();
    expect([min[0], max[0]]).toEqual([0, 2]);
  });
});

describe('EntropyObserver', () => {
  /** The cut with the least KL divergence, by trying each one with clippedKl. */
  function bestCut(counts: number[], levels: number): number {
    let best = levels;
    for (let i = levels; i <= counts.length; i++) if (clippedKl(counts, i, levels) < clippedKl(counts, best, levels)) best = i;
    return best;
  }

  it('clips rare outliers far out, keeps a range without them whole', () => {
    const rng = new Rng(6);
    const bulk = Float32Array.from({ length: 20_000 }, () => Math.abs(rng.normal()));
    const withOutliers = Float32Array.from([...bulk, 40, 45, 50]);
    const clipped = new EntropyObserver();
    clipped.observe(withOutliers);
    expect(clipped.range().max[0]).toBeLessThan(10);
    expect(clipped.range().max[0]).toBeGreaterThan(2);
    const uniform = new EntropyObserver();
    uniform.observe(Float32Array.from({ length: 20_000 }, () => rng.uniform()));
    expect(uniform.range().max[0]).toBeGreaterThan(0.9);
  });

  it('the threshold is the edge of the cut whose divergence is least', () => {
    const rng = new Rng(7);
    const o = new EntropyObserver({ bins: 512, levels: 32 });
    const data = Float32Array.from({ length: 5000 }, () => rng.normal() ** 3);
    o.observe(data);
    const top = Math.max(...data.map(Math.abs));
    const counts = new Array(512).fill(0);
    for (const v of data) counts[Math.min(511, Math.floor((Math.abs(v) / top) * 512))]++;
    const { threshold, bins } = o.threshold();
    expect(bins).toBe(bestCut(counts, 32));
    expect(threshold).toBeCloseTo((bins * top) / 512, 6);
  });

  it("exact zeros (a ReLU's) are left out of the search unless asked: counted, their spike makes it clip hard", () => {
    const rng = new Rng(8);
    const relu = Float32Array.from({ length: 20_000 }, () => Math.max(0, rng.normal()));
    const [skipping, counting] = [new EntropyObserver(), new EntropyObserver({ skipZeros: false })];
    skipping.observe(relu);
    counting.observe(relu);
    expect(counting.range().max[0]).toBeLessThan(skipping.range().max[0]);
    // Skipping zeros is the same search as over the non-zero values alone.
    const nonZero = new EntropyObserver({ skipZeros: false });
    nonZero.observe(relu.filter((v) => v !== 0));
    expect(skipping.threshold()).toEqual(nonZero.threshold());
  });

  it('clippedKl is 0 when nothing is lost, and infinite when a group of P is all clipped mass', () => {
    expect(clippedKl([1, 1, 1, 1], 4, 4)).toBe(0);
    expect(clippedKl([5, 0, 0, 3], 2, 2)).toBe(Infinity); // P = [5, 3], Q's second group has no mass
    expect(() => clippedKl([1, 2], 3, 2)).toThrow(/a cut of 3 bins into 2 levels does not fit 2 bins/);
  });
});
