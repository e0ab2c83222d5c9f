import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { argmax, max, mean, mul, sum } from '../src/tensor/index.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';

/**
 * The reductions over every axis of random tensors of rank 1 to 4 (seeded; `PROPERTY_RUNS`
 * runs) against loops over their definitions: sums and means, maxima (ties and NaN
 * included: the first maximum, the first NaN, as PyTorch), argmax, keepDim's shape, and the
 * gradients (the sum's to every element, the maximum's to the first maximum only).
 */

const RUNS = Number(process.env.PROPERTY_RUNS ?? 50);
const OPTIONS = { seed: 2036, numRuns: RUNS };

const tensorCase = fc.record({
  shape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
  axis: fc.nat(3),
  keepDim: fc.boolean(),
  ties: fc.boolean(),
  nan: fc.boolean(),
  seed: fc.integer(),
});

/** Values of `shape`, some repeated (ties), maybe a NaN. */
function values(c: { shape: number[]; ties: boolean; nan: boolean; seed: number }): Tensor {
  const rng = new Rng(c.seed);
  const size = c.shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: size }, () => (c.ties ? rng.int(3) : rng.normal()));
  if (c.nan && size > 1) data[rng.int(size)] = Number.NaN;
  return new Tensor(data, c.shape);
}

/** The flat indices of the elements each output position reduces over, in order along the axis. */
function lines(shape: number[], axis: number): number[][] {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out: number[][] = [];
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) out.push(Array.from({ length: shape[axis] }, (_, d) => (o * shape[axis] + d) * inner + i));
  return out;
}

const reducedShape = (shape: number[], axis: number, keepDim: boolean): number[] =>
  keepDim ? shape.map((d, i) => (i === axis ? 1 : d)) : shape.filter((_, i) => i !== axis);

describe('reductions along every axis, against their definitions', () => {
  test.prop([tensorCase], OPTIONS)('sum and mean: values, shape and the gradient', (c) => {
    const axis = c.axis % c.shape.length;
    const x = values({ ...c, nan: false });
    const each = lines(c.shape, axis);
    const s = sum(x, axis, c.keepDim);
    expect(s.shape).toEqual(reducedShape(c.shape, axis, c.keepDim));
    each.forEach((line, k) => {
      const want = line.reduce((a, j) => a + x.data[j], 0);
      expect(s.data[k]).toBeCloseTo(want, 5);
      expect(mean(x, axis, c.keepDim).data[k]).toBeCloseTo(want / line.length, 5);
    });
    // d/dx Σ w·sum(x) = w of the element's line.
    const leaf = new Tensor(x.data.slice(), c.shape, { requiresGrad: true });
    const w = Tensor.randn(s.shape, new Rng(c.seed + 1));
    sum(mul(sum(leaf, axis, c.keepDim), w)).backward();
    each.forEach((line, k) => {
      for (const j of line) expect(leaf.grad!.data[j]).toBeCloseTo(w.data[k], 6);
    });
  });

  test.prop([tensorCase], OPTIONS)('max and argmax: the first maximum (the first NaN), the gradient to it alone', (c) => {
    const axis = c.axis % c.shape.length;
    const x = values(c);
    const each = lines(c.shape, axis);
    const m = max(x, axis, c.keepDim);
    const a = argmax(x, axis);
    expect(m.shape).toEqual(reducedShape(c.shape, axis, c.keepDim));
    const first = each.map((line) => {
      const nan = line.findIndex((j) => Number.isNaN(x.data[j]));
      if (nan >= 0) return nan;
      let best = 0;
      line.forEach((j, d) => {
        if (x.data[j] > x.data[line[best]]) best = d;
      });
      return best;
    });
    each.forEach((line, k) => {
      expect(a.data[k]).toBe(first[k]);
      expect(Object.is(m.data[k], x.data[line[first[k]]]) || m.data[k] === x.data[line[first[k]]]).toBe(true);
    });
    const leaf = new Tensor(x.data.slice(), c.shape, { requiresGrad: true });
    const w = Tensor.randn(m.shape, new Rng(c.seed + 2));
    sum(mul(max(leaf, axis, c.keepDim), w)).backward();
    const want = new Float32Array(x.size);
    each.forEach((line, k) => {
      want[line[first[k]]] += w.data[k];
    });
    expect([...leaf.grad!.data]).toEqual([...want]);
  });
});
