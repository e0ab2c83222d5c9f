import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { toSparse } from '../src/compress/csr.js';
import { FactorizedLinear } from '../src/compress/low-rank.js';
import { removeNeurons, neuronScores, activationStats } from '../src/compress/neurons.js';
import { Pruner } from '../src/compress/prune.js';
import { loadMnistData } from '../src/data/mnist.js';
import { exportOnnx } from '../src/interop/onnx.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../src/nn/layers.js';
import { MLP, TeacherNet } from '../src/nn/models.js';
import type { Module } from '../src/nn/module.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { quantizeDynamic } from '../src/compress/quantize.js';

/**
 * Exported models checked by the oracle: onnxruntime-node runs each ONNX file on real test
 * images, and its outputs must equal slimtensor's within 1e-5 of the logits' scale.
 */

const data = await loadMnistData({ trainLimit: 500, testLimit: 256 });
const x = data.testSet.x;

async function runOnnx(bytes: Uint8Array, input: Tensor): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const out = await session.run({ input: new ort.Tensor('float32', input.data, input.shape) });
  return out.logits.data as Float32Array;
}

async function expectSameAsOnnx(model: Module, label: string): Promise<void> {
  const want = noGrad(() => model.eval().forward(x)).data;
  const got = await runOnnx(exportOnnx(model), x);
  expect(got.length, label).toBe(want.length);
  // Relative to the logits' scale (max |logit|): the two runtimes sum in different orders, so a logit near 0 has no relative accuracy of its own.
  const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const worst = want.reduce((m, v, i) => Math.max(m, Math.abs(got[i] - v)), 0) / scale;
  expect(scale, label).toBeGreaterThan(0);
  expect(worst, label).toBeLessThan(1e-5);
}

describe('ONNX export, run by onnxruntime-node', () => {
  it('SimpleNet, the distillation student and the teacher CNN give slimtensor\'s logits', async () => {
    await expectSameAsOnnx(new MLP([784, 512, 256, 128, 10], new Rng(1)), 'SimpleNet');
    await expectSameAsOnnx(new MLP([784, 128, 10], new Rng(2)), 'student');
    await expectSameAsOnnx(new TeacherNet(new Rng(3)), 'teacher');
  });

  it('compressed nets: pruned (as CSR and dense with zeros), factorized, activation-pruned', async () => {
    const pruned = new MLP([784, 64, 32, 10], new Rng(4));
    new Pruner(pruned).pruneToSparsity(0.9);
    await expectSameAsOnnx(pruned, 'pruned, dense');
    await expectSameAsOnnx(toSparse(pruned), 'pruned, CSR');
    const factorized = new MLP([784, 64, 32, 10], new Rng(5));
    factorized.setLayer(0, FactorizedLinear.fromLinear(factorized.layers[0] as Linear, { rank: 8 }));
    await expectSameAsOnnx(factorized, 'factorized');
    const net = new MLP([784, 64, 32, 10], new Rng(6));
    const stats = activationStats(net, data.train.images, data.train.count);
    await expectSameAsOnnx(removeNeurons(net, neuronScores(net, 'mean', stats), 0.2).net, 'activation-pruned');
  });

  it('a Sequential of every plain layer kind, with stride and padding', async () => {
    const rng = new Rng(7);
    const seq = new Sequential(new Conv2d(1, 4, 3, { rng, stride: 2, padding: 1 }), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(4 * 7 * 7, 10, { rng }));
    await expectSameAsOnnx(seq, 'sequential');
  });

  it('a layer without an ONNX form is refused by name, never written approximately', () => {
    const q = quantizeDynamic(new MLP([784, 16, 10], new Rng(8)));
    expect(() => exportOnnx(q)).toThrow(/exportOnnx: layer 'fc1' is a QuantizedLinear, which has no ONNX form here/);
    class Custom extends Sequential {}
    expect(() => exportOnnx(new (class Odd extends TeacherNet {})())).not.toThrow();
    expect(() => exportOnnx(new Custom(new Linear(2, 2), { forward: (t: Tensor) => t } as unknown as Module))).toThrow(/exportOnnx: layer 'seq.1' is a Object/);
  });
});
