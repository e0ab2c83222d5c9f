import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { MinMaxObserver } from '../src/compress/observers.js';
import { quantizeStatic } from '../src/compress/static-quantize.js';
import { exportOnnx } from '../src/interop/onnx.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../src/nn/layers.js';
import { SimpleNet } from '../src/nn/models.js';
import type { Module } from '../src/nn/module.js';
import { loadMnistData } from '../src/node/mnist.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Rng } from '../src/tensor/random.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { trainClassifier } from '../src/train/classifier.js';

/**
 * Static int8 models exported in QDQ form, run by onnxruntime-node as the oracle: the graph
 * holds the int8 weights, per-channel scales and int32 biases, and onnxruntime's logits
 * agree with slimtensor's (both quantize every layer's output with the same scale and zero
 * point; they may round a value the other way where it lies on a tie, a level apart).
 */

const data = await loadMnistData({ trainLimit: 3000, testLimit: 512 });

async function runOnnx(bytes: Uint8Array, input: Tensor): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  const out = await session.run({ input: new ort.Tensor('float32', input.data, input.shape) });
  return out.logits.data as Float32Array;
}

const argmax = (v: ArrayLike<number>, i: number, k: number): number => {
  let best = 0;
  for (let c = 1; c < k; c++) if (v[i * k + c] > v[i * k + best]) best = c;
  return best;
};

function cnn(rng: Rng): Module {
  return new Sequential(
    new Conv2d(1, 6, 5, { rng, stride: [1, 2], padding: [2, 1] }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(6 * 14 * 6, 10, { rng }),
  );
}

describe('static int8 models in ONNX QDQ form, run by onnxruntime', () => {
  it('the graph: QuantizeLinear at the input and after every layer, int8 weights per channel, int32 biases, float logits', async () => {
    const q = quantizeStatic(cnn(new Rng(1)), data.train, { images: 64 });
    const graph = onnxProto.onnx.ModelProto.decode(await exportOnnx(q)).graph!;
    const ops = graph.node!.map((n) => n.opType);
    expect(ops.filter((o) => o === 'QuantizeLinear').length).toBe(1 + 2 + 1); // input, conv, pool, linear
    expect(ops).toContain('Conv');
    expect(ops).toContain('Gemm');
    expect(ops.at(-2)).toBe('DequantizeLinear');
    const types = new Map(graph.initializer!.map((t) => [t.name, t.dataType]));
    const conv = q.stages[0].name;
    expect(types.get(`${conv}.weight_int8`)).toBe(3); // INT8
    expect(types.get(`${conv}.bias_int32`)).toBe(6); // INT32
    expect(graph.initializer!.find((t) => t.name === `${conv}.weight_scale`)!.dims!.map(Number)).toEqual([6]);
  });

  for (const [label, make, options] of [
    ['a CNN (conv with per-axis stride and padding, ReLU, pool), histogram observers', cnn, {}],
    [
      'a CNN, MinMax observers, one weight scale per layer',
      cnn,
      { perChannel: false, observer: () => new MinMaxObserver({ reduceRange: true }) },
    ],
  ] as const) {
    it(`${label}: onnxruntime's logits are slimtensor's, to a level`, async () => {
      const q = quantizeStatic(make(new Rng(2)), data.train, { images: 256, ...options });
      const x = data.testSet.x;
      const ours = noGrad(() => q.forward(x)).data;
      const theirs = await runOnnx(await exportOnnx(q), x);
      const last = q.stages.at(-1)!;
      const step = 'output' in last ? last.output.scale : 1;
      const levels = ours.map((v, i) => Math.round(Math.abs(v - theirs[i]) / step));
      expect(levels.reduce((m, v) => Math.max(m, v), 0)).toBeLessThanOrEqual(2);
      expect(levels.filter((v) => v > 0).length / levels.length).toBeLessThan(0.02);
    });
  }

  it('a trained static int8 SimpleNet picks the same class as in slimtensor for at least 99.9% of the test images', async () => {
    const net = new SimpleNet(new Rng(3));
    trainClassifier('simple-net', net, data, { epochs: 1, seed: 0, batchSize: 64, lr: 1e-3 });
    const q = quantizeStatic(net, data.train, { images: 1000 });
    const x = data.testSet.x;
    const ours = noGrad(() => q.forward(x)).data;
    const theirs = await runOnnx(await exportOnnx(q), x);
    let agree = 0;
    for (let i = 0; i < x.shape[0]; i++) if (argmax(ours, i, 10) === argmax(theirs, i, 10)) agree++;
    expect(agree / x.shape[0]).toBeGreaterThanOrEqual(0.999);
  }, 120_000);
});
