import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { toSparse } from '../src/compress/csr.js';
import { FactorizedLinear } from '../src/compress/low-rank.js';
import { activationStats, neuronScores, removeNeurons } from '../src/compress/neurons.js';
import { Pruner } from '../src/compress/prune.js';
import { quantizeDynamic } from '../src/compress/quantize.js';
import { exportOnnx } from '../src/interop/onnx.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../src/nn/layers.js';
import { LeNet5, LeNet300100, MLP, TeacherNet } from '../src/nn/models.js';
import { Module } from '../src/nn/module.js';
import { saveModel } from '../src/node/files.js';
import { loadMnistData } from '../src/node/mnist.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { trainClassifier } from '../src/train/classifier.js';
import { tempDir } from './helpers.js';
import { runCli } from './run-cli.js';

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
  const got = await runOnnx(await exportOnnx(model), x);
  expect(got.length, label).toBe(want.length);
  // Relative to the logits' scale (max |logit|): the two runtimes sum in different orders, so a logit near 0 has no relative accuracy of
  // its own.
  const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const worst = want.reduce((m, v, i) => Math.max(m, Math.abs(got[i] - v)), 0) / scale;
  expect(scale, label).toBeGreaterThan(0);
  expect(worst, label).toBeLessThan(1e-5);
}

/** The net with its smallest weights zeroed to the given sparsity, layer by layer. */
function prunedTo(sparsity: number, net: MLP): MLP {
  new Pruner(net).pruneToSparsity(sparsity);
  return net;
}

describe('ONNX export, run by onnxruntime-node', () => {
  it("SimpleNet, the distillation student and the teacher CNN give slimtensor's logits", async () => {
    await expectSameAsOnnx(new MLP([784, 512, 256, 128, 10], new Rng(1)), 'SimpleNet');
    await expectSameAsOnnx(new MLP([784, 128, 10], new Rng(2)), 'student');
    await expectSameAsOnnx(new TeacherNet(new Rng(3)), 'teacher');
  });

  it("the two LeNets of Deep Compression give slimtensor's logits", async () => {
    await expectSameAsOnnx(new LeNet300100(new Rng(4)), 'LeNet-300-100');
    await expectSameAsOnnx(new LeNet5(new Rng(5)), 'LeNet-5');
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
    const stats = activationStats(net, data.train);
    await expectSameAsOnnx(removeNeurons(net, neuronScores(net, 'mean', stats), 0.2).net, 'activation-pruned');
  });

  it('a pruned net written with sparse_initializers: smaller, the same logits in onnxruntime, each weight at its place', async () => {
    const pruned = new MLP([784, 64, 32, 10], new Rng(16));
    new Pruner(pruned).pruneToSparsity(0.9);
    const csr = toSparse(pruned.clone());
    const dense = await exportOnnx(csr);
    const sparse = await exportOnnx(csr, { sparse: true });
    expect(sparse.length).toBeLessThan(dense.length / 2);
    const want = noGrad(() => csr.eval().forward(x)).data;
    const got = await runOnnx(sparse, x);
    const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(want.reduce((m, v, i) => Math.max(m, Math.abs(got[i] - v)), 0) / scale).toBeLessThan(1e-5);
    // Read back with the schema: every layer's weight is a sparse initializer whose values sit at the dense matrix's non-zeros.
    const graph = onnxProto.onnx.ModelProto.decode(sparse).graph!;
    expect(graph.sparseInitializer!.map((t) => t.values!.name)).toEqual(['fc1.weight', 'fc2.weight', 'fc3.weight']);
    expect(graph.initializer!.some((t) => t.name!.endsWith('.weight'))).toBe(false);
    for (const [i, t] of graph.sparseInitializer!.entries()) {
      const layer = pruned.layers[i] as Linear;
      const values = new Float32Array(new Uint8Array(t.values!.rawData!).buffer);
      const positions = new BigInt64Array(new Uint8Array(t.indices!.rawData!).buffer);
      expect(t.dims!.map(Number)).toEqual(layer.weight.shape);
      expect(t.indices!.dataType).toBe(onnxProto.onnx.TensorProto.DataType.INT64);
      const rebuilt = new Float32Array(layer.weight.size);
      positions.forEach((p, k) => {
        rebuilt[Number(p)] = values[k];
      });
      expect(rebuilt).toEqual(layer.weight.data);
      expect([...positions].every((p, k) => k === 0 || p > positions[k - 1])).toBe(true);
    }
    // Dense layers stay dense initializers under the option.
    expect(onnxProto.onnx.ModelProto.decode(await exportOnnx(pruned, { sparse: true })).graph!.sparseInitializer).toEqual([]);
  });

  it('a Sequential of every plain layer kind, with stride and padding', async () => {
    const rng = new Rng(7);
    const seq = new Sequential(
      new Conv2d(1, 4, 3, { rng, stride: 2, padding: 1 }),
      new ReLU(),
      new MaxPool2d(2),
      new Flatten(),
      new Linear(4 * 7 * 7, 10, { rng }),
    );
    await expectSameAsOnnx(seq, 'sequential');
  });

  it("int8 Linear layers (7-bit activations, per tensor and per channel) give slimtensor's outputs; a trained int8 SimpleNet agrees on " +
    'the whole test set', async () => {
    await expectSameAsOnnx(quantizeDynamic(new MLP([784, 64, 32, 10], new Rng(9))), 'int8 per tensor');
    await expectSameAsOnnx(quantizeDynamic(new MLP([784, 64, 32, 10], new Rng(9)), { perChannel: true }), 'int8 per channel');
    const full = await loadMnistData({ trainLimit: 3000 });
    const net = new MLP([784, 512, 256, 128, 10], new Rng(10));
    trainClassifier('simple-net', net, full, { epochs: 1, seed: 0, batchSize: 64, lr: 1e-3 });
    const int8 = quantizeDynamic(net);
    const a = noGrad(() => int8.forward(full.testSet.x)).data;
    const b = await runOnnx(await exportOnnx(int8), full.testSet.x);
    const argmax = (v: Float32Array, i: number): number => {
      let best = 0;
      for (let c = 1; c < 10; c++) if (v[i * 10 + c] > v[i * 10 + best]) best = c;
      return best;
    };
    let agree = 0;
    for (let i = 0; i < full.test.count; i++) if (argmax(a, i) === argmax(b, i)) agree++;
    expect(agree / full.test.count).toBeGreaterThanOrEqual(0.999);
  }, 120_000);

  it('int8 Linear on activations of tiny range (widened to the 6.1e-5 scale, or the 0.1 of an empty range) as slimtensor', async () => {
    const q = quantizeDynamic(new Sequential(new Flatten(), new Linear(784, 16, { rng: new Rng(13) })));
    const inputs: [string, (v: number) => number][] = [
      ['both signs, range 2e-3', (v) => v * 1e-3],
      ['ReLU-like, range 1e-3', (v) => Math.max(0, v) * 1e-3],
      ['range 1e-6', (v) => v * 1e-6],
      ['subnormal range', (v) => v * 1e-45],
      ['all zero', () => 0],
    ];
    for (const [label, f] of inputs) {
      const tiny = Tensor.from(x.data.map(f), x.shape);
      const want = noGrad(() => q.forward(tiny)).data;
      const got = await runOnnx(await exportOnnx(q), tiny);
      const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(want.reduce((m, v, i) => Math.max(m, Math.abs(got[i] - v)), 0) / scale, label).toBeLessThan(1e-6);
    }
  });

  it("int8 with 8-bit activations goes through ONNX's DynamicQuantizeLinear, within its quantization error", async () => {
    const layer = new Linear(784, 32, { rng: new Rng(11) });
    const q = quantizeDynamic(new Sequential(new Flatten(), layer), { reduceRange: false });
    const ours = noGrad(() => q.forward(x)).data;
    const theirs = await runOnnx(await exportOnnx(q), x);
    // Both quantize [−1, 1] to 8 bits, rounding at different points: each output within s·Σ|w| (one level per input).
    const W = layer.weight.data;
    for (let j = 0; j < 32; j++) {
      let l1 = 0;
      for (let k = 0; k < 784; k++) l1 += Math.abs(W[j * 784 + k]);
      for (let i = 0; i < x.shape[0]; i++) expect(Math.abs(theirs[i * 32 + j] - ours[i * 32 + j])).toBeLessThanOrEqual((2 / 255) * l1);
    }
  });

  it('an int8 Conv2d with 8-bit activations too, within the same error', async () => {
    const conv = new Conv2d(1, 3, 5, { rng: new Rng(12), stride: [2, 1], padding: [1, 2] });
    const q = quantizeDynamic(new Sequential(conv, new Flatten()), { conv: true, reduceRange: false });
    const ours = noGrad(() => q.forward(x)).data;
    const theirs = await runOnnx(await exportOnnx(q), x);
    expect(theirs.length).toBe(ours.length);
    const perImage = ours.length / x.shape[0];
    const plane = perImage / 3;
    const W = conv.weight.data;
    for (let i = 0; i < ours.length; i++) {
      const o = Math.floor((i % perImage) / plane);
      let l1 = 0;
      for (let k = 0; k < 25; k++) l1 += Math.abs(W[o * 25 + k]);
      expect(Math.abs(theirs[i] - ours[i])).toBeLessThanOrEqual((2 / 255) * l1 + 1e-5);
    }
  });

  it("the int8 teacher (int8 Conv2d and Linear), per tensor and per channel, gives slimtensor's logits", async () => {
    await expectSameAsOnnx(quantizeDynamic(new TeacherNet(new Rng(8)), { conv: true }), 'int8 teacher');
    await expectSameAsOnnx(quantizeDynamic(new TeacherNet(new Rng(8)), { conv: true, perChannel: true }), 'int8 teacher per channel');
    const rng = new Rng(15);
    await expectSameAsOnnx(
      quantizeDynamic(
        new Sequential(
          new Conv2d(1, 4, 3, { rng, stride: 2, padding: 1 }),
          new ReLU(),
          new Flatten(),
          new Linear(4 * 14 * 14, 10, { rng }),
        ),
        { conv: true },
      ),
      'int8 conv, stride and padding',
    );
  });

  it('a layer without an ONNX form is refused by name, never written approximately', async () => {
    class Custom extends Sequential {}
    await expect(exportOnnx(new (class Odd extends TeacherNet {})())).resolves.toBeInstanceOf(Uint8Array);
    class Identity extends Module {
      forward(t: Tensor): Tensor {
        return t;
      }
    }
    await expect(exportOnnx(new Custom(new Linear(2, 2), new Identity()))).rejects.toThrow(/exportOnnx: layer '1' is a Identity/);
  });

  it(
    'slimtensor export writes any saved model (dense or compressed, MLP or teacher) as ONNX that onnxruntime runs as slimtensor ' + 'does',
    async () => {
      const dir = tempDir('export');
      const factorized = new MLP([784, 48, 24, 10], new Rng(12));
      factorized.setLayer(1, FactorizedLinear.fromLinear(factorized.layers[1] as Linear, { rank: 6 }));
      const models: [string, Module][] = [
        ['dense', new MLP([784, 48, 24, 10], new Rng(12))],
        ['sparse', toSparse(prunedTo(0.8, new MLP([784, 48, 24, 10], new Rng(12))))],
        ['int8', quantizeDynamic(new MLP([784, 48, 24, 10], new Rng(12)), { perChannel: true })],
        ['factorized', factorized],
        ['narrow', new MLP([784, 17, 5, 10], new Rng(13))],
        ['teacher', new TeacherNet(new Rng(14))],
      ];
      for (const [name, model] of models) {
        const file = join(dir, `${name}.safetensors`);
        await saveModel(model, file);
        const r = await runCli(['export', '--model', file, '--out', join(dir, `${name}.onnx`)]);
        expect(r.code, r.err).toBe(0);
        expect(r.out).toMatch(new RegExp(`wrote .*${name}\\.onnx: (MLP|TeacherNet), \\d+ bytes`));
        const want = noGrad(() => model.eval().forward(x)).data;
        const got = await runOnnx(readFileSync(join(dir, `${name}.onnx`)), x);
        const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(want.reduce((m, v, i) => Math.max(m, Math.abs(got[i] - v)), 0) / scale, name).toBeLessThan(1e-5);
      }
      // --all: every model of a folder, each beside its safetensors.
      const sparseFile = join(dir, 'sparse-initializer.onnx');
      expect((await runCli(['export', '--model', join(dir, 'sparse.safetensors'), '--out', sparseFile, '--sparse'])).code).toBe(0);
      expect(readFileSync(sparseFile).length).toBeLessThan(readFileSync(join(dir, 'sparse.onnx')).length);
      const all = await runCli(['export', '--all', dir]);
      expect(all.code, all.err).toBe(0);
      for (const [name] of models) expect(all.out).toContain(`${name}.onnx`);
      expect((await runCli(['export', '--all', join(dir, 'none')])).err).toMatch(/--all .*none: no such folder/);
      expect((await runCli(['export', '--model', join(dir, 'nope.safetensors'), '--out', join(dir, 'x.onnx')])).err).toMatch(
        /--model .*nope\.safetensors: no such file/,
      );
      expect((await runCli(['export', '--model', join(dir, 'dense.safetensors'), '--out', join(dir, 'x.txt')])).err).toMatch(
        /--out must name a \.onnx file/,
      );
      await saveModel(new Sequential(new Linear(2, 2)), join(dir, 'odd.safetensors'));
      await expect(runCli(['export', '--model', join(dir, 'odd.safetensors'), '--out', join(dir, 'odd.onnx')])).rejects.toThrow(
        /odd\.safetensors: neither a teacher CNN/,
      );
      expect(existsSync(join(dir, 'odd.onnx'))).toBe(false);
    },
  );
});
