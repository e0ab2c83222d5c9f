import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as S from '../src/index.js';
import * as N from '../src/node/index.js';
import { tempDir } from './helpers.js';

/**
 * Bad input to the public entry points (beyond the ops, whose bad input the op catalog
 * covers): each call must throw a plain Error whose message starts with the function it
 * was given to and names the value, never a TypeError from deep inside a kernel.
 */

const { Tensor, Rng } = S;
const set = { images: new Float32Array(4 * 784), labels: [1, 2, 3, 4], count: 4 };
const net = (): S.SimpleNet => new S.SimpleNet(new Rng(0));
const nonsense = (): never => 5 as never;

/** [function as the message names it, the bad call, what the message must say after the name] */
const SYNC: [string, () => unknown, RegExp][] = [
  ['SimpleNet', () => new S.SimpleNet(nonsense()), /rng must be an Rng .*got 5/],
  ['TeacherNet', () => new S.TeacherNet(nonsense()), /rng must be an Rng .*got 5/],
  ['Linear', () => new S.Linear(0, 3), /inFeatures must be a positive integer, got 0/],
  ['Linear', () => new S.Linear(3, 3, { rng: nonsense() }), /rng must be an Rng .*got 5/],
  ['Conv2d', () => new S.Conv2d(1, 2, 0), /kernelSize must be one or two \(rows, columns\) positive integers, got 0/],
  ['MaxPool2d', () => new S.MaxPool2d(0), /kernelSize must be one or two \(rows, columns\) positive integers, got 0/],
  ['Sequential', () => new S.Sequential(new S.ReLU(), nonsense()), /layer 1 is not a Module, got 5/],
  ['MLP', () => new S.MLP([784]), /needs at least input and output sizes, got \[784\]/],
  ['linear', () => net().forward(Tensor.zeros([2, 100])), /input \[2, 100\] does not match weight \[512, 784\]/],
  ['linearRelu', () => S.runPlanned(net(), Tensor.zeros([2, 100])), /input \[2, 100\] does not match weight \[512, 784\]/],
  ['plan', () => S.plan(nonsense()), /expected a Module, got 5/],
  ['Adam', () => new S.Adam(net().parameters(), { lr: -1 }), /lr must be > 0, got -1/],
  ['SGD', () => new S.SGD(net().parameters(), { lr: 0 }), /lr must be > 0, got 0/],
  ['Rng', () => new Rng(Number.NaN), /seed must be a finite number, got NaN/],
  ['manualSeed', () => S.manualSeed(Number.POSITIVE_INFINITY), /seed must be a finite number, got Infinity/],
  ['noGrad', () => S.noGrad(nonsense()), /expected a function to run, got 5/],
  ['DataLoader', () => new S.DataLoader(set, { batchSize: 0 }), /batchSize must be a positive integer, got 0/],
  [
    'DataLoader',
    () => new S.DataLoader({ images: new Float32Array(700), labels: [1], count: 1 }),
    /700 values do not hold 1 examples of shape \[1, 28, 28\]/,
  ],
  ['subset', () => S.subset(set, 3, 1), /\[3, 1\) is not a range of the 4 examples/],
  ['decodeIdx', () => S.decodeIdx(nonsense(), 'f'), /expected the file's bytes as a Uint8Array, got 5/],
  ['mnistSplit', () => S.mnistSplit(nonsense(), nonsense()), /images must be a decoded IDX file .*got 5/],
  ['fit', () => S.fit(net(), null as never), /expected a dataset .*got null/],
  ['fit', () => S.fit(net(), set, { epochs: -1 }), /epochs must be an integer ≥ 0, got -1/],
  ['fit', () => S.fit(net(), set, { lr: Number.NaN }), /lr must be a positive number, got NaN/],
  ['evaluate', () => S.evaluate(nonsense(), set), /expected a Module, got 5/],
  ['evaluate', () => S.evaluate(net(), { images: new Float32Array(0), labels: [], count: 0 }), /the set is empty/],
  [
    'distillationLoss',
    () => S.distillationLoss(Tensor.zeros([2, 10]), Tensor.zeros([3, 10]), null),
    /student logits \[2, 10\] and teacher logits \[3, 10\]/,
  ],
  [
    'distillationLoss',
    () => S.distillationLoss(Tensor.zeros([2, 10]), Tensor.zeros([2, 10]), null, { temperature: 0 }),
    /temperature must be a number > 0, got 0/,
  ],
  [
    'precomputeLogits',
    () => S.precomputeLogits(new S.TeacherNet(new Rng(0)), { count: 3 } as never),
    /expected a dataset .*keys \[count\]/,
  ],
  [
    'teacherRows',
    () => S.teacherRows(Tensor.zeros([2, 10]), { indices: Int32Array.of(5), size: 1 } as never),
    /example 5 is not a row of logits \[2, 10\]/,
  ],
  ['Pruner', () => new S.Pruner(new S.ReLU()), /the model has no Linear or Conv2d layers to prune/],
  ['pruneToSparsity', () => new S.Pruner(net()).pruneToSparsity(1.5), /sparsity must lie in \[0, 1\), got 1\.5/],
  ['pruneToSparsity', () => new S.Pruner(net()).pruneToSparsity(-0.1), /sparsity must lie in \[0, 1\), got -0\.1/],
  ['pruneByThreshold', () => new S.Pruner(net()).pruneByThreshold(Number.NaN), /λ must be a number ≥ 0, got NaN/],
  ['pruneLayersTo', () => new S.Pruner(net()).pruneLayersTo({ fc9: 0.5 }), /there is no layer 'fc9'/],
  [
    'pruneWithRetraining',
    () => S.pruneWithRetraining(net(), set, { final: { fc1: 1 } }),
    /the sparsity of fc1 must lie in \[0, 1\), got 1/,
  ],
  [
    'polynomialSparsity',
    () => S.polynomialSparsity(1, { final: 1.2, begin: 0, end: 10 }),
    /sparsities must lie in \[0, 1\), got initial 0 and final 1\.2/,
  ],
  ['toSparse', () => S.toSparse(new S.ReLU()), /a ReLU has no Linear layer to store as CSR/],
  ['toSparse', () => S.toSparse(net(), { minSparsity: 2 }), /minSparsity must lie in \[0, 1\], got 2/],
  ['CsrMatrix.fromDense', () => S.CsrMatrix.fromDense(new Float32Array(5), 2, 2), /5 values do not fill \[2, 2\]/],
  ['activationStats', () => S.activationStats(new S.ReLU() as never, set), /needs an MLP .*got ReLU/],
  ['removeNeurons', () => S.removeNeurons(net(), [], 0.1), /scores \[\] do not match the hidden layers \[512, 256, 128\]/],
  ['removeNeurons', () => S.removeNeurons(net(), nonsense(), 0.1), /scores must be one Float32Array per hidden layer .*got 5/],
  ['neuronScores', () => S.neuronScores(net(), 'mean'), /score 'mean' needs activation statistics/],
  ['svd', () => S.svd(new Float32Array(5), 2, 2), /5 values do not fill \[2, 2\]/],
  [
    'FactorizedLinear.fromLinear',
    () => S.FactorizedLinear.fromLinear(new S.Linear(4, 4), { energy: 2 }),
    /energy must lie in \(0, 1\], got 2/,
  ],
  [
    'FactorizedLinear.fromLinear',
    () => S.FactorizedLinear.fromLinear(new S.ReLU() as never, { rank: 2 }),
    /expected a dense Linear, got ReLU/,
  ],
  ['FactorizedLinear', () => S.FactorizedLinear.fromLinear(new S.Linear(4, 4), { rank: 9 }), /rank must be an integer in \[1, 4\] .*got 9/],
  ['breakEvenRank', () => S.breakEvenRank(0, 4), /sizes must be positive integers, got 0 × 4/],
  ['matrixChainOrder', () => S.matrixChainOrder([2]), /needs at least two positive integer sizes, got \[2\]/],
  ['quantizeDynamic', () => S.quantizeDynamic(new S.ReLU()), /a ReLU has no Linear layer to quantize/],
  ['SharedWeights', () => new S.SharedWeights(net(), () => 0), /bits of layer fc1 must be an integer in \[1, 16\], got 0/],
  ['encodeSafetensors', () => S.encodeSafetensors(nonsense()), /expected a state dict .*got 5/],
  ['modelToBytes', () => S.modelToBytes(nonsense()), /expected a Module, got 5/],
  [
    'modelFromBytes',
    () => S.modelFromBytes(new TextEncoder().encode('hello, not a model')),
    /not a valid safetensors file: header length \d+ exceeds the file \(18 bytes\)/,
  ],
  ['modelFromBytes', () => S.modelFromBytes(nonsense()), /expected the bytes of a model as a Uint8Array, got 5/],
  ['decodeDeepCompressed', () => S.decodeDeepCompressed(new Uint8Array(3)), /not a valid safetensors file: 3 bytes is too short/],
  ['modelLatency', () => S.modelLatency(net(), Tensor.zeros([0, 784])), /at least one row, got shape \[0, 784\]/],
  ['modelLatency', () => S.modelLatency(net(), set, { batchSize: 0.5 }), /batchSize must be a positive integer, got 0\.5/],
  ['compareLatency', () => S.compareLatency(net(), nonsense(), set), /expected a Module, got 5/],
  ['modelBytes', () => S.modelBytes(nonsense()), /expected a Module, got 5/],
];

const ASYNC: [string, (dir: string) => Promise<unknown>, RegExp][] = [
  ['loadModel', () => N.loadModel('README.md'), /README\.md: not a valid safetensors file/],
  ['loadModel', (dir) => N.loadModel(join(dir, 'missing.safetensors')), /missing\.safetensors: cannot read safetensors file \(ENOENT\)/],
  ['loadModel', () => N.loadModel(nonsense()), /expected a file path, got 5/],
  ['saveModel', (dir) => N.saveModel(nonsense(), join(dir, 'x.safetensors')), /expected a Module to save to .*x\.safetensors, got 5/],
  ['saveOnnx', (dir) => N.saveOnnx(new S.ReLU(), join(dir, 'x.onnx')), /a ReLU lists no steps\(\) to export/],
  ['exportOnnx', () => S.exportOnnx(nonsense()), /expected a Module, got 5/],
  ['loadMnist', () => N.loadMnist('validation' as never), /split must be 'train' or 'test', got "validation"/],
  ['loadMnist', () => N.loadMnist('test', { limit: 0 }), /limit must be a positive integer, got 0/],
  ['init', () => S.init({ threads: 65 }), /threads must be an integer from 1 to 64, got 65/],
];

describe('bad input to the public entry points', () => {
  it.each(SYNC)('%s: %s', (name, call, says) => {
    let thrown: unknown = null;
    try {
      call();
    } catch (e) {
      thrown = e;
    }
    expect(thrown, `${name} accepted it`).toBeInstanceOf(Error);
    expect((thrown as Error).constructor).toBe(Error);
    expect((thrown as Error).message.startsWith(`${name}: `), (thrown as Error).message).toBe(true);
    expect((thrown as Error).message).toMatch(says);
  });

  it.each(ASYNC)('%s (async): %s', async (name, call, says) => {
    const dir = tempDir('bad-input');
    const thrown = await call(dir).then(
      () => null,
      (e: unknown) => e,
    );
    expect(thrown, `${name} accepted it`).toBeInstanceOf(Error);
    expect((thrown as Error).constructor).toBe(Error);
    expect((thrown as Error).message.startsWith(`${name}: `), (thrown as Error).message).toBe(true);
    expect((thrown as Error).message).toMatch(says);
  });

  it('the checks reject only bad input: the same entry points accept good values', async () => {
    expect(new S.SimpleNet(new Rng(1)).numParameters()).toBe(567434);
    expect(S.toSparse(net(), { minSparsity: 0 }).numParameters()).toBeGreaterThan(0);
    expect(S.breakEvenRank(128, 256)).toBeCloseTo(85.333, 3);
    expect(S.polynomialSparsity(5, { final: 0.9, begin: 0, end: 10 })).toBeCloseTo(0.7875, 6);
    expect(S.FactorizedLinear.fromLinear(new S.Linear(4, 4), { energy: 1 }).rank).toBeLessThanOrEqual(4);
    expect(S.noGrad(() => 3)).toBe(3);
    expect((await N.loadMnist('test', { limit: 2 })).count).toBe(2);
  });
});
