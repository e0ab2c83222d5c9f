import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { calibrate } from '../src/compress/calibrate.js';
import { EntropyObserver, PercentileObserver } from '../src/compress/clipping-observers.js';
import { HistogramObserver } from '../src/compress/histogram-observer.js';
import {
  MinMaxObserver,
  MovingAverageMinMaxObserver,
  type Observer,
  PerChannelMinMaxObserver,
  type QuantSpec,
} from '../src/compress/observers.js';
import { MLP } from '../src/nn/models.js';
import { noGrad } from '../src/tensor/autograd.js';
import { relu } from '../src/tensor/index.js';
import { roundHalfEven } from '../src/tensor/kernels/quantize.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { fraction } from './helpers.js';

/**
 * Every observer over random batches (seeded; `PROPERTY_RUNS` runs): values of both signs or
 * ReLU-like, at scales from 1e-6 to 1e4, with outliers and constant batches, under every
 * dtype, scheme and range. Each must give a valid scale and zero point (0 exact, the zero
 * point inside the integer range), a chosen range inside what was seen (the histogram's
 * inside its grid, which pushes the max out as PyTorch's does), and the MinMax
 * ones must cover every value to within half a step. Calibration of random MLPs feeds each
 * layer's observers what the layers compute there.
 */

const RUNS = Number(process.env.PROPERTY_RUNS ?? 50);
const OPTIONS = { seed: 2034, numRuns: RUNS };

const batchesCase = fc.record({
  batches: fc.integer({ min: 1, max: 4 }),
  size: fc.integer({ min: 1, max: 300 }),
  exponent: fc.integer({ min: -6, max: 4 }),
  relu: fc.boolean(),
  constant: fc.boolean(),
  outliers: fraction(0, 0.02),
  dtype: fc.constantFrom('uint8', 'int8'),
  symmetric: fc.boolean(),
  reduceRange: fc.boolean(),
  bits: fc.constantFrom(8, 4, 2),
  seed: fc.integer(),
});
type BatchesCase = typeof batchesCase extends fc.Arbitrary<infer T> ? T : never;

function batchesOf(c: BatchesCase): Float32Array[] {
  const rng = new Rng(c.seed);
  return Array.from({ length: c.batches }, (_, b) => {
    if (c.constant && b === 0) return new Float32Array(c.size).fill(rng.normal() * 10 ** c.exponent);
    return Float32Array.from({ length: c.size }, () => {
      let v = rng.normal() * 10 ** c.exponent * (rng.uniform() < c.outliers ? 50 : 1);
      if (c.relu) v = Math.max(0, v);
      return v;
    });
  });
}

function specOf(c: BatchesCase): QuantSpec {
  // Symmetric uint8 cannot reduce its range (PyTorch refuses it too): those cases use 8 bits.
  const reduceRange = c.reduceRange && !(c.symmetric && c.dtype === 'uint8' && c.bits === 8);
  const spec: QuantSpec = { dtype: c.dtype, symmetric: c.symmetric, reduceRange };
  if (c.bits < 8) spec.quantRange = c.dtype === 'int8' ? [-(2 ** (c.bits - 1)), 2 ** (c.bits - 1) - 1] : [0, 2 ** c.bits - 1];
  return spec;
}

/** A valid scale and zero point: finite, positive, the zero point an integer in range, 0 exact. */
function expectValid(o: Observer, label: string): void {
  const q = o.qparams();
  expect(q.quantMin, label).toBeLessThan(q.quantMax);
  for (let i = 0; i < q.scale.length; i++) {
    expect(q.scale[i], label).toBeGreaterThan(0);
    expect(Number.isFinite(q.scale[i]), label).toBe(true);
    expect(Number.isInteger(q.zeroPoint[i]), label).toBe(true);
    expect(q.zeroPoint[i], label).toBeGreaterThanOrEqual(q.quantMin);
    expect(q.zeroPoint[i], label).toBeLessThanOrEqual(q.quantMax);
  }
}

const extremes = (batches: Float32Array[]): [number, number] => [
  Math.min(...batches.map((b) => b.reduce((m, v) => Math.min(m, v), Infinity))),
  Math.max(...batches.map((b) => b.reduce((m, v) => Math.max(m, v), -Infinity))),
];

/**
 * What the histogram observer holds: while everything seen is one value, the next batch
 * starts it afresh (as PyTorch's), so its extremes and count are those since the last restart.
 */
function sinceRestart(batches: Float32Array[]): { lo: number; hi: number; count: number } {
  let [lo, hi, count] = [Infinity, -Infinity, 0];
  for (const b of batches) {
    const [blo, bhi] = extremes([b]);
    const restart = lo === hi || lo === Infinity;
    [lo, hi, count] = restart ? [blo, bhi, b.length] : [Math.min(lo, blo), Math.max(hi, bhi), count + b.length];
  }
  return { lo, hi, count };
}

describe('observers over random batches', () => {
  test.prop([batchesCase], OPTIONS)('valid qparams; ranges inside what was seen; MinMax covers every value', (c) => {
    const batches = batchesOf(c);
    const spec = specOf(c);
    const [lo, hi] = extremes(batches);
    const observers: [string, Observer][] = [
      ['minmax', new MinMaxObserver(spec)],
      ['moving average', new MovingAverageMinMaxObserver({ ...spec, averagingConstant: 0.3 })],
      ['histogram', new HistogramObserver({ ...spec, bins: 256, upsampleRate: 8 })],
      ['histogram, exact range', new HistogramObserver({ ...spec, bins: 256, upsampleRate: 8, exactRange: true })],
      ['percentile', new PercentileObserver({ ...spec, percentile: 99 })],
      ['entropy', new EntropyObserver({ ...spec, bins: 512 })],
    ];
    for (const [label, o] of observers) {
      for (const b of batches) o.observe(b);
      expectValid(o, label);
      const { min, max } = o.range();
      expect(min[0], label).toBeLessThanOrEqual(max[0]);
      if (o instanceof HistogramObserver) {
        // Its grid keeps the min and pushes the max out to a whole number of bins (as PyTorch):
        // the range chosen lies inside that, to the rounding of the bins' edges.
        const held = sinceRestart(batches);
        expect(o.min, label).toBe(held.lo);
        expect(o.max, label).toBeGreaterThanOrEqual(held.hi);
        const slack = 1e-6 * Math.max(Math.abs(o.min), Math.abs(o.max));
        expect(min[0], label).toBeGreaterThanOrEqual(o.min - slack);
        expect(max[0], label).toBeLessThanOrEqual(o.max + slack);
      } else {
        expect(min[0], label).toBeGreaterThanOrEqual(lo);
        expect(max[0], label).toBeLessThanOrEqual(hi);
      }
    }
    // MinMax: every value seen lies within half a step of its quantized value.
    const q = observers[0][1].qparams();
    const [s, z] = [q.scale[0], q.zeroPoint[0]];
    for (const b of batches)
      for (const v of b) {
        const level = Math.min(q.quantMax, Math.max(q.quantMin, roundHalfEven(v / s) + z));
        expect(Math.abs((level - z) * s - v)).toBeLessThanOrEqual(s / 2 + 1e-6 * Math.abs(v) + 1e-30);
      }
    // 0 is exact: it quantizes to the zero point and back to 0.
    expect((roundHalfEven(0 / s) + z - z) * s).toBe(0);
  });

  test.prop([batchesCase], OPTIONS)('MinMax is the same whatever order the batches come in; per channel is MinMax of each channel', (c) => {
    const batches = batchesOf(c);
    const spec = specOf(c);
    const forward = new MinMaxObserver(spec),
      backward = new MinMaxObserver(spec);
    for (const b of batches) forward.observe(b);
    for (const b of [...batches].reverse()) backward.observe(b);
    expect(backward.qparams()).toEqual(forward.qparams());

    const channels = Math.min(c.size, 1 + (c.size % 5));
    const rows = Math.max(1, Math.floor(c.size / channels));
    const perChannel = new PerChannelMinMaxObserver({ ...spec, axis: 1 });
    const each = Array.from({ length: channels }, () => new MinMaxObserver(spec));
    for (const b of batches) {
      const x = new Tensor(b.slice(0, rows * channels), [rows, channels]);
      perChannel.observe(x);
      for (let ch = 0; ch < channels; ch++) each[ch].observe(Float32Array.from({ length: rows }, (_, r) => x.data[r * channels + ch]));
    }
    const q = perChannel.qparams();
    each.forEach((o, ch) => {
      const one = o.qparams();
      expect([q.scale[ch], q.zeroPoint[ch]]).toEqual([one.scale[0], one.zeroPoint[0]]);
    });
  });

  test.prop([batchesCase], OPTIONS)("the histogram holds every value observed (exact range), whatever the batches' ranges", (c) => {
    const batches = batchesOf(c);
    const o = new HistogramObserver({ bins: 128, upsampleRate: 16, exactRange: true });
    for (const b of batches) o.observe(b);
    const total = o.histogram.reduce((a, v) => a + v, 0);
    const expected = sinceRestart(batches).count;
    expect(Math.abs(total - expected)).toBeLessThanOrEqual(1e-4 * expected);
  });

  test.prop([batchesCase], OPTIONS)('a higher percentile never gives a narrower range', (c) => {
    const batches = batchesOf(c);
    const thresholds = [50, 90, 99, 99.99, 100].map((percentile) => {
      const o = new PercentileObserver({ percentile });
      for (const b of batches) o.observe(b);
      return o.threshold();
    });
    for (let i = 1; i < thresholds.length; i++) expect(thresholds[i]).toBeGreaterThanOrEqual(thresholds[i - 1]);
  });

  test.prop(
    [
      fc.array(fc.integer({ min: 1, max: 16 }), { minLength: 2, maxLength: 5 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 17 }),
      fc.integer(),
    ],
    OPTIONS,
  )(
    "calibrate gives each layer's observers exactly the values the layers compute there, whatever the batch size",
    (widths, images, batchSize, seed) => {
      const rng = new Rng(seed);
      const net = new MLP(widths, rng);
      const x = Tensor.randn([images, widths[0]], rng);
      const seen = calibrate(net, { x, labels: new Int32Array(images) }, { observer: () => new MinMaxObserver(), batchSize });
      noGrad(() => {
        let h = x;
        net.layers.forEach((layer, i) => {
          const o = seen.get(`fc${i + 1}`)!;
          const [lo, hi] = extremes([h.data]);
          expect((o.input as MinMaxObserver).min).toBeCloseTo(lo, 5);
          expect((o.input as MinMaxObserver).max).toBeCloseTo(hi, 5);
          h = layer.forward(h);
          if (i + 1 < net.layers.length) h = relu(h);
          const [olo, ohi] = extremes([h.data]);
          expect((o.output as MinMaxObserver).min).toBeCloseTo(olo, 5);
          expect((o.output as MinMaxObserver).max).toBeCloseTo(ohi, 5);
        });
      });
    },
  );
});
