import { describe, expect, it } from 'vitest';
import { Linear } from '../src/nn/layers.js';
import { Adam } from '../src/optim/adam.js';
import * as T from '../src/tensor/index.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { maxAbsDiff } from './helpers.js';

describe('autograd engine', () => {
  it('a tensor used twice gets the sum of both gradients', () => {
    const x = Tensor.from([1, 2, 3], [3], { requiresGrad: true });
    T.sum(T.add(T.mul(x, x), x)).backward(); // d/dx (x² + x) = 2x + 1
    expect(x.grad!.toArray()).toEqual([3, 5, 7]);
  });

  it('add(a, a) does not let the two gradient paths alias each other', () => {
    const a = Tensor.from([1, 2], [2], { requiresGrad: true });
    const y = T.add(a, a);
    T.sum(T.mul(y, y)).backward(); // d/da (2a)² = 8a
    expect(a.grad!.toArray()).toEqual([8, 16]);
  });

  it('leaf gradients accumulate across backward calls until cleared', () => {
    const x = Tensor.from([2], [1], { requiresGrad: true });
    T.sum(T.mul(x, 3)).backward();
    T.sum(T.mul(x, 3)).backward();
    expect(x.grad!.toArray()).toEqual([6]);
  });

  it('noGrad records nothing, and backward on it explains why it cannot run', () => {
    const x = Tensor.from([1, 2], [2], { requiresGrad: true });
    const y = T.noGrad(() => T.sum(T.mul(x, x)));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(() => y.backward()).toThrow(/backward: this tensor does not require a gradient/);
    expect(T.isGradEnabled()).toBe(true);
  });

  it('backward of a non-scalar needs a gradient of the right shape', () => {
    const x = Tensor.from([1, 2], [2], { requiresGrad: true });
    expect(() => T.mul(x, 2).backward()).toThrow(/backward: needs a scalar loss or an explicit gradient, got shape \[2\]/);
    expect(() => T.mul(x, 2).backward(Tensor.zeros([3]))).toThrow(
      /backward: gradient of shape \[3\] does not match the output's shape \[2\]/,
    );
  });

  it('frees the graph after backward', () => {
    const x = Tensor.from([1], [1], { requiresGrad: true });
    const h = T.exp(x);
    const loss = T.sum(h);
    loss.backward();
    expect(loss.node).toBeNull();
    expect(h.node).toBeNull();
  });

  it('detach stops the gradient', () => {
    const x = Tensor.from([3], [1], { requiresGrad: true });
    T.sum(T.mul(x, x.detach())).backward(); // only the left factor carries a gradient
    expect(x.grad!.toArray()).toEqual([3]);
  });

  it('inputs that do not require a gradient get none', () => {
    const x = Tensor.from([1, 2], [2]);
    const w = Tensor.from([3, 4], [2], { requiresGrad: true });
    T.sum(T.mul(x, w)).backward();
    expect(x.grad).toBeNull();
    expect(w.grad!.toArray()).toEqual([1, 2]);
  });

  it('a deep chain does not overflow the stack', () => {
    let h = Tensor.from([1], [1], { requiresGrad: true });
    const x = h;
    for (let i = 0; i < 20000; i++) h = T.add(h, 0);
    T.sum(h).backward();
    expect(x.grad!.toArray()).toEqual([1]);
  });

  it('tensor constructors check their inputs', () => {
    expect(() => new Tensor(new Float32Array(5), [2, 3])).toThrow(/Tensor: 5 values do not fill shape \[2, 3\]/);
    expect(() => Tensor.zeros([2, -1])).toThrow(/zeros: invalid shape \[2, -1\]/);
    expect(() => Tensor.zeros([2]).item()).toThrow(/item: tensor of shape \[2\] has 2 elements/);
  });
});

describe('Rng', () => {
  it('the same seed gives the same numbers; another seed does not', () => {
    const draw = (seed: number) => {
      const r = new Rng(seed);
      return Array.from({ length: 5 }, () => r.uniform());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('uniform and normal have the right moments', () => {
    const r = new Rng(1);
    const n = 100000;
    let su = 0,
      sn = 0,
      sn2 = 0;
    for (let i = 0; i < n; i++) {
      su += r.uniform();
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(su / n).toBeCloseTo(0.5, 2);
    expect(sn / n).toBeCloseTo(0, 1);
    expect(sn2 / n).toBeCloseTo(1, 1);
  });

  it('permutation holds every index once', () => {
    const p = new Rng(3).permutation(1000);
    expect([...p].sort((a, b) => a - b)).toEqual([...Array(1000).keys()]);
  });
});

describe('parameter gradients written in place (keepGradInPlace)', () => {
  const rng = new Rng(41);
  const setup = () => {
    const layer = new Linear(300, 200, { rng });
    const x = Tensor.uniform([64, 300], -1, 1, rng);
    const loss = () => T.sum(T.mul(T.linearRelu(x, layer.weight, layer.bias), 0.5));
    // The same gradient through a leaf that returns its gradient as usual: a plain copy of the weight.
    const plainW = Tensor.from(layer.weight.data, layer.weight.shape, { requiresGrad: true });
    const plainB = Tensor.from(layer.bias!.data, layer.bias!.shape, { requiresGrad: true });
    T.sum(T.mul(T.linearRelu(x, plainW, plainB), 0.5)).backward();
    return { layer, loss, want: [plainW.grad!.data, plainB.grad!.data] };
  };

  it('gives the gradient a plain leaf gets, in one array kept across zeroGrad', () => {
    const { layer, loss, want } = setup();
    const opt = new Adam(layer.parameters());
    loss().backward();
    const first = layer.weight.grad!.data;
    expect(layer.weight.grad!.data).toEqual(want[0]);
    expect(layer.bias!.grad!.data).toEqual(want[1]);
    opt.zeroGrad();
    expect(layer.weight.grad).toBeNull();
    loss().backward();
    expect(layer.weight.grad!.data).toBe(first); // the same storage, written afresh (not added to)
    expect(layer.weight.grad!.data).toEqual(want[0]);
  });

  it('accumulates across backward calls until cleared, as a returned gradient does', () => {
    const { layer, loss, want } = setup();
    loss().backward();
    loss().backward();
    expect(
      maxAbsDiff(
        layer.weight.grad!.data,
        want[0].map((v) => 2 * v),
      ),
    ).toBeLessThan(1e-6);
    expect(
      maxAbsDiff(
        layer.bias!.grad!.data,
        want[1].map((v) => 2 * v),
      ),
    ).toBeLessThan(1e-6);
  });

  it('adds to a gradient the same pass also returns (a weight used by two ops)', () => {
    const w = new Linear(300, 200, { rng }).weight;
    const xs = Tensor.uniform([64, 300], -1, 1, rng);
    // w in a fused linear (written in place) and in a plain product (returned): the sum of both.
    const twoUses = (v: Tensor) => T.sum(T.add(T.linear(xs, v, null), T.matmul(xs, T.transpose(v))));
    twoUses(w).backward();
    const plain = Tensor.from(w.data, w.shape, { requiresGrad: true });
    twoUses(plain).backward();
    expect(maxAbsDiff(w.grad!.data, plain.grad!.data)).toBeLessThan(1e-5);
  });
});
