import { describe, expect, it } from 'vitest';
import { modelFromBytes, modelToBytes } from '../src/compress/checkpoint.js';
import { QuantizedConv2d } from '../src/compress/int8-layers.js';
import { quantizeDynamic } from '../src/compress/quantize.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../src/nn/layers.js';
import { decodeSafetensors, encodeSafetensors } from '../src/nn/safetensors.js';
import { noGrad } from '../src/tensor/autograd.js';
import { conv2d, maxPool2d } from '../src/tensor/index.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { expectClose } from './helpers.js';

/** Conv2d and MaxPool2d layers with a kernel, stride and padding of their own per axis, as PyTorch's take tuples. */

const net = (rng: Rng): Sequential =>
  new Sequential(
    new Conv2d(2, 3, [3, 2], { rng, stride: [2, 1], padding: [1, 0] }),
    new ReLU(),
    new MaxPool2d([2, 3], [1, 2]),
    new Flatten(),
    new Linear(3 * 3 * 2, 4, { rng }),
  );

describe('per-axis convolution and pooling layers', () => {
  it('keep each axis as given and compute the op with it', () => {
    const rng = new Rng(1);
    const conv = new Conv2d(2, 3, [3, 2], { rng, stride: [2, 1], padding: [1, 0] });
    expect([conv.kernelSize, conv.stride, conv.padding]).toEqual([
      [3, 2],
      [2, 1],
      [1, 0],
    ]);
    expect(conv.weight.shape).toEqual([3, 2, 3, 2]);
    const x = Tensor.randn([2, 2, 7, 6], rng);
    const y = conv.forward(x);
    expect(y.shape).toEqual([2, 3, 4, 5]); // (7 + 2 − 3) / 2 + 1 rows, (6 − 2) / 1 + 1 columns
    expectClose(y.data, conv2d(x, conv.weight, conv.bias, { stride: [2, 1], padding: [1, 0] }).data);
    const square = new Conv2d(1, 1, 3, { rng, stride: 2, padding: 1 });
    expect([square.kernelSize, square.stride, square.padding]).toEqual([
      [3, 3],
      [2, 2],
      [1, 1],
    ]);
    const pool = new MaxPool2d([2, 3], [1, 2]);
    expect([pool.kernelSize, pool.stride]).toEqual([
      [2, 3],
      [1, 2],
    ]);
    expect(new MaxPool2d([2, 3]).stride).toEqual([2, 3]);
    expectClose(pool.forward(y).data, maxPool2d(y, { kernelSize: [2, 3], stride: [1, 2] }).data);
  });

  it('refuse a bad pair by layer and name', () => {
    expect(() => new Conv2d(1, 1, [3, 0])).toThrow(
      /Conv2d: kernelSize must be one or two \(rows, columns\) positive integers, got \[3,0\]/,
    );
    expect(() => new Conv2d(1, 1, 3, { stride: [1, 2, 3] as unknown as [number, number] })).toThrow(/Conv2d: stride .* got \[1,2,3\]/);
    expect(() => new Conv2d(1, 1, 3, { padding: [0, -1] })).toThrow(
      /Conv2d: padding must be one or two \(rows, columns\) integers ≥ 0, got \[0,-1\]/,
    );
    expect(() => new MaxPool2d(2, [1.5, 1])).toThrow(/MaxPool2d: stride .* got \[1.5,1\]/);
  });

  it('survive int8 quantization, a save and a load, per axis', () => {
    const model = quantizeDynamic(net(new Rng(2)), { conv: true });
    const conv = model.namedModules().find(([, m]) => m instanceof QuantizedConv2d)![1] as QuantizedConv2d;
    expect([conv.stride, conv.padding]).toEqual([
      [2, 1],
      [1, 0],
    ]);
    const x = Tensor.randn([3, 2, 7, 6], new Rng(3));
    const bytes = modelToBytes(model);
    const back = modelFromBytes(bytes, { model: net(new Rng(9)) });
    expect([...noGrad(() => back.forward(x)).data]).toEqual([...noGrad(() => model.forward(x)).data]);
    // A skeleton with other geometry is refused at load, naming the layer and both values.
    const other = new Sequential(
      new Conv2d(2, 3, [3, 2], { stride: [1, 2], padding: [1, 0] }),
      new ReLU(),
      new MaxPool2d(1),
      new Flatten(),
    );
    expect(() => modelFromBytes(bytes, { model: other, source: 'net.safetensors' })).toThrow(
      /net\.safetensors: 0: the file's layer has stride \[2,1\], the model's has \[1,2\]/,
    );
  });

  it('store a square geometry as two numbers (stride, padding), as every earlier file did, and read both forms', () => {
    const model = quantizeDynamic(new Sequential(new Conv2d(1, 2, 3, { rng: new Rng(4), stride: 2, padding: 1 })), { conv: true });
    const { state, metadata } = decodeSafetensors(modelToBytes(model));
    expect([...state.get('0.geometry')!.data]).toEqual([2, 1]);
    const old = modelFromBytes(encodeSafetensors(state, metadata), {
      model: new Sequential(new Conv2d(1, 2, 3, { stride: 2, padding: 1 })),
    });
    const conv = old.namedModules().find(([, m]) => m instanceof QuantizedConv2d)![1] as QuantizedConv2d;
    expect([conv.stride, conv.padding]).toEqual([
      [2, 2],
      [1, 1],
    ]);
    state.set('0.geometry', { dtype: 'I32', shape: [3], data: Int32Array.of(2, 1, 1) });
    expect(() => modelFromBytes(encodeSafetensors(state, metadata), { model: new Sequential(new Conv2d(1, 2, 3)) })).toThrow(
      /'geometry' must be four int32 \(stride and padding, rows and columns\) or two/,
    );
  });
});
