import { beforeAll, describe, expect, it } from 'vitest';
import { subset } from '../src/data/dataset.js';
import { DataLoader } from '../src/data/loader.js';
import type { TensorSet } from '../src/data/tensor-set.js';
import { MLP, TeacherNet } from '../src/nn/models.js';
import { loadMnist, type MnistSplit } from '../src/node/mnist.js';
import { Adam } from '../src/optim/adam.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { countCorrect, evaluate } from '../src/train/evaluate.js';
import { fit, type TrainStep, trainEpoch } from '../src/train/fit.js';

describe('training on a slice of MNIST', () => {
  let train: MnistSplit;
  let test: MnistSplit;
  let testSet: TensorSet;
  beforeAll(async () => {
    [train, test] = await Promise.all([loadMnist('train', { limit: 3000 }), loadMnist('test', { limit: 2000 })]);
    testSet = { x: new Tensor(test.images, [test.count, 1, 28, 28]), labels: test.labels };
  });

  it('the notebook MLP learns: ≥ 85% after 5 epochs on 3k images', () => {
    const model = new MLP([784, 512, 256, 128, 10], new Rng(0));
    const before = evaluate(model, testSet);
    const opt = new Adam(model.parameters(), { lr: 1e-3 });
    const losses: number[] = [];
    for (let epoch = 0; epoch < 5; epoch++) {
      losses.push(trainEpoch(model, new DataLoader(train, { batchSize: 64, shuffle: true, seed: epoch }), opt).loss);
    }
    const after = evaluate(model, testSet);
    expect(before).toBeLessThan(0.3);
    expect(losses[4]).toBeLessThan(losses[0]);
    expect(after).toBeGreaterThanOrEqual(0.85);
  });

  it("fit's onStep sees every step: its batch, its loss (their mean is the epoch's), the images so far", () => {
    const model = new MLP([784, 32, 10], new Rng(3));
    const steps: TrainStep[] = [];
    const [row] = fit(model, subset(train, 0, 1000), { epochs: 1, batchSize: 64, onStep: (s) => steps.push(s) });
    expect(steps.map((s) => s.batch)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(steps.every((s) => s.batches === 16)).toBe(true);
    expect(steps.at(-1)!.images).toBe(1000);
    expect(steps[0].images).toBe(64);
    expect(steps.reduce((a, s) => a + s.loss, 0) / steps.length).toBeCloseTo(row.loss, 10);
    for (let i = 1; i < steps.length; i++) expect(steps[i].seconds).toBeGreaterThanOrEqual(steps[i - 1].seconds);
  });

  it('the teacher CNN learns: ≥ 85% after 3 epochs on 3k images', () => {
    const model = new TeacherNet(new Rng(0));
    const opt = new Adam(model.parameters(), { lr: 1e-3 });
    const loader = new DataLoader(train, { batchSize: 64, shuffle: true, seed: 1 });
    for (let epoch = 0; epoch < 3; epoch++) trainEpoch(model, loader, opt);
    expect(evaluate(model, testSet)).toBeGreaterThanOrEqual(0.85);
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
      return trainEpoch(model, new DataLoader(train, { batchSize: 64, shuffle: true, seed: 7, limit: 640 }), new Adam(model.parameters()))
        .loss;
    })();
    expect(c).not.toBe(a.losses[0]);
  });
});

describe('countCorrect and evaluate', () => {
  it('count the rows whose largest logit is at the label (first of equal maxima)', () => {
    const logits = new Tensor(new Float32Array([0, 2, 1, 5, 5, 0, -1, -2, -3]), [3, 3]);
    expect(countCorrect(logits, [1, 0, 0])).toBe(3);
    expect(countCorrect(logits, [1, 1, 2])).toBe(1);
  });

  it('refuse NaN logits instead of counting them as class 0', () => {
    const logits = new Tensor(new Float32Array([NaN, 0, 0, 1]), [2, 2]);
    expect(() => countCorrect(logits, [0, 1])).toThrow(/NaN at row 0, class 0/);
  });

  it('refuse labels that do not match the rows, and an empty set', () => {
    expect(() => countCorrect(new Tensor(new Float32Array(4), [2, 2]), [0])).toThrow(/1 labels for logits \[2, 2\]/);
    const model = new MLP([4, 2], new Rng(0));
    expect(() => evaluate(model, { x: new Tensor(new Float32Array(0), [0, 4]), labels: new Uint8Array(0) })).toThrow(/empty/);
  });

  it('evaluate restores training mode and equals counting batch by batch', () => {
    const model = new MLP([4, 3], new Rng(1));
    const x = new Tensor(
      Float32Array.from({ length: 40 }, (_, i) => Math.sin(i * 1.7)),
      [10, 4],
    );
    const labels = Uint8Array.from({ length: 10 }, (_, i) => i % 3);
    model.train();
    const whole = countCorrect(model.forward(x), labels) / 10;
    expect(evaluate(model, { x, labels }, 3)).toBe(whole);
    expect(model.training).toBe(true);
  });
});
