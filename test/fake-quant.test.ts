import { describe, expect, it } from 'vitest';
import { noGrad } from '../src/tensor/autograd.js';
import { sum } from '../src/tensor/index.js';
import { mul } from '../src/tensor/ops/elementwise.js';
import { type FakeQuantGrid, fakeQuantize } from '../src/tensor/ops/fake-quant.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';

/**
 * Fake quantization against its definition: values on the grid, and the straight-through
 * gradient. Finite differences see the staircase's slope when their step spans many levels
 * (1 inside the range, 0 beyond it); at the range's edges the gradient is the STE's
 * definition, exactly: 1 where round(x/s) + z is inside [qmin, qmax], 0 where it is clamped.
 */

const grid = (s: number, z: number, quantMin: number, quantMax: number): FakeQuantGrid => ({
  scale: Float32Array.of(s),
  zeroPoint: Int32Array.of(z),
  quantMin,
  quantMax,
});

/** dL/dx of L = Σ w·fakeQuantize(x), by backward. */
function gradient(x: Tensor, g: FakeQuantGrid, w: Tensor): Float32Array {
  const leaf = new Tensor(x.data.slice(), x.shape, { requiresGrad: true });
  sum(mul(fakeQuantize(leaf, g), w)).backward();
  return leaf.grad!.data;
}

describe('fakeQuantize', () => {
  it('rounds to the grid (ties to even) and clamps, per tensor: 8-bit affine, 4-bit symmetric', () => {
    const x = Tensor.from([-1, -0.26, -0.25, 0, 0.1, 0.25, 0.75, 3]);
    const y = fakeQuantize(x, grid(0.5, 2, 0, 5)).data; // levels −1, −0.5, 0, …, 1.5
    expect([...y]).toEqual([-1, -0.5, 0, 0, 0, 0, 1, 1.5]); // −0.25/0.5 = −0.5 → −0 (even); 0.75/0.5 = 1.5 → 2
    const w = Tensor.randn([50], new Rng(1));
    const s = 0.3;
    const q4 = fakeQuantize(w, grid(s, 0, -8, 7)).data;
    w.data.forEach((v, i) => {
      const q = Math.min(7, Math.max(-8, Math.round(v / s)));
      expect(q4[i]).toBeCloseTo(q * s, 6);
    });
  });

  it('per channel along axis 0 (weights) and axis 1 (activations): each channel its own scale and zero point', () => {
    const x = Tensor.randn([3, 4, 2], new Rng(2));
    const scale = Float32Array.of(0.1, 0.2, 0.4, 0.8);
    const zeroPoint = Int32Array.of(0, 1, -1, 2);
    const y = fakeQuantize(x, { scale, zeroPoint, quantMin: -4, quantMax: 4, axis: 1 }).data;
    for (let i = 0; i < x.size; i++) {
      const c = Math.floor(i / 2) % 4;
      const q = Math.min(4, Math.max(-4, Math.round(x.data[i] / scale[c]) + zeroPoint[c]));
      expect(y[i]).toBeCloseTo((q - zeroPoint[c]) * scale[c], 6);
    }
    const rows = fakeQuantize(x, { scale: Float32Array.of(0.5, 1, 2), zeroPoint: new Int32Array(3), quantMin: -2, quantMax: 2 }).data;
    expect(rows[0]).toBeCloseTo(Math.min(1, Math.max(-1, Math.round(x.data[0] / 0.5) * 0.5)), 6);
    expect(rows[8]).toBeCloseTo(Math.min(2, Math.max(-2, Math.round(x.data[8]))), 6);
  });

  it('the gradient against finite differences spanning many levels: slope 1 inside the range, 0 beyond it', () => {
    const s = 0.01,
      g = grid(s, 0, -100, 100); // the range [−1, 1]
    const x = Tensor.from([-3, -1.5, -0.6, -0.2, 0.05, 0.4, 0.7, 1.4, 2.5]);
    const w = Tensor.from([0.5, -1, 2, 1, -0.3, 0.8, 1.5, -2, 1]);
    const grad = gradient(x, g, w);
    const L = (v: Float32Array): number => noGrad(() => sum(mul(fakeQuantize(new Tensor(v, x.shape), g), w)).data[0]);
    const eps = 0.1; // ten levels each way
    for (let i = 0; i < x.size; i++) {
      const plus = x.data.slice(),
        minus = x.data.slice();
      plus[i] += eps;
      minus[i] -= eps;
      const fd = (L(plus) - L(minus)) / (2 * eps);
      // The staircase rises by at most one level more or less than the line over 2·eps.
      expect(Math.abs(fd - grad[i]), `x = ${x.data[i]}`).toBeLessThanOrEqual((Math.abs(w.data[i]) * s) / eps + 1e-5);
      expect(grad[i]).toBe(Math.abs(x.data[i]) < 1 ? w.data[i] : 0);
    }
  });

  it("at the range's edges the gradient is the STE's: 1 where the rounded value is inside, 0 where it is clamped", () => {
    const s = 0.5,
      g = grid(s, 3, 0, 10); // levels −1.5 … 3.5
    // 3.5 is the top level; 3.7 rounds to it (inside); 3.8 rounds past it (clamped); likewise below.
    const x = Tensor.from([3.5, 3.7, 3.8, 5, -1.5, -1.7, -1.8, -4]);
    const grad = gradient(x, g, Tensor.from(new Array(8).fill(1)));
    expect([...grad]).toEqual([1, 1, 0, 0, 1, 1, 0, 0]);
    expect([...fakeQuantize(x, g).data]).toEqual([3.5, 3.5, 3.5, 3.5, -1.5, -1.5, -1.5, -1.5]);
  });

  it('refuses a grid it cannot use, naming fakeQuantize and the value', () => {
    const x = Tensor.randn([2, 3], new Rng(3));
    expect(() => fakeQuantize(x, grid(0, 0, 0, 255))).toThrow(/^fakeQuantize: scale 0 \(channel 0\) must be positive and finite$/);
    expect(() => fakeQuantize(x, grid(0.1, 300, 0, 255))).toThrow(/zero point 300 \(channel 0\) is outside \[0, 255\]/);
    expect(() => fakeQuantize(x, grid(0.1, 0, 5, 5))).toThrow(/quantMin 5 and quantMax 5 must be integers, quantMin below quantMax/);
    const two = { scale: Float32Array.of(1, 1), zeroPoint: Int32Array.of(0, 0), quantMin: 0, quantMax: 9, axis: 1 };
    expect(() => fakeQuantize(x, two)).toThrow(/^fakeQuantize: 2 scales do not match axis 1 of \[2, 3\]$/);
    expect(() => fakeQuantize(x, { ...two, zeroPoint: Int32Array.of(0) })).toThrow(/needs as many zero points/);
  });
});
