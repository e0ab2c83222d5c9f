import { describe, expect, it } from 'vitest';
import { Pruner } from '../src/compress/prune.js';
import { MaxPool2d } from '../src/nn/layers.js';
import { MLP } from '../src/nn/models.js';
import { Adam } from '../src/optim/adam.js';
import { crossEntropy } from '../src/tensor/ops/loss.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { randomArray } from './helpers.js';

describe('magnitude pruning', () => {
  it('by threshold: exactly the weights with |w| < λ become zero, biases untouched, cumulative', () => {
    const model = new MLP([40, 30, 10], new Rng(1));
    const before = model.parameters().map((p) => Float32Array.from(p.data));
    const pruner = new Pruner(model).pruneByThreshold(0.05);
    const [w1, b1] = model.parameters();
    w1.data.forEach((v, i) => {
      expect(v).toBe(Math.abs(before[0][i]) < 0.05 ? 0 : before[0][i]);
    });
    expect(b1.data).toEqual(before[1]);
    const s1 = pruner.stats().at(-1)!;
    pruner.pruneByThreshold(0.01); // a lower λ after a higher one prunes nothing more
    expect(pruner.stats().at(-1)!.zeros).toBe(s1.zeros);
    pruner.pruneByThreshold(0.1);
    expect(pruner.stats().at(-1)!.zeros).toBeGreaterThan(s1.zeros);
    expect(pruner.stats().map((s) => s.name)).toEqual(['fc1', 'fc2', 'total']);
  });

  it('a weight with |w| exactly λ is kept (the notebook prunes |w| < λ), one just below is pruned', () => {
    const model = new MLP([4, 1], new Rng(1));
    const lambda = Math.fround(0.05);
    model.parameters()[0].data.set([lambda, -lambda, Math.fround(0.0499999), -Math.fround(0.0499999)]);
    new Pruner(model).pruneByThreshold(lambda);
    expect([...model.parameters()[0].data]).toEqual([lambda, -lambda, 0, 0]);
  });

  it('to a target sparsity, layer-wise and global, keeping the largest weights', () => {
    const layerwise = new MLP([100, 50, 20], new Rng(2));
    for (const s of new Pruner(layerwise).pruneToSparsity(0.7).stats()) expect(s.sparsity).toBeCloseTo(0.7, 2);
    const global = new MLP([100, 50, 20], new Rng(2));
    const all = global
      .parameters()
      .filter((p) => p.rank === 2)
      .flatMap((p) => [...p.data].map(Math.abs))
      .sort((a, b) => a - b);
    const stats = new Pruner(global).pruneToSparsity(0.7, { scope: 'global' }).stats();
    expect(stats.at(-1)!.sparsity).toBeCloseTo(0.7, 3);
    const threshold = all[Math.floor(0.7 * all.length) - 1];
    for (const p of global.parameters().filter((t) => t.rank === 2)) {
      for (const v of p.data) if (v !== 0) expect(Math.abs(v)).toBeGreaterThanOrEqual(threshold);
    }
    // Layers differ under global ranking (fc1's init bound 1/√100 is smaller than fc2's 1/√50).
    expect(stats[0].sparsity).toBeGreaterThan(stats[1].sparsity);
  });

  it('masks survive optimizer steps when applied after each step', () => {
    const rng = new Rng(3);
    const model = new MLP([20, 16, 4], rng);
    const pruner = new Pruner(model).pruneToSparsity(0.5);
    const zerosBefore = pruner.stats().at(-1)!.zeros;
    const opt = new Adam(model.parameters(), { lr: 0.05 });
    const x = new Tensor(randomArray(8 * 20, rng), [8, 20]);
    for (let step = 0; step < 5; step++) {
      opt.zeroGrad();
      crossEntropy(model.forward(x), Int32Array.of(0, 1, 2, 3, 0, 1, 2, 3)).backward();
      opt.step();
      // Adam moves every weight, pruned or not: without the mask the zeros would be gone.
      pruner.apply();
    }
    const masks = pruner.targets.map((t) => t.mask);
    pruner.targets.forEach((t, k) => {
      t.weight.data.forEach((v, i) => {
        if (!masks[k][i]) expect(v).toBe(0);
      });
    });
    expect(pruner.stats().at(-1)!.zeros).toBe(zerosBefore);
  });

  it('bad input: λ < 0, sparsity outside [0, 1), a model without Linear or Conv2d layers', () => {
    const pruner = new Pruner(new MLP([4, 2], new Rng(0)));
    expect(() => pruner.pruneByThreshold(-0.1)).toThrow(/λ must be a number ≥ 0, got -0.1/);
    expect(() => pruner.pruneToSparsity(1)).toThrow(/sparsity must lie in \[0, 1\), got 1/);
    expect(() => pruner.pruneToSparsity(-0.5)).toThrow(/sparsity must lie in \[0, 1\)/);
    expect(() => new Pruner(new MaxPool2d(2))).toThrow(/has no Linear or Conv2d layers to prune/);
  });
});
