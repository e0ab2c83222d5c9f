import { describe, expect, it } from 'vitest';
import { calibrate } from '../src/compress/calibrate.js';
import { HistogramObserver } from '../src/compress/histogram-observer.js';
import { MinMaxObserver } from '../src/compress/observers.js';
import { ReLU, Sequential } from '../src/nn/layers.js';
import { SimpleNet, TeacherNet } from '../src/nn/models.js';
import { Module } from '../src/nn/module.js';
import { noGrad } from '../src/tensor/autograd.js';
import { flatten, relu } from '../src/tensor/index.js';
import { maxPool2d } from '../src/tensor/ops/conv.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';

/**
 * Calibration against its definition: each layer's observers see exactly the values the
 * float model computes at that place, computed here by hand from the layers.
 */

const images = (n: number, seed: number) => ({ x: Tensor.randn([n, 1, 28, 28], new Rng(seed)), labels: new Int32Array(n) });
const extremes = (t: Tensor): [number, number] => [t.data.reduce((m, v) => Math.min(m, v)), t.data.reduce((m, v) => Math.max(m, v))];
const minmax = () => new MinMaxObserver();
const held = (o: unknown): [number, number] => [(o as MinMaxObserver).min, (o as MinMaxObserver).max];

describe('calibrate', () => {
  it("SimpleNet: each layer's input and its output after the ReLU, as the layers compute them", () => {
    const net = new SimpleNet(new Rng(1));
    const set = images(50, 2);
    const seen = calibrate(net, set, { observer: minmax, batchSize: 16 });
    expect([...seen.keys()]).toEqual(['fc1', 'fc2', 'fc3', 'fc4']);
    expect(seen.get('fc1')!.steps).toEqual(['fc1', 'fc1.relu']);
    expect(seen.get('fc4')!.steps).toEqual(['fc4']);
    noGrad(() => {
      let x = flatten(set.x, 1);
      for (const [i, layer] of net.layers.entries()) {
        const name = `fc${i + 1}`;
        expect(held(seen.get(name)!.input), `${name} input`).toEqual(extremes(x));
        x = layer.forward(x);
        if (i < 3) x = relu(x);
        expect(held(seen.get(name)!.output), `${name} output`).toEqual(extremes(x));
      }
    });
  });

  it("the teacher: conv1's output is taken after its ReLU, before the pool (which changes no scale), as PyTorch's ConvReLU2d", () => {
    const net = new TeacherNet(new Rng(3));
    const set = images(20, 4);
    const seen = calibrate(net, set, { observer: minmax });
    expect(seen.get('conv1')!.steps).toEqual(['conv1', 'conv1.relu']);
    const activated = noGrad(() => relu(net.conv1.forward(set.x)));
    expect(held(seen.get('conv1')!.output)).toEqual(extremes(activated));
    const pooled = noGrad(() => maxPool2d(activated, { kernelSize: 5, stride: 5 }));
    expect(held(seen.get('fc1')!.input)).toEqual(extremes(pooled));
    expect(held(seen.get('fc1')!.input)[1]).toBe(held(seen.get('conv1')!.output)[1]); // the largest value survives the pool
    expect(held(seen.get('conv1')!.input)).toEqual(extremes(set.x));
  });

  it('the batch size changes nothing a MinMax observer holds (to rounding); the default is the x86 histogram; the mode is kept', () => {
    const net = new SimpleNet(new Rng(5));
    const set = images(30, 6);
    const a = calibrate(net, set, { observer: minmax, batchSize: 7 });
    const b = calibrate(net, set, { observer: minmax, batchSize: 64, images: 30 });
    // The same values, up to the summation order a kernel picks for the batch's size.
    for (const [name, o] of a)
      held(o.output).forEach((v, i) => {
        expect(Math.abs(v - held(b.get(name)!.output)[i]), name).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v)));
      });
    net.train();
    const c = calibrate(net, set, { images: 10 });
    expect(net.training).toBe(true);
    const o = c.get('fc2')!.input;
    expect(o).toBeInstanceOf(HistogramObserver);
    expect(o.qparams().quantMax).toBe(127);
  });

  it('only the first `images` are run', () => {
    const net = new SimpleNet(new Rng(7));
    const set = images(40, 8);
    const first = calibrate(net, set, { observer: minmax, images: 10 });
    const alone = calibrate(
      net,
      { x: new Tensor(set.x.data.slice(0, 10 * 784), [10, 1, 28, 28]), labels: new Int32Array(10) },
      { observer: minmax },
    );
    expect(held(first.get('fc3')!.input)).toEqual(held(alone.get('fc3')!.input));
  });

  it('refuses an empty set, a bad count, images that do not fit, NaN, and models it cannot walk, naming the layer', () => {
    const net = new SimpleNet(new Rng(9));
    expect(() => calibrate(net, images(0, 1))).toThrow(
      /^calibrate: the calibration set holds 0 images; fc1 needs at least one to observe$/,
    );
    expect(() => calibrate(net, images(5, 1), { images: 6 })).toThrow(/^calibrate: 6 images asked for, the set holds 5$/);
    expect(() => calibrate(net, images(5, 1), { images: 1.5 })).toThrow(/images must be an integer ≥ 0, got 1.5/);
    expect(() => calibrate(net, images(5, 1), { batchSize: 0 })).toThrow(/batchSize must be a positive integer, got 0/);
    const small = { x: Tensor.randn([3, 1, 14, 14], new Rng(1)), labels: new Int32Array(3) };
    expect(() => calibrate(net, small)).toThrow(/^calibrate: fc1: /);
    const nan = images(3, 1);
    nan.x.data[784 + 5] = Number.NaN;
    expect(() => calibrate(net, nan, { observer: minmax })).toThrow(/^calibrate: fc1 input: the values observed hold NaN at index 789$/);
    class Opaque extends Module {
      override forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(() => calibrate(new Opaque(), images(2, 1))).toThrow(/^calibrate: Opaque lists no steps/);
    expect(() => calibrate(new Sequential(new ReLU()), images(2, 1))).toThrow(
      /^calibrate: Sequential has no Linear or Conv2d layer to calibrate$/,
    );
    expect(() => calibrate({} as Module, images(2, 1))).toThrow(/^calibrate: expected a Module/);
  });
});
