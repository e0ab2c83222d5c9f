import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { removeDeadUnits } from '../src/compress/dead-units.js';
import { Pruner, polynomialSparsity } from '../src/compress/prune.js';
import { SharedWeights, SharedWeightsAdam } from '../src/compress/weight-sharing.js';
import { stageRows } from '../src/experiments/deep-compress.js';
import { runDeepCompress } from '../src/experiments/deep-compress-pipeline.js';
import type { Conv2d, Linear } from '../src/nn/layers.js';
import { LeNet5, LeNet300100, MLP } from '../src/nn/models.js';
import { loadMnistData, type MnistData } from '../src/node/mnist.js';
import { noGrad } from '../src/tensor/autograd.js';
import { conv2d, maxPool2d } from '../src/tensor/ops/conv.js';
import { relu } from '../src/tensor/ops/elementwise.js';
import { crossEntropy } from '../src/tensor/ops/loss.js';
import { linear } from '../src/tensor/ops/matmul.js';
import { flatten } from '../src/tensor/ops/view.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { expectClose, randomArray, tempDir } from './helpers.js';

const LABELS = [0, 1, 2, 1, 0, 2, 2, 1];

/** A small MLP with about half its weights pruned, and a batch for it. */
function prunedMlp(seed: number): { net: MLP; x: Tensor } {
  const rng = new Rng(seed);
  const net = new MLP([6, 5, 3], rng);
  new Pruner(net).pruneToSparsity(0.5);
  return { net, x: Tensor.from(randomArray(8 * 6, rng), [8, 6]) };
}

describe('the models of Deep Compression', () => {
  it("have the paper's parameter counts (1070 KB and 1720 KB as float32)", () => {
    expect(new LeNet300100(new Rng(0)).numParameters()).toBe(266610);
    const lenet5 = new LeNet5(new Rng(0));
    expect(lenet5.numParameters()).toBe(431080);
    expect(lenet5.namedParameters().map(([n]) => n)).toEqual([
      'conv1.weight',
      'conv1.bias',
      'conv2.weight',
      'conv2.bias',
      'fc1.weight',
      'fc1.bias',
      'fc2.weight',
      'fc2.bias',
    ]);
  });

  it('LeNet-5 computes conv → pool → conv → pool → fc → ReLU → fc, its fused convolutions equal to the plain ops', () => {
    const rng = new Rng(2);
    const net = new LeNet5(rng);
    const x = Tensor.from(randomArray(3 * 784, rng), [3, 1, 28, 28]);
    const c1 = net.conv1 as Conv2d;
    const c2 = net.conv2 as Conv2d;
    const pool = { kernelSize: 2, stride: 2 };
    noGrad(() => {
      let h = maxPool2d(conv2d(x, c1.weight, c1.bias), pool);
      h = maxPool2d(conv2d(h, c2.weight, c2.bias), pool);
      const f1 = net.fc1 as Linear;
      const f2 = net.fc2 as Linear;
      const want = linear(relu(linear(flatten(h, 1), f1.weight, f1.bias)), f2.weight, f2.bias);
      const got = net.forward(x);
      expect(got.shape).toEqual([3, 10]);
      expectClose(got.data, want.data, 1e-5, 1e-5);
    });
  });
});

describe('pruning to per-layer targets', () => {
  it('prunes each named layer, convolutions included, to its own sparsity', () => {
    const net = new LeNet5(new Rng(1));
    const stats = new Pruner(net).pruneLayersTo({ conv1: 0.34, fc1: 0.92 }).stats();
    const of = (name: string): number => stats.find((s) => s.name === name)!.sparsity;
    expect(of('conv1')).toBeCloseTo(0.34, 2);
    expect(of('fc1')).toBeCloseTo(0.92, 4);
    expect(of('conv2')).toBe(0);
    expect(() => new Pruner(net).pruneLayersTo({ fc9: 0.5 })).toThrow(/no layer 'fc9'/);
  });

  it('follows a polynomial (cubic) schedule from the initial to the final sparsity', () => {
    const s = { final: 0.9, begin: 100, end: 300 };
    expect(polynomialSparsity(0, s)).toBe(0);
    expect(polynomialSparsity(200, s)).toBeCloseTo(0.9 * (1 - 0.5 ** 3), 12);
    expect(polynomialSparsity(300, s)).toBeCloseTo(0.9, 12);
    expect(polynomialSparsity(900, s)).toBeCloseTo(0.9, 12);
  });
});

describe('weight sharing', () => {
  it('replaces every kept weight by one of 2^bits centroids and leaves pruned weights at zero', () => {
    const { net } = prunedMlp(4);
    const zeros = net.parameters().map((p) => p.data.map((v) => (v === 0 ? 1 : 0)));
    const shared = new SharedWeights(net, () => 2);
    for (const l of shared.layers) {
      expect(l.centroids.size).toBe(4);
      for (let i = 0; i < l.weight.size; i++) {
        if (l.groups[i] < 0) expect(l.weight.data[i]).toBe(0);
        else expect(l.weight.data[i]).toBe(l.centroids.data[l.groups[i]]);
      }
    }
    expect(net.parameters().map((p) => p.data.map((v) => (v === 0 ? 1 : 0)))).toEqual(zeros);
  });

  it("gives each centroid the sum of its weights' gradients, which matches finite differences of the loss", () => {
    const { net, x } = prunedMlp(6);
    const shared = new SharedWeights(net, () => 2);
    const loss = (): number => noGrad(() => crossEntropy(net.forward(x), LABELS).item());
    crossEntropy(net.forward(x), LABELS).backward();
    shared.gatherGradients();
    const eps = 1e-3;
    for (const l of shared.layers) {
      for (let k = 0; k < l.centroids.size; k++) {
        const c = l.centroids.data;
        const keep = c[k];
        c[k] = keep + eps;
        shared.apply();
        const up = loss();
        c[k] = keep - eps;
        shared.apply();
        const down = loss();
        c[k] = keep;
        shared.apply();
        const numeric = (up - down) / (2 * eps);
        expect(Math.abs(l.centroids.grad!.data[k] - numeric)).toBeLessThan(1e-2 * Math.max(1e-2, Math.abs(numeric)));
      }
    }
  });

  it('moves centroids with Adam and keeps the weights tied to them through training steps', () => {
    const { net, x } = prunedMlp(8);
    const shared = new SharedWeights(net, () => 3);
    const biases = net.parameters().filter((p) => p.shape.length === 1);
    const optimizer = new SharedWeightsAdam(shared, biases, { lr: 1e-2 });
    const before = shared.layers.map((l) => l.centroids.data.slice());
    let first = 0;
    for (let step = 0; step < 20; step++) {
      optimizer.zeroGrad();
      const loss = crossEntropy(net.forward(x), LABELS);
      if (step === 0) first = loss.item();
      loss.backward();
      optimizer.step();
    }
    expect(noGrad(() => crossEntropy(net.forward(x), LABELS).item())).toBeLessThan(first);
    shared.layers.forEach((l, i) => {
      expect([...l.centroids.data]).not.toEqual([...before[i]]);
      for (let j = 0; j < l.weight.size; j++) expect(l.weight.data[j]).toBe(l.groups[j] < 0 ? 0 : l.centroids.data[l.groups[j]]);
    });
  });
});

describe('dead and unread units', () => {
  it('folds a dead unit into the next bias and prunes an unread one, leaving the outputs as they were', () => {
    const rng = new Rng(9);
    const net = new MLP([5, 4, 3], rng);
    const [fc1, fc2] = net.layers as Linear[];
    fc1.weight.data.fill(0, 0, 5); // unit 0: no inputs left, outputs relu(b) = |b|
    fc1.bias!.data[0] = 0.7;
    for (let o = 0; o < 3; o++) fc2.weight.data[o * 4 + 2] = 0; // unit 2: nothing reads it
    const x = Tensor.from(randomArray(10 * 5, rng), [10, 5]);
    const before = noGrad(() => net.forward(x).data.slice());
    const removed = removeDeadUnits([[fc1, fc2]]);
    expect(removed).toEqual({ dead: 1, unread: 1, weights: 3 + 5 });
    for (let o = 0; o < 3; o++) expect(fc2.weight.data[o * 4]).toBe(0);
    expect([...fc1.weight.data.slice(10, 15)]).toEqual([0, 0, 0, 0, 0]);
    expectClose(
      noGrad(() => net.forward(x).data),
      before,
      1e-6,
      1e-6,
    );
    expect(removeDeadUnits([[fc1, fc2]])).toEqual({ dead: 0, unread: 0, weights: 0 });
  });
});

describe('deep-compress experiment', () => {
  let data: MnistData;
  beforeAll(async () => {
    data = await loadMnistData({ trainLimit: 2000, testLimit: 500 });
  });

  it('runs the pipeline on a slice: targets kept, stages shrink, the file decodes to the model it encoded', async () => {
    const out = tempDir('deep-compress');
    const r = await runDeepCompress(
      { epochs: 1, seed: 0, batchSize: 64, lr: 1e-3, out, model: 'lenet-300-100', indexBits: 'auto', pruneEpochs: 1, clusterEpochs: 1 },
      data,
    );
    const kept = r.layers.map((l) => l.kept / l.weights);
    [0.08, 0.09, 0.26].forEach((k, i) => {
      expect(kept[i]).toBeLessThanOrEqual(k + 1e-3);
    });
    expect(r.layers.map((l) => l.bits)).toEqual([6, 6, 6]);
    expect(r.decodedMatches).toBe(true);
    expect(r.accuracy.decoded).toBe(r.accuracy.shared);
    const stages = stageRows(r).map((s) => s.bytes);
    for (let i = 1; i < 4; i++) expect(stages[i]).toBeLessThan(stages[i - 1]);
    expect(r.fileBytes).toBe(readFileSync(r.file!).length);
    expect(r.fileBytes).toBeGreaterThan(stages[3]);
    const json = JSON.parse(readFileSync(join(out, 'deep-compress.json'), 'utf8')) as { fileBytes: number };
    expect(json.fileBytes).toBe(r.fileBytes);
  });

  it("the command prints the tables beside the paper's and writes the JSON, the chart and the file", async () => {
    const out = join(tempDir('deep-compress-cli'), 'run');
    const text: string[] = [];
    const code = await main(['deep-compress', '--quick', '--train-limit', '600', '--test-limit', '200', '--out', out], {
      out: (t) => text.push(t),
      err: (t) => text.push(t),
    });
    expect(code, text.join('')).toBe(0);
    expect(text.join('')).toMatch(/lenet-300-100: 1066 KB → .* KB on disk, .*× \(paper: 1070 KB → 27 KB, 40×\)/);
    expect(text.join('')).toContain('+ quantization (fixed-width codes)');
    expect(readdirSync(out).sort()).toEqual(['deep-compress.json', 'deep-compression.svg', 'lenet-300-100.deep-compressed.safetensors']);
    expect(readFileSync(join(out, 'deep-compression.svg'), 'utf8')).toMatch(/^<svg [^>]*xmlns=/);
  });

  it('the command checks its flags before any work', async () => {
    const err: string[] = [];
    const io = { out: () => {}, err: (t: string) => err.push(t) };
    expect(await main(['deep-compress', '--model', 'lenet-7'], io)).toBe(2);
    expect(err.join('')).toMatch(/--model must be lenet-300-100 or lenet-5, got 'lenet-7'/);
    expect(await main(['deep-compress', '--model', 'lenet-5', '--bits', '5,5'], io)).toBe(2);
    expect(err.join('')).toMatch(/--bits needs 4 values for lenet-5, one per layer, got 2/);
    expect(await main(['deep-compress', '--index-bits', '9'], io)).toBe(2);
  });
});
