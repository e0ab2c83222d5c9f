import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { modelFromBytes, modelToBytes } from '../src/compress/checkpoint.js';
import { convert, prepareQat } from '../src/compress/qat.js';
import type { StaticQuantizedModel } from '../src/compress/static-quantize.js';
import { exportOnnx } from '../src/interop/onnx.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../src/nn/layers.js';
import { MLP, SimpleNet } from '../src/nn/models.js';
import { Module } from '../src/nn/module.js';
import { loadMnistData } from '../src/node/mnist.js';
import { noGrad } from '../src/tensor/autograd.js';
import { mul, sum } from '../src/tensor/index.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { evaluate } from '../src/train/evaluate.js';
import { fit } from '../src/train/fit.js';

/**
 * Quantization-aware training: the prepared model trains through fake quantization (its
 * gradients the straight-through estimator's), and `convert` gives the static int8 model
 * whose integers its evaluation-mode forward stands for: the same logits, to a level.
 */

const data = await loadMnistData({ trainLimit: 2000, testLimit: 500 });

/** Logits of the QAT model (evaluation mode) and of its conversion, in levels of the output's scale apart. */
function levelsApart(qat: ReturnType<typeof prepareQat>, x: Tensor): { worst: number; off: number } {
  const want = noGrad(() => qat.eval().forward(x)).data;
  const q = convert(qat);
  const got = noGrad(() => q.forward(x)).data;
  const last = q.stages.at(-1)!;
  const step = 'output' in last ? last.output.scale : 1;
  const levels = got.map((v, i) => Math.round(Math.abs(v - want[i]) / step));
  return { worst: levels.reduce((m, v) => Math.max(m, v), 0), off: levels.filter((v) => v > 0).length / levels.length };
}

describe('quantization-aware training', () => {
  it('SimpleNet trains through fake quantization and converts to static int8 with the same logits, to a level', () => {
    const net = new SimpleNet(new Rng(1));
    const qat = prepareQat(net);
    const before = net.layers[0].stateDict().get('weight')!.data.slice();
    fit(qat, data.train, { epochs: 1, seed: 0 });
    expect([...net.layers[0].stateDict().get('weight')!.data]).toEqual([...before]); // the float model is left as it was
    // It learns as the float model does from the same start: within 5 points after one epoch.
    fit(net, data.train, { epochs: 1, seed: 0 });
    const accuracy = evaluate(qat, data.testSet);
    expect(accuracy).toBeGreaterThan(evaluate(net, data.testSet) - 0.05);
    const q = convert(qat);
    expect(Math.abs(evaluate(q, data.testSet) - accuracy)).toBeLessThanOrEqual(0.01);
    const { worst, off } = levelsApart(qat, data.testSet.x);
    expect(worst).toBeLessThanOrEqual(1);
    expect(off).toBeLessThan(0.02);
  }, 60_000);

  it('4-bit weights and activations: the weights on a 16-level grid, the activations on [0, 15], in the file and in ONNX', async () => {
    const rng = new Rng(2);
    const qat = prepareQat(new MLP([784, 32, 10], rng), { weightBits: 4, activationBits: 4 });
    fit(qat, data.train, { epochs: 1, seed: 1 });
    const q = convert(qat);
    for (const s of q.stages) {
      if (s.kind !== 'linear') continue;
      expect(Math.min(...s.weight.q)).toBeGreaterThanOrEqual(-8);
      expect(Math.max(...s.weight.q)).toBeLessThanOrEqual(7);
    }
    const { worst } = levelsApart(qat, data.testSet.x);
    expect(worst).toBeLessThanOrEqual(1);
    expect(evaluate(q, data.testSet)).toBeGreaterThan(0.4); // it learns (chance is 0.1) in one epoch on 2,000 images, input in 4 bits too
    // The 4-bit grid's top (15) goes into the file and into ONNX (a Clip before each QuantizeLinear).
    const back = modelFromBytes(modelToBytes(q), { source: 'qat4.safetensors' }) as StaticQuantizedModel;
    expect(back.input.quantMax).toBe(15);
    const x = data.testSet.x;
    const ours = noGrad(() => q.forward(x)).data;
    expect([...noGrad(() => back.forward(x)).data]).toEqual([...ours]);
    const session = await ort.InferenceSession.create(await exportOnnx(q), { intraOpNumThreads: 1 });
    const theirs = (await session.run({ input: new ort.Tensor('float32', x.data, x.shape) })).logits.data as Float32Array;
    const last = q.stages.at(-1)!;
    const step = 'output' in last ? last.output.scale : 1;
    expect(ours.reduce((m, v, i) => Math.max(m, Math.round(Math.abs(v - theirs[i]) / step)), 0)).toBeLessThanOrEqual(2);
  }, 60_000);

  it('2-bit weights and a CNN: conv, ReLU, pool, flatten, Linear', () => {
    const rng = new Rng(3);
    const cnn = new Sequential(
      new Conv2d(1, 4, 5, { rng }),
      new ReLU(),
      new MaxPool2d(4),
      new Flatten(),
      new Linear(4 * 6 * 6, 10, { rng }),
    );
    const qat = prepareQat(cnn, { weightBits: 2, perChannel: false });
    fit(qat, data.train, { epochs: 1, seed: 2 });
    const q = convert(qat);
    expect(q.stages.map((s) => s.kind)).toEqual(['conv', 'pool', 'flatten', 'linear']);
    const conv = q.stages[0];
    if (conv.kind !== 'conv') throw new Error('not a conv');
    expect(new Set(conv.weight.q).size).toBeLessThanOrEqual(4);
    expect(conv.weight.scales.length).toBe(1);
    expect(levelsApart(qat, data.testSet.x).worst).toBeLessThanOrEqual(1);
  }, 60_000);

  it('the weights get the straight-through gradient; the activation ranges move only while training', () => {
    const qat = prepareQat(new MLP([6, 4, 3], new Rng(4)));
    const x = Tensor.randn([5, 6], new Rng(5));
    qat.train();
    sum(qat.forward(x)).backward();
    const fc1 = qat.namedChildren()[0][1] as Linear;
    expect(fc1.weight.grad!.data.some((g) => g !== 0)).toBe(true);
    const range = [qat.input.min, qat.input.max];
    qat.eval();
    qat.forward(mul(Tensor.randn([5, 6], new Rng(6)), 10));
    expect([qat.input.min, qat.input.max]).toEqual(range);
  });

  it('refuses bit widths, models and steps it cannot train, and converting before any data', () => {
    const net = new MLP([4, 3], new Rng(7));
    expect(() => prepareQat(net, { weightBits: 3 as never })).toThrow(/^prepareQat: weightBits must be 8, 4 or 2, got 3$/);
    expect(() => prepareQat(net, { activationBits: 2 as never })).toThrow(/^prepareQat: activationBits must be 8 or 4, got 2$/);
    expect(() => convert(prepareQat(net))).toThrow(/^convert: the QAT model has seen no data/);
    expect(() => convert(net as never)).toThrow(/^convert: expected a QatModel/);
    class Odd extends Module {
      override forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(() => prepareQat(new Sequential(new Linear(2, 2, { rng: new Rng(1) }), new Odd()))).toThrow(
      /^prepareQat: step 1 is a Odd; QAT trains Linear, Conv2d, ReLU, MaxPool2d and Flatten$/,
    );
    expect(() => prepareQat(new Odd())).toThrow(/^prepareQat: Odd lists no steps/);
  });
});
