import { describe, expect, it } from 'vitest';
import { activationStats, neuronScores, removeNeurons } from '../src/compress/neurons.js';
import type { Linear } from '../src/nn/layers.js';
import { MLP } from '../src/nn/models.js';
import { noGrad } from '../src/tensor/autograd.js';
import { linear } from '../src/tensor/ops/matmul.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { expectClose, randomArray } from './helpers.js';

/** The original network with the activations of the removed neurons forced to zero. */
function forwardZeroing(net: MLP, x: Tensor, kept: number[][]): Float32Array {
  return noGrad(() => {
    const layers = net.layers as Linear[];
    let h = x;
    layers.forEach((l, i) => {
      h = linear(h, l.weight, l.bias);
      if (i < kept.length) {
        const keep = new Set(kept[i]);
        const width = l.outFeatures;
        const d = Float32Array.from(h.data, (v, k) => (keep.has(k % width) && v > 0 ? v : 0));
        h = new Tensor(d, h.shape);
      }
    });
    return h.data;
  });
}

describe('neuron (activation) pruning', () => {
  const rng = new Rng(1);
  const net = new MLP([12, 16, 8, 6, 3], rng);
  const images = randomArray(50 * 12, rng);

  it('activation statistics are the mean ReLU output and firing rate per neuron', () => {
    const stats = activationStats(net, new Tensor(images, [50, 12]), 7); // odd batch size: the last batch is partial
    const h1 = noGrad(() => linear(new Tensor(images, [50, 12]), (net.layers[0] as Linear).weight, (net.layers[0] as Linear).bias));
    for (const j of [0, 5, 15]) {
      let sum = 0,
        on = 0;
      for (let n = 0; n < 50; n++) {
        const v = h1.data[n * 16 + j];
        if (v > 0) {
          sum += v;
          on++;
        }
      }
      expect(stats.mean[0][j]).toBeCloseTo(sum / 50, 5);
      expect(stats.activeFraction[0][j]).toBeCloseTo(on / 50, 6);
    }
    expect(stats.mean.map((m) => m.length)).toEqual([16, 8, 6]);
  });

  it('the pruned network equals the original with those neurons zeroed, for every score', () => {
    const stats = activationStats(net, new Tensor(images, [50, 12]));
    const x = new Tensor(images.slice(0, 10 * 12), [10, 12]);
    for (const score of ['mean', 'active', 'l1'] as const) {
      const scores = neuronScores(net, score, stats);
      const sorted = scores.map((s) => [...s].sort((a, b) => a - b));
      const threshold = sorted[0][6]; // removes about 6 of fc1's 16 neurons, and a share of the others
      const { net: small, kept } = removeNeurons(net, scores, threshold);
      expect(small.layers.map((l) => (l as Linear).outFeatures)).toEqual([...kept.map((k) => k.length), 3]);
      expect(kept[0].length).toBeLessThan(16);
      expectClose(noGrad(() => small.forward(x)).data, forwardZeroing(net, x, kept), 1e-5, 1e-6);
      expect(small.numParameters()).toBeLessThan(net.numParameters());
    }
  });

  it('threshold 0 keeps everything; a threshold above every score keeps the strongest neuron per layer', () => {
    const stats = activationStats(net, new Tensor(images, [50, 12]));
    const all = removeNeurons(net, stats.mean, 0);
    expect(all.kept.map((k) => k.length)).toEqual([16, 8, 6]);
    expect(all.net.numParameters()).toBe(net.numParameters());
    const none = removeNeurons(net, stats.mean, 1e9);
    expect(none.emptied).toEqual([0, 1, 2]);
    expect(none.kept.map((k) => k.length)).toEqual([1, 1, 1]);
    for (const [i, k] of none.kept.entries()) expect(stats.mean[i][k[0]]).toBe(Math.max(...stats.mean[i]));
  });

  it('bad input gives clear errors', () => {
    const stats = activationStats(net, new Tensor(images, [50, 12]));
    expect(() => removeNeurons(net, stats.mean.slice(1), 0.1)).toThrow(/scores \[8, 6\] do not match the hidden layers \[16, 8, 6\]/);
    expect(() => removeNeurons(net, stats.mean, NaN)).toThrow(/threshold must be a finite number/);
    expect(() => neuronScores(net, 'mean')).toThrow(/needs activation statistics/);
    expect(() => activationStats(new MLP([4, 2]), new Tensor(new Float32Array(8), [2, 4]))).toThrow(/no hidden layer/);
  });
});
