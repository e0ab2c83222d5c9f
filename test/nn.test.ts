import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Conv2d, Flatten, Linear, ReLU, Sequential } from '../src/nn/layers.js';
import { MLP, TeacherNet } from '../src/nn/models.js';
import { decodeSafetensors, encodeSafetensors } from '../src/nn/safetensors.js';
import { loadWeights, saveModel } from '../src/node/files.js';
import { conv2d, maxPool2d } from '../src/tensor/ops/conv.js';
import { relu } from '../src/tensor/ops/elementwise.js';
import { linear } from '../src/tensor/ops/matmul.js';
import { sum } from '../src/tensor/ops/reduce.js';
import { flatten } from '../src/tensor/ops/view.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { expectClose, tempDir } from './helpers.js';

describe('modules', () => {
  it('the notebook models have its parameter counts and names', () => {
    expect(new TeacherNet(new Rng(0)).numParameters()).toBe(67786);
    expect(new MLP([784, 128, 10], new Rng(0)).numParameters()).toBe(101770);
    const mlp = new MLP([784, 512, 256, 128, 10], new Rng(0));
    expect(mlp.numParameters()).toBe(567434);
    expect(mlp.namedParameters().map(([n]) => n)).toEqual([
      'fc1.weight',
      'fc1.bias',
      'fc2.weight',
      'fc2.bias',
      'fc3.weight',
      'fc3.bias',
      'fc4.weight',
      'fc4.bias',
    ]);
    expect(new TeacherNet(new Rng(0)).namedParameters().map(([n]) => n)).toEqual([
      'conv1.weight',
      'conv1.bias',
      'fc1.weight',
      'fc1.bias',
      'fc2.weight',
      'fc2.bias',
    ]);
  });

  it('forward shapes', () => {
    const x = Tensor.zeros([3, 1, 28, 28]);
    expect(new TeacherNet(new Rng(0)).forward(x).shape).toEqual([3, 10]);
    expect(new MLP([784, 32, 10], new Rng(0)).forward(x).shape).toEqual([3, 10]);
  });

  it('Linear and Conv2d initialize as PyTorch: U(±1/√fan_in)', () => {
    const fc = new Linear(784, 512, { rng: new Rng(1) });
    const bound = 1 / Math.sqrt(784);
    const w = fc.weight.data;
    const max = w.reduce((a, b) => Math.max(a, b), -Infinity);
    const min = w.reduce((a, b) => Math.min(a, b), Infinity);
    expect(max).toBeLessThanOrEqual(bound);
    expect(min).toBeGreaterThanOrEqual(-bound);
    expect(max).toBeGreaterThan(0.95 * bound); // spread over the whole range
    const conv = new Conv2d(1, 32, 5, { rng: new Rng(1) });
    expect(conv.bias!.data.every((v) => Math.abs(v) <= 1 / 5)).toBe(true);
    expect(() => new Linear(0, 3)).toThrow(/Linear: inFeatures must be a positive integer, got 0/);
  });

  it('the same seed builds the same model', () => {
    const a = new MLP([20, 8, 3], new Rng(5));
    const b = new MLP([20, 8, 3], new Rng(5));
    expect(a.parameters().map((p) => p.toArray())).toEqual(b.parameters().map((p) => p.toArray()));
  });

  it('Sequential names children by index, and train/eval reach every module', () => {
    const net = new Sequential(new Flatten(), new Linear(4, 3), new ReLU(), new Linear(3, 2));
    expect(net.namedParameters().map(([n]) => n)).toEqual(['1.weight', '1.bias', '3.weight', '3.bias']);
    net.eval();
    expect(net.namedModules().every(([, m]) => !m.training)).toBe(true);
    expect(net.forward(Tensor.zeros([5, 2, 2])).shape).toEqual([5, 2]);
  });

  it('a layer is swapped by assignment', () => {
    const mlp = new MLP([6, 4, 2], new Rng(0));
    (mlp as unknown as { fc2: Linear }).fc2 = new Linear(4, 2, { bias: false, rng: new Rng(1) });
    expect(mlp.namedParameters().map(([n]) => n)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight']);
  });

  it('loadStateDict refuses missing, unexpected and misshapen tensors and changes nothing', () => {
    const model = new MLP([4, 3, 2], new Rng(0));
    const before = model.parameters().map((p) => p.toArray());
    const state = new MLP([4, 3, 2], new Rng(1)).stateDict();
    state.delete('fc1.bias');
    state.set('fc9.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
    state.set('fc2.weight', { dtype: 'F32', shape: [3, 2], data: new Float32Array(6) });
    expect(() => model.loadStateDict(state)).toThrow(
      /missing tensor 'fc1.bias'.*'fc2.weight' has shape \[3, 2\], expected \[2, 3\].*unexpected tensor 'fc9.weight'/,
    );
    expect(model.parameters().map((p) => p.toArray())).toEqual(before);
  });
});

describe('safetensors', () => {
  const dir = tempDir('nn');

  it('a model round-trips through a file, bit for bit', async () => {
    const a = new TeacherNet(new Rng(1));
    const path = join(dir, 'teacher.safetensors');
    await saveModel(a, path, { note: 'hello' });
    const b = new TeacherNet(new Rng(2));
    const meta = await loadWeights(b, path);
    expect(meta).toEqual({ note: 'hello' });
    expect(b.parameters().map((p) => p.toArray())).toEqual(a.parameters().map((p) => p.toArray()));
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('the layout is the published format: u64 header length, JSON, aligned data', () => {
    const bytes = encodeSafetensors(new Map([['w', { dtype: 'F32', shape: [2], data: Float32Array.of(1.5, -2) }]]));
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.w).toEqual({ dtype: 'F32', shape: [2], data_offsets: [0, 8] });
    expect([...new Float32Array(bytes.slice(8 + n).buffer)]).toEqual([1.5, -2]);
  });

  it('keeps int8 and int32 tensors', () => {
    const state = new Map([
      ['q', { dtype: 'I8' as const, shape: [3], data: Int8Array.of(-128, 0, 127) }],
      ['i', { dtype: 'I32' as const, shape: [1], data: Int32Array.of(-7) }],
      ['u16', { dtype: 'U16' as const, shape: [2], data: Uint16Array.of(0, 65535) }],
    ]);
    const back = decodeSafetensors(encodeSafetensors(state)).state;
    expect([...back.get('q')!.data]).toEqual([-128, 0, 127]);
    expect([...back.get('i')!.data]).toEqual([-7]);
  });

  it('bad files get errors that name the file and the problem', async () => {
    const good = encodeSafetensors(new TeacherNet(new Rng(1)).stateDict());
    const cases: [string, Uint8Array, RegExp][] = [
      ['short', good.subarray(0, 5), /too short/],
      [
        'bad-length',
        (() => {
          const b = good.slice();
          new DataView(b.buffer).setBigUint64(0, 1n << 40n, true);
          return b;
        })(),
        /header length \d+ exceeds the file/,
      ],
      [
        'not-json',
        (() => {
          const b = good.slice();
          b[8] = 0x41;
          return b;
        })(),
        /header is not JSON/,
      ],
      ['truncated', good.subarray(0, good.length - 10), /lies outside the \d+ data bytes/],
    ];
    for (const [name, bytes, message] of cases) {
      const path = join(dir, `${name}.safetensors`);
      writeFileSync(path, bytes);
      await expect(loadWeights(new TeacherNet(), path)).rejects.toThrow(
        new RegExp(`${name}\\.safetensors: not a valid safetensors file: .*${message.source}`),
      );
    }
    await expect(loadWeights(new TeacherNet(), join(dir, 'nope.safetensors'))).rejects.toThrow(
      /nope\.safetensors: cannot read safetensors file \(ENOENT\)/,
    );
  });

  it('hostile headers: prototype-named dtypes, a missing data_offsets, non-string metadata, and NaN weights are refused by name', () => {
    const header = (h: unknown): Uint8Array => {
      const json = new TextEncoder().encode(JSON.stringify(h));
      const out = new Uint8Array(8 + json.length + 8);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      return out;
    };
    for (const dtype of ['constructor', '__proto__', 'toString']) {
      expect(() => decodeSafetensors(header({ w: { dtype, shape: [2], data_offsets: [0, 8] } }), 'f')).toThrow(
        new RegExp(`f: .*tensor 'w' has unsupported dtype "${dtype}"`),
      );
    }
    expect(() => decodeSafetensors(header({ w: { dtype: 'F32', shape: [2] } }), 'f')).toThrow(/f: .*tensor 'w' has no data_offsets/);
    expect(() => decodeSafetensors(header({ w: 7 }), 'f')).toThrow(/f: .*tensor 'w' is described by 7, not an object/);
    for (const metadata of [7, ['a'], { a: 1 }, null]) {
      expect(() => decodeSafetensors(header({ __metadata__: metadata }), 'f')).toThrow(/f: .*__metadata__ must be an object of strings/);
    }
  });

  it('a tensor named __proto__ or constructor is kept like any other; the reserved name __metadata__ is refused', () => {
    const state = new Map([
      ['__proto__', { dtype: 'F32' as const, shape: [1], data: Float32Array.of(1) }],
      ['constructor', { dtype: 'F32' as const, shape: [1], data: Float32Array.of(2) }],
    ]);
    const back = decodeSafetensors(encodeSafetensors(state));
    expect([...back.state.keys()]).toEqual(['__proto__', 'constructor']);
    expect([...back.state.get('constructor')!.data]).toEqual([2]);
    expect(() => encodeSafetensors(new Map([['__metadata__', state.get('__proto__')!]]))).toThrow(/cannot be named '__metadata__'/);
  });

  it('a model file holding NaN or Infinity is refused, naming the tensor', async () => {
    const state = new MLP([3, 2], new Rng(0)).stateDict();
    state.get('fc1.weight')!.data[4] = NaN;
    const path = join(dir, 'nan.safetensors');
    writeFileSync(path, encodeSafetensors(state));
    await expect(loadWeights(new MLP([3, 2]), path)).rejects.toThrow(
      /nan\.safetensors: tensor 'fc1.weight' holds NaN at index 4; a model's weights must be finite/,
    );
  });

  it('a file missing a tensor, or holding the wrong dtype, is refused by name', async () => {
    const state = new TeacherNet(new Rng(1)).stateDict();
    state.delete('fc2.bias');
    const path = join(dir, 'partial.safetensors');
    writeFileSync(path, encodeSafetensors(state));
    await expect(loadWeights(new TeacherNet(), path)).rejects.toThrow(/partial\.safetensors: loadStateDict: missing tensor 'fc2.bias'/);
    const s2 = new MLP([2, 2], new Rng(0)).stateDict();
    s2.set('fc1.bias', { dtype: 'I32', shape: [2], data: new Int32Array(2) });
    writeFileSync(path, encodeSafetensors(s2));
    await expect(loadWeights(new MLP([2, 2]), path)).rejects.toThrow(/'fc1.bias' has dtype I32, expected F32/);
    expect(readFileSync(path).length).toBeGreaterThan(0);
  });
});

describe('TeacherNet pools before its ReLU, fused with the convolution', () => {
  it('gives the outputs and gradients of the notebook order (conv, ReLU, then pool)', () => {
    const net = new TeacherNet(new Rng(3));
    const x = Tensor.uniform([3, 1, 28, 28], -1, 1, new Rng(4));
    const notebookOrder = (): Tensor => {
      const c = net.conv1 as Conv2d,
        f1 = net.fc1 as Linear,
        f2 = net.fc2 as Linear;
      const h = maxPool2d(relu(conv2d(x, c.weight, c.bias)), { kernelSize: 5 });
      return linear(relu(linear(flatten(h, 1), f1.weight, f1.bias)), f2.weight, f2.bias);
    };
    const run = (f: () => Tensor): Float32Array[] => {
      for (const p of net.parameters()) p.grad = null;
      const y = f();
      sum(y).backward();
      return [y.detach().data, ...net.parameters().map((p) => Float32Array.from(p.grad!.data))];
    };
    const ours = run(() => net.forward(x));
    const theirs = run(notebookOrder);
    // Close, not bit-equal: the fused conv + pool sums the weight gradient in another order.
    ours.forEach((a, i) => {
      expectClose(a, theirs[i], 1e-4, 1e-5);
    });
  });
});
