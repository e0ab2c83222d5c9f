import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { removeDeadUnits } from '../src/compress/dead-units.js';
import { activationStats, removeNeurons } from '../src/compress/neurons.js';
import { Linear } from '../src/nn/layers.js';
import { MLP } from '../src/nn/models.js';
import { noGrad } from '../src/tensor/autograd.js';
import { relu } from '../src/tensor/index.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';

import { fraction } from './helpers.js';

/**
 * Structural surgery over random networks (seeded; `PROPERTY_RUNS` runs each): removing
 * what contributes nothing leaves the function as it was. Weights and biases have both
 * signs; some units are made dead (a bias far below what the inputs reach), some layers
 * pruned hard, so every rule fires.
 */

const RUNS = Number(process.env.PROPERTY_RUNS ?? 50);
const OPTIONS = { seed: 2031, numRuns: RUNS };

/** Outputs equal up to the rounding of sums taken in another order (max |Δ| relative to the outputs' scale). */
function expectSameFunction(got: Tensor, want: Tensor): void {
  expect(got.shape).toEqual(want.shape);
  const scale = want.data.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-3);
  const worst = want.data.reduce((m, v, i) => Math.max(m, Math.abs(got.data[i] - v)), 0);
  expect(worst / scale).toBeLessThan(1e-5);
}

const network = fc.record({
  widths: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 3, maxLength: 5 }),
  deadFraction: fraction(0, 1),
  seed: fc.integer(),
});

/** A random MLP whose hidden units are each dead (bias −100 against inputs in [−1, 1]) with the given probability. */
function withDeadUnits({ widths, deadFraction, seed }: { widths: number[]; deadFraction: number; seed: number }): MLP {
  const rng = new Rng(seed);
  const net = new MLP(widths, rng);
  const layers = net.layers as Linear[];
  layers.slice(0, -1).forEach((layer) => {
    for (let j = 0; j < layer.outFeatures; j++) {
      layer.bias!.data[j] = rng.uniform() < deadFraction ? -100 : rng.normal();
    }
  });
  return net;
}

describe('removeNeurons', () => {
  test.prop([network], OPTIONS)('removing the neurons that never fire on the inputs leaves the outputs on them unchanged', (spec) => {
    const net = withDeadUnits(spec);
    const x = Tensor.uniform([16, spec.widths[0]], -1, 1, new Rng(spec.seed ^ 7));
    const stats = activationStats(net, x);
    const { net: small, kept, emptied } = removeNeurons(net, stats.activeFraction, Number.MIN_VALUE);
    // Every neuron that fired is kept; the others go, but for one per emptied layer.
    stats.activeFraction.forEach((fired, i) => {
      const firing = [...fired.keys()].filter((j) => fired[j] > 0);
      if (emptied.includes(i)) expect(firing).toEqual([]);
      else expect(kept[i]).toEqual(firing);
    });
    expectSameFunction(
      noGrad(() => small.forward(x)),
      noGrad(() => net.forward(x)),
    );
  });
});

const pair = fc.record({
  sizes: fc.tuple(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 10 })),
  rowDrop: fraction(0, 1),
  colDrop: fraction(0, 1),
  density: fraction(0, 1),
  biasA: fc.boolean(),
  biasB: fc.boolean(),
  seed: fc.integer(),
});

describe('removeDeadUnits', () => {
  test.prop([fc.tuple(pair), fc.integer({ min: 0, max: 2 })], OPTIONS)(
    'folds dead units into the next bias and prunes unread ones, computing the same function; again changes nothing',
    ([p], extraLayers) => {
      const rng = new Rng(p.seed);
      const [n, h, o] = p.sizes;
      // A chain input → h → … → o: dense blocks, pruned at random, with whole rows (dead units)
      // and whole columns (unread units) emptied.
      const widths = [n, h, ...Array.from({ length: extraLayers }, () => 1 + rng.int(8)), o];
      const layers = widths.slice(1).map((out, i) => {
        const layer = new Linear(widths[i], out, { rng, bias: i === 0 ? p.biasA : p.biasB });
        const w = layer.weight.data;
        const deadRow = Array.from({ length: out }, () => rng.uniform() < p.rowDrop);
        const deadCol = Array.from({ length: widths[i] }, () => rng.uniform() < p.colDrop);
        for (let r = 0; r < out; r++) {
          for (let c = 0; c < widths[i]; c++) if (deadRow[r] || deadCol[c] || rng.uniform() >= p.density) w[r * widths[i] + c] = 0;
        }
        layer.bias?.data.forEach((_, j, b) => {
          b[j] = rng.normal();
        });
        return layer;
      });
      const forward = (x: Tensor): Tensor =>
        noGrad(() => layers.reduce((h, layer, i) => (i < layers.length - 1 ? relu(layer.forward(h)) : layer.forward(h)), x));
      const x = Tensor.uniform([12, n], -2, 2, new Rng(p.seed ^ 9));
      const before = forward(x);
      const weightsBefore = layers.reduce((k, l) => k + l.weight.data.filter((v) => v !== 0).length, 0);
      const pairs = layers.slice(1).map((b, i): [Linear, Linear] => [layers[i], b]);
      const removed = removeDeadUnits(pairs);
      expectSameFunction(forward(x), before);
      const weightsAfter = layers.reduce((k, l) => k + l.weight.data.filter((v) => v !== 0).length, 0);
      expect(weightsBefore - weightsAfter).toBe(removed.weights);
      // A fixed point: no unit is left dead with readers, or unread with weights.
      expect(removeDeadUnits(pairs)).toEqual({ dead: 0, unread: 0, weights: 0 });
    },
  );
});
