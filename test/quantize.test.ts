import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QuantizedConv2d, QuantizedLinear } from '../src/compress/int8-layers.js';
import { quantizeDynamic } from '../src/compress/quantize.js';
import { dequantizeWeight, quantizeWeight, sqnr } from '../src/compress/quantize-weight.js';
import { Conv2d, Linear } from '../src/nn/layers.js';
import { MLP, TeacherNet } from '../src/nn/models.js';
import { loadCompressedModel, saveModel } from '../src/node/files.js';
import { noGrad } from '../src/tensor/autograd.js';
import { gemmInt8Naive, gemmInt8Packed, packInt8Pairs } from '../src/tensor/kernels/int8.js';
import { activationQuant, quantizeActivations } from '../src/tensor/kernels/quantize.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { randomArray, tempDir } from './helpers.js';

describe('int8 quantization', () => {
  const rng = new Rng(8);

  it('quantize → dequantize is within scale/2 of every weight, per tensor and per channel', () => {
    const w = randomArray(20 * 30, rng, -0.3, 0.3);
    for (let c = 0; c < 30; c++) w[5 * 30 + c] *= 10; // one loud channel: per-channel scales help the others
    for (const perChannel of [false, true]) {
      const q = quantizeWeight(w, 20, 30, perChannel);
      expect(q.scales).toHaveLength(perChannel ? 20 : 1);
      const back = dequantizeWeight(q);
      w.forEach((v, i) => {
        expect(Math.abs(v - back[i])).toBeLessThanOrEqual(q.scales[perChannel ? Math.floor(i / 30) : 0] / 2 + 1e-7);
      });
    }
    const perTensor = sqnr(w, dequantizeWeight(quantizeWeight(w, 20, 30, false)));
    const perChannel = sqnr(w, dequantizeWeight(quantizeWeight(w, 20, 30, true)));
    expect(perChannel).toBeGreaterThan(perTensor);
    expect(sqnr(w, w)).toBe(Infinity);
  });

  it('activations: asymmetric, 0 exact, error ≤ scale/2, a zero range does not divide by zero', () => {
    const x = randomArray(500, rng, -0.5, 3);
    const aq = activationQuant(x);
    const q = new Int16Array(500);
    quantizeActivations(x, aq, q);
    x.forEach((v, i) => {
      expect(Math.abs(v - q[i] * aq.scale)).toBeLessThanOrEqual(aq.scale / 2 + 1e-6);
    });
    const relu = Float32Array.of(0, 0, 1, 2);
    quantizeActivations(relu, activationQuant(relu), q);
    expect(q[0]).toBe(0);
    for (const constant of [new Float32Array(8), new Float32Array(8).fill(2.5), new Float32Array(8).fill(-1)]) {
      const p = activationQuant(constant);
      expect(Number.isFinite(p.scale) && p.scale > 0).toBe(true);
      quantizeActivations(constant, p, q);
      expect(Math.abs(q[3] * p.scale - constant[3])).toBeLessThanOrEqual(p.scale / 2 + 1e-6);
    }
  });

  it('the packed int8 GEMM equals the exact integer reference, extremes and K across blocks', () => {
    for (const [M, N, K] of [
      [1, 1, 1],
      [3, 5, 7],
      [2, 2, 513],
      [7, 9, 1100],
      [64, 33, 784],
    ]) {
      const A = Int16Array.from({ length: M * K }, (_, i) => (i % 7 === 0 ? 255 : i % 11 === 0 ? -255 : rng.int(511) - 255));
      const B = Int8Array.from({ length: N * K }, (_, i) => (i % 5 === 0 ? 127 : i % 13 === 0 ? -127 : rng.int(255) - 127));
      const want = new Int32Array(M * N),
        got = new Int32Array(M * N).fill(12345);
      gemmInt8Naive(M, N, K, A, B, want);
      gemmInt8Packed(M, N, K, A, packInt8Pairs(B, N, K), got);
      expect(got).toEqual(want);
    }
    // The worst case for exactness: every product at +255·127 for a whole block.
    const K = 1024;
    const got = new Int32Array(4);
    gemmInt8Packed(2, 2, K, new Int16Array(2 * K).fill(255), packInt8Pairs(new Int8Array(2 * K).fill(127), 2, K), got);
    expect([...got]).toEqual(new Array(4).fill(255 * 127 * K));
  });

  it('QuantizedLinear is within the error bound the scales imply', () => {
    for (const perChannel of [false, true]) {
      const layer = new Linear(64, 16, { rng });
      const q = QuantizedLinear.fromFloat(layer, { perChannel });
      const x = new Tensor(randomArray(5 * 64, rng, -1, 1), [5, 64]);
      const want = noGrad(() => layer.forward(x)).data;
      const got = q.forward(x).data;
      const { scale: sx } = activationQuant(x.data);
      for (let n = 0; n < 5; n++) {
        for (let j = 0; j < 16; j++) {
          const sw = q.weight.scales[perChannel ? j : 0];
          let bound = 1e-5;
          for (let k = 0; k < 64; k++)
            bound += (Math.abs(x.data[n * 64 + k]) * sw) / 2 + ((Math.abs(layer.weight.data[j * 64 + k]) + sw / 2) * sx) / 2;
          expect(Math.abs(got[n * 16 + j] - want[n * 16 + j])).toBeLessThanOrEqual(bound);
        }
      }
      expect(() => q.forward(Tensor.zeros([5, 63]))).toThrow(/quantizedLinear: input \[5, 63\] does not match weight \[16, 64\]/);
    }
  });

  it('all-zero weights and an all-zero input give the bias, not NaN', () => {
    const layer = new Linear(8, 3, { rng });
    layer.weight.data.fill(0);
    const q = QuantizedLinear.fromFloat(layer);
    expect(q.weight.scales[0]).toBe(2 ** -23); // PyTorch's smallest scale (float32 eps)
    const y = q.forward(Tensor.zeros([2, 8])).data;
    expect([...y]).toEqual([...layer.bias!.data, ...layer.bias!.data].map((v) => Math.fround(v)));
  });

  it('QuantizedConv2d is close to the float convolution', () => {
    const conv = new Conv2d(2, 4, 3, { rng, padding: 1 });
    const qc = QuantizedConv2d.fromFloat(conv, { perChannel: true });
    const x = new Tensor(randomArray(2 * 2 * 6 * 6, rng), [2, 2, 6, 6]);
    const want = noGrad(() => conv.forward(x)).data;
    const got = qc.forward(x).data;
    expect(got).toHaveLength(want.length);
    const err = sqnr(want, got);
    expect(err).toBeGreaterThan(30); // dB: int8 keeps ~40 dB on random data
  });

  it('quantizeDynamic swaps every layer; quantized models save (int8 + scales) and reload', async () => {
    const dir = tempDir('q');
    const mlp = quantizeDynamic(new MLP([20, 12, 5], rng), { perChannel: true });
    expect(mlp.layers.every((l) => l instanceof QuantizedLinear)).toBe(true);
    const teacher = quantizeDynamic(new TeacherNet(rng), { conv: true });
    expect(teacher.conv1).toBeInstanceOf(QuantizedConv2d);
    // As PyTorch's quantize_dynamic: only Linear layers unless asked.
    const linearOnly = quantizeDynamic(new TeacherNet(rng));
    expect(linearOnly.conv1).toBeInstanceOf(Conv2d);
    expect(linearOnly.fc1).toBeInstanceOf(QuantizedLinear);
    for (const [model, skeleton, shape] of [
      [mlp, new MLP([20, 12, 5]), [3, 20]],
      [teacher, new TeacherNet(), [2, 1, 28, 28]],
    ] as const) {
      const path = join(dir, 'q.safetensors');
      await saveModel(model, path);
      const back = await loadCompressedModel(skeleton, path);
      const x = new Tensor(
        randomArray(
          shape.reduce((a: number, b: number) => a * b, 1),
          rng,
        ),
        [...shape],
      );
      expect(back.forward(x).data).toEqual(model.forward(x).data);
      expect(back.numParameters()).toBe(model.numParameters());
    }
  });
});
