import { beforeAll, describe, expect, it } from 'vitest';
import { DataLoader } from '../src/data/loader.js';
import { loadMnist, type MnistSplit } from '../src/data/mnist.js';
import { MLP, TeacherNet } from '../src/nn/models.js';
import { Adam } from '../src/optim/adam.js';
import { Rng } from '../src/tensor/random.js';
import { evaluate, trainEpoch } from '../src/train/fit.js';

describe('training on a slice of MNIST', () => {
  let train: MnistSplit;
  let test: MnistSplit;
  beforeAll(async () => {
    [train, test] = await Promise.all([loadMnist('train', { limit: 3000 }), loadMnist('test', { limit: 2000 })]);
  });

  it('the notebook MLP learns: ≥ 85% after 5 epochs on 3k images', () => {
    const model = new MLP([784, 512, 256, 128, 10], new Rng(0));
    const before = evaluate(model, new DataLoader(test, { batchSize: 1000 }));
    const opt = new Adam(model.parameters(), { lr: 1e-3 });
    const losses: number[] = [];
    for (let epoch = 0; epoch < 5; epoch++) {
      losses.push(trainEpoch(model, new DataLoader(train, { batchSize: 64, shuffle: true, seed: epoch }), opt).loss);
    }
    const after = evaluate(model, new DataLoader(test, { batchSize: 1000 }));
    expect(before).toBeLessThan(0.3);
    expect(losses[4]).toBeLessThan(losses[0]);
    expect(after).toBeGreaterThanOrEqual(0.85);
  });

  it('the teacher CNN learns: ≥ 85% after 3 epochs on 3k images', () => {
    const model = new TeacherNet(new Rng(0));
    const opt = new Adam(model.parameters(), { lr: 1e-3 });
    const loader = new DataLoader(train, { batchSize: 64, shuffle: true, seed: 1 });
    for (let epoch = 0; epoch < 3; epoch++) trainEpoch(model, loader, opt);
    expect(evaluate(model, new DataLoader(test, { batchSize: 1000 }))).toBeGreaterThanOrEqual(0.85);
  });

  it('same seed, same numbers: two runs give identical losses and weights', () => {
    const run = () => {
      const model = new MLP([784, 64, 10], new Rng(42));
      const opt = new Adam(model.parameters());
      const loader = new DataLoader(train, { batchSize: 64, shuffle: true, seed: 7, limit: 640 });
      const losses = [trainEpoch(model, loader, opt).loss, trainEpoch(model, loader, opt).loss];
      return { losses, weights: Array.from(model.parameters()[0].data.subarray(0, 50)) };
    };
    const a = run();
    const b = run();
    expect(a.losses).toEqual(b.losses);
    expect(a.weights).toEqual(b.weights);
    const c = (() => {
      const model = new MLP([784, 64, 10], new Rng(43));
      return trainEpoch(model, new DataLoader(train, { batchSize: 64, shuffle: true, seed: 7, limit: 640 }), new Adam(model.parameters())).loss;
    })();
    expect(c).not.toBe(a.losses[0]);
  });
});
