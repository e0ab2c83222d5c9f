import { describe, expect, it } from 'vitest';
import { Adam } from '../src/optim/adam.js';
import { SGD } from '../src/optim/sgd.js';
import * as T from '../src/tensor/index.js';
import { Tensor } from '../src/tensor/tensor.js';

/** Loss Σ c·p², whose gradient 2c·p is easy to follow by hand. */
function quadStep(p: Tensor, c: number[]): void {
  T.sum(T.mul(T.mul(p, p), Tensor.from(c))).backward();
}

describe('Adam', () => {
  it('first step moves each weight by lr·sign(g)', () => {
    const p = Tensor.from([1, -2, 3], [3], { requiresGrad: true });
    const opt = new Adam([p], { lr: 0.1 });
    quadStep(p, [1, 1, 0.001]);
    opt.step();
    expect(p.data[0]).toBeCloseTo(0.9, 6);
    expect(p.data[1]).toBeCloseTo(-1.9, 6);
    expect(p.data[2]).toBeCloseTo(2.9, 6);
  });

  it('follows a trajectory worked out by hand (two steps, PyTorch formulas)', () => {
    const p = Tensor.from([1], [1], { requiresGrad: true });
    const opt = new Adam([p], { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8 });
    // step 1: g = 2, m = 0.2, v = 0.004, m̂ = 2, v̂ = 4 → p = 1 − 0.1·2/(2 + 1e-8) = 0.9
    quadStep(p, [1]);
    opt.step();
    opt.zeroGrad();
    // step 2: g = 1.8, m = 0.9·0.2 + 0.1·1.8 = 0.36, v = 0.999·0.004 + 0.001·3.24 = 0.007236
    quadStep(p, [1]);
    opt.step();
    const m = 0.36,
      v = 0.007236;
    const want = 0.9 - ((0.1 / (1 - 0.81)) * m) / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** 2) + 1e-8);
    expect(p.data[0]).toBeCloseTo(want, 6);
  });

  it('weight decay adds wd·p to the gradient', () => {
    const p = Tensor.from([2], [1], { requiresGrad: true });
    const opt = new Adam([p], { lr: 0.1, weightDecay: 0.5 });
    p.grad = Tensor.from([-0.5]); // −0.5 + 0.5·2 = 0.5 > 0: the step goes down
    opt.step();
    expect(p.data[0]).toBeCloseTo(1.9, 6);
  });

  it('skips parameters without a gradient, and state round-trips', () => {
    const a = Tensor.from([1], [1], { requiresGrad: true });
    const b = Tensor.from([5], [1], { requiresGrad: true });
    const opt = new Adam([a, b], { lr: 0.1 });
    quadStep(a, [1]);
    opt.step();
    expect(b.data[0]).toBe(5);
    const copy = new Adam([Tensor.from([a.data[0]], [1], { requiresGrad: true }), Tensor.from([5], [1], { requiresGrad: true })], {
      lr: 0.1,
    });
    copy.loadStateDict(opt.stateDict());
    expect(copy.stepCount).toBe(1);
    opt.zeroGrad();
    quadStep(a, [1]);
    opt.step();
    quadStep(copy.params[0], [1]);
    copy.step();
    expect(copy.params[0].data[0]).toBe(a.data[0]);
  });

  it('refuses bad settings', () => {
    const p = Tensor.from([1], [1], { requiresGrad: true });
    expect(() => new Adam([p], { lr: -1 })).toThrow(/Adam: lr must be > 0/);
    expect(() => new Adam([p], { betas: [1, 0.9] })).toThrow(/Adam: betas must lie in \[0, 1\)/);
    expect(() => new Adam([])).toThrow(/Adam: got an empty parameter list/);
    expect(() => new Adam([Tensor.from([1])])).toThrow(/Adam: parameter 0 does not require a gradient/);
  });
});

describe('SGD', () => {
  it('plain SGD: p ← p − lr·g', () => {
    const p = Tensor.from([1, 2], [2], { requiresGrad: true });
    const opt = new SGD([p], { lr: 0.1 });
    quadStep(p, [1, 1]);
    opt.step();
    expect(p.data[0]).toBeCloseTo(0.8, 6);
    expect(p.data[1]).toBeCloseTo(1.6, 6);
  });

  it('momentum by hand: b₁ = g₁, b₂ = μ·b₁ + g₂', () => {
    const p = Tensor.from([1], [1], { requiresGrad: true });
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    quadStep(p, [1]); // g = 2
    opt.step(); // p = 1 − 0.2 = 0.8
    opt.zeroGrad();
    quadStep(p, [1]); // g = 1.6, b = 1.8 + 1.6 = 3.4
    opt.step(); // p = 0.8 − 0.34
    expect(p.data[0]).toBeCloseTo(0.46, 6);
  });

  it('nesterov: g + μ·b', () => {
    const p = Tensor.from([1], [1], { requiresGrad: true });
    const opt = new SGD([p], { lr: 0.1, momentum: 0.5, nesterov: true });
    quadStep(p, [1]); // g = 2, b = 2, step = 2 + 1 = 3
    opt.step();
    expect(p.data[0]).toBeCloseTo(0.7, 6);
  });

  it('zeroGrad clears the gradients', () => {
    const p = Tensor.from([1], [1], { requiresGrad: true });
    const opt = new SGD([p], { lr: 0.1 });
    quadStep(p, [1]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
  });
});
