import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { modelFromBytes, modelToBytes } from '../src/compress/checkpoint.js';
import { HistogramObserver } from '../src/compress/histogram-observer.js';
import { modelBytes } from '../src/compress/latency.js';
import { MinMaxObserver, type Observer } from '../src/compress/observers.js';
import { quantizeStatic, StaticQuantizedModel } from '../src/compress/static-quantize.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '../src/nn/layers.js';
import { MLP } from '../src/nn/models.js';
import { Module, type StateEntry } from '../src/nn/module.js';
import { encodeSafetensors } from '../src/nn/safetensors.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';

/**
 * Static int8 against PyTorch 1.13's eager static quantization (fuse, prepare with a qconfig,
 * calibrate, convert: test/fixtures/pytorch/static.json, made by make_static.py): the same
 * float weights and calibration batch give the same scales and zero points (bit for bit
 * with MinMax observers, to float tolerance with the histogram), the same int8 weights and
 * weight scales, and logits within the error the scales allow: every logit of every case
 * equals PyTorch's here (a level apart is allowed for 1 in 100, where a float-computed scale
 * differs in its last bit). PyTorch ran them on its onednn engine (Debian's build has no
 * fbgemm); slimtensor requantizes as fbgemm does.
 */

interface Packed {
  shape: number[];
  f32: string;
}
interface Case {
  model: 'Mlp' | 'Cnn';
  qconfig: 'x86' | 'minmax' | 'minmax per tensor' | 'histogram 8-bit';
  float: Record<string, Packed>;
  calibration: Packed;
  test: Packed;
  input: { scale: number; zero_point: number };
  layers: Record<string, { scale: number; zero_point: number; weight: string; weight_scales: number[] }>;
  output: Packed;
}

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/pytorch/static.json', import.meta.url), 'utf8')) as { cases: Case[] };

function unpack({ shape, f32 }: Packed): Tensor {
  const bytes = Buffer.from(f32, 'base64');
  return new Tensor(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)), shape);
}

/** The case's float model in slimtensor, with PyTorch's weights, and its layers' names in PyTorch's order. */
function floatModel(c: Case): { model: Module; layers: [string, Linear | Conv2d][] } {
  const set = (layer: Linear | Conv2d, name: string) => {
    layer.weight.data.set(unpack(c.float[`${name}.weight`]).data);
    layer.bias!.data.set(unpack(c.float[`${name}.bias`]).data);
    return layer;
  };
  if (c.model === 'Mlp') {
    const net = new MLP([64, 32, 16, 10], new Rng(0));
    const layers = net.layers as Linear[];
    return { model: net, layers: ['fc1', 'fc2', 'fc3'].map((n, i) => [n, set(layers[i], n)]) };
  }
  const conv1 = set(new Conv2d(1, 4, 3, { padding: 1, rng: new Rng(0) }), 'conv1');
  const fc1 = set(new Linear(64, 16, { rng: new Rng(0) }), 'fc1');
  const fc2 = set(new Linear(16, 10, { rng: new Rng(0) }), 'fc2');
  return {
    model: new Sequential(conv1, new ReLU(), new MaxPool2d(2, 2), new Flatten(), fc1, new ReLU(), fc2),
    layers: [
      ['conv1', conv1],
      ['fc1', fc1],
      ['fc2', fc2],
    ],
  };
}

const observers: Record<Case['qconfig'], { observer: () => Observer; perChannel: boolean; exact: boolean }> = {
  x86: { observer: () => new HistogramObserver({ reduceRange: true }), perChannel: true, exact: false },
  minmax: { observer: () => new MinMaxObserver({ reduceRange: true }), perChannel: true, exact: true },
  'minmax per tensor': { observer: () => new MinMaxObserver({ reduceRange: true }), perChannel: false, exact: true },
  'histogram 8-bit': { observer: () => new HistogramObserver(), perChannel: true, exact: false },
};

/**
 * Bit for bit where the observer sees the same values as PyTorch's: the input, with MinMax.
 * A layer's output comes from float products summed in another order than PyTorch's, so
 * its extremes (and then the scale) may differ in the last bit: MinMax within 1e-6, the
 * histogram (whose search moves in whole bins) within 1e-5 and one zero-point step.
 */
function expectParams(
  got: { scale: number; zeroPoint: number },
  want: { scale: number; zero_point: number },
  tolerance: 0 | 1e-6 | 1e-5,
  label: string,
) {
  if (tolerance === 0) {
    expect([got.scale, got.zeroPoint], label).toEqual([want.scale, want.zero_point]);
  } else {
    expect(Math.abs(got.scale - want.scale) / want.scale, label).toBeLessThan(tolerance);
    expect(Math.abs(got.zeroPoint - want.zero_point), label).toBeLessThanOrEqual(tolerance === 1e-6 ? 0 : 1);
  }
}

describe('static int8 as PyTorch 1.13 (eager: fuse, prepare, calibrate, convert)', () => {
  for (const c of fixtures.cases) {
    it(`${c.model}, ${c.qconfig} qconfig`, () => {
      const { model, layers } = floatModel(c);
      const how = observers[c.qconfig];
      const calibration = unpack(c.calibration);
      const q = quantizeStatic(
        model,
        { x: calibration, labels: new Int32Array(calibration.shape[0]) },
        {
          observer: how.observer,
          perChannel: how.perChannel,
          batchSize: calibration.shape[0],
        },
      ) as StaticQuantizedModel;
      expectParams(q.input, c.input, how.exact ? 0 : 1e-5, 'input');
      const stages = q.stages.filter((s) => s.kind === 'linear' || s.kind === 'conv');
      expect(stages.length).toBe(layers.length);
      stages.forEach((stage, i) => {
        const [name] = layers[i];
        const want = c.layers[name];
        expectParams(stage.output, want, how.exact ? 1e-6 : 1e-5, `${name} output`);
        expect([...stage.weight.scales], `${name} weight scales`).toEqual(want.weight_scales.map(Math.fround));
        expect([...stage.weight.q], `${name} int8 weight`).toEqual([...new Int8Array(Buffer.from(want.weight, 'base64'))]);
      });
      const test = unpack(c.test);
      const ours = noGrad(() => q.forward(test)).data;
      const theirs = unpack(c.output).data;
      // The logits are quantized too (PyTorch's last layer outputs uint8): count the levels apart.
      const step = c.layers[layers[layers.length - 1][0]].scale;
      const levels = ours.map((v, i) => Math.round(Math.abs(v - theirs[i]) / step));
      const worst = levels.reduce((m, v) => Math.max(m, v), 0);
      const off = levels.filter((v) => v > 0).length;
      expect(worst, `logits: ${off} of ${levels.length} differ`).toBeLessThanOrEqual(1);
      expect(off / levels.length).toBeLessThanOrEqual(0.01);
    });
  }
});

describe('static int8 models: files, and what they refuse', () => {
  const rng = new Rng(21);
  const cnn = () =>
    new Sequential(
      new Conv2d(1, 3, 3, { rng, stride: [2, 1], padding: [1, 0] }),
      new ReLU(),
      new MaxPool2d(2),
      new ReLU(),
      new Flatten(),
      new Linear(3 * 4 * 3, 6, { rng }),
    );
  const data = { x: Tensor.randn([12, 1, 16, 8], rng), labels: new Int32Array(12) };

  it('save and load give the same stages and the same logits; saving again gives the same bytes', () => {
    const q = quantizeStatic(cnn(), data, { observer: () => new MinMaxObserver({ reduceRange: true }) });
    expect(q.stages.map((s) => s.kind)).toEqual(['conv', 'pool', 'relu', 'flatten', 'linear']);
    const bytes = modelToBytes(q);
    const back = modelFromBytes(bytes, { source: 'q.safetensors' }) as StaticQuantizedModel;
    expect(back).toBeInstanceOf(StaticQuantizedModel);
    expect(back.stages.map((s) => [s.kind, s.name])).toEqual(q.stages.map((s) => [s.kind, s.name]));
    expect([...modelToBytes(back)]).toEqual([...bytes]);
    expect([...back.forward(data.x).data]).toEqual([...q.forward(data.x).data]);
    expect(modelBytes(q)).toBe([...q.stateDict().values()].reduce((n, e) => n + e.data.byteLength, 0));
  });

  it('a foreign or damaged file is refused naming the file and the stage', () => {
    const q = quantizeStatic(cnn(), data, { images: 4 });
    const state = new Map(q.stateDict());
    const meta = q.fileMetadata();
    const load =
      (s: Map<string, StateEntry>, m = meta) =>
      () =>
        modelFromBytes(encodeSafetensors(s, m), { source: 'q.safetensors' });
    const without = (key: string) => new Map([...state].filter(([k]) => k !== key));
    const name = q.stages[0].name;
    expect(load(without(`${name}.geometry`))).toThrow(`q.safetensors: the static int8 file has no '${name}.geometry'`);
    expect(load(new Map([...state, ['stages', { dtype: 'U8', shape: [5], data: Uint8Array.of(2, 3, 4, 5, 9) }]]))).toThrow(
      /q.safetensors: stage \d+ has kind code 9, not one of 1–5/,
    );
    expect(load(new Map([...state, [`${name}.zero_point`, { dtype: 'I32', shape: [1], data: Int32Array.of(300) }]]))).toThrow(
      `q.safetensors: ${name}'s zero point must be in [0, 255], got 300`,
    );
    expect(load(new Map([...state, ['extra', { dtype: 'U8', shape: [1], data: Uint8Array.of(1) }]]))).toThrow(
      "q.safetensors: the static int8 file holds 'extra', which no stage named in its metadata uses",
    );
    expect(load(state, { ...meta, stages: '[1, 2' })).toThrow("q.safetensors: the static int8 file's 'stages' metadata is not JSON");
    expect(() => modelFromBytes(modelToBytes(q), { source: 'q.safetensors', model: new MLP([2, 2]) })).toThrow(
      "q.safetensors: a static int8 model's file; it loads as a StaticQuantizedModel, not into a MLP",
    );
  });

  it('an input of the wrong shape is refused naming the stage; a step static int8 cannot run is refused by name', () => {
    const q = quantizeStatic(cnn(), data, { images: 4 });
    expect(() => q.forward(Tensor.randn([2, 2, 16, 8], rng))).toThrow(
      `StaticQuantizedModel ${q.stages[0].name}: expects [N, 1, H, W], got [2, 2, 16, 8]`,
    );
    const odd = new Sequential(
      new Linear(4, 3, { rng }),
      new (class Odd extends Module {
        override forward(x: Tensor): Tensor {
          return x;
        }
      })(),
    );
    expect(() => quantizeStatic(odd, { x: Tensor.randn([3, 4], rng), labels: new Int32Array(3) })).toThrow(
      /^quantizeStatic: step 1 is a Odd; static int8 runs Linear, Conv2d, ReLU, MaxPool2d and Flatten$/,
    );
  });
});
