import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toSparse } from '../src/compress/csr.js';
import { FactorizedLinear } from '../src/compress/low-rank.js';
import { quantizeDynamic } from '../src/compress/quantize.js';
import type { Linear } from '../src/nn/layers.js';
import { MLP, TeacherNet } from '../src/nn/models.js';
import type { Module } from '../src/nn/module.js';
import { loadCompressedModel, loadWeights, saveModel } from '../src/node/files.js';
import { loadMnist } from '../src/node/mnist.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { tempDir } from './helpers.js';

/**
 * Hostile files: good safetensors checkpoints (dense and every compressed kind) and IDX
 * files, mutated by a seeded generator: flipped bytes, truncations, and edits of the
 * safetensors header (swapped data offsets, changed shapes and dtypes, removed fields,
 * names like `__proto__`). Every case must either load something that computes finite
 * outputs, or throw a plain Error whose message names the file: never a TypeError or a
 * RangeError from inside, never NaN, never a hang.
 */

const rng = new Rng(2026);
const pick = <T>(items: readonly T[]): T => items[rng.int(items.length)];

/** A copy of `bytes` with one seeded mutation; `headerEnd` marks where structure ends and data begins. */
function mutate(bytes: Uint8Array, headerEnd: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  switch (rng.int(5)) {
    case 0: // flip 1–4 bytes, mostly in the header
      for (let k = 1 + rng.int(4); k > 0; k--) {
        const at = rng.uniform() < 0.7 ? rng.int(headerEnd) : rng.int(out.length);
        out[at] ^= 1 + rng.int(255);
      }
      return out;
    case 1: // truncate
      return out.subarray(0, rng.int(out.length));
    case 2: // append junk
      return Uint8Array.from([...out, ...Array.from({ length: 1 + rng.int(16) }, () => rng.int(256))]);
    case 3: {
      // a float of the data set to NaN or ±Infinity (little-endian bytes of 0x7fc00000, 0x7f800000, 0xff800000)
      const at = headerEnd + 4 * rng.int(Math.max(1, Math.floor((out.length - headerEnd) / 4)));
      if (at + 4 <= out.length)
        out.set(
          pick([
            [0, 0, 0xc0, 0x7f],
            [0, 0, 0x80, 0x7f],
            [0, 0, 0x80, 0xff],
          ]),
          at,
        );
      return out;
    }
    default: // one byte of the header set to a character that breaks or bends the JSON
      out[8 + rng.int(Math.max(1, headerEnd - 8))] = pick([0x22, 0x7b, 0x7d, 0x2c, 0x2d, 0x30, 0x39, 0x5b, 0x5d, 0x20]);
      return out;
  }
}

/** A safetensors file with its JSON header edited structurally, re-encoded with a consistent length. */
function editHeader(bytes: Uint8Array): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const a = header[pick(names)],
    b = header[pick(names)];
  switch (rng.int(7)) {
    case 0:
      [a.data_offsets, b.data_offsets] = [b.data_offsets, a.data_offsets];
      break;
    case 1:
      a.shape = a.shape.map((d: number) => d + pick([-1, 1, 2]));
      break;
    case 2:
      a.dtype = pick(['F16', 'BF16', 'constructor', '__proto__', 'toString', 'I8', 'U16', 'F64', 'I32', 7]);
      break;
    case 3:
      delete a[pick(['dtype', 'shape', 'data_offsets'])];
      break;
    case 4:
      header.__metadata__ = pick([7, [], { a: 1 }, null, 'x']);
      break;
    case 5:
      a.data_offsets = pick([[0, 1e300], [-4, 8], [2 ** 53, 2 ** 53 + 4], 'x', [1, 2, 3]]);
      break;
    default:
      header[pick(['__proto__', 'constructor', 'hasOwnProperty'])] = { dtype: 'F32', shape: [1], data_offsets: [0, 4] };
      break;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + n), 8 + json.length);
  return out;
}

/** The error is ours, about this file: not an internal TypeError/RangeError, and it names the file. */
function expectNamedError(e: unknown, path: string): void {
  expect(e).toBeInstanceOf(Error);
  expect(e instanceof TypeError || e instanceof RangeError, String(e)).toBe(false);
  expect((e as Error).message).toContain(path);
}

/** Largest magnitude of any finite float the model holds: past 1e15 an overflow to ±Infinity is the honest output. */
function largestFloat(model: Module): number {
  let m = 0;
  for (const e of model.stateDict().values())
    if (e.dtype === 'F32') for (const v of e.data) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return m;
}

interface Subject {
  name: string;
  model: () => Module;
  skeleton: () => Module;
  load: (skeleton: Module, path: string) => Promise<unknown>;
  input: Tensor;
}

const mlp = (): MLP => new MLP([20, 12, 5], new Rng(3));
const SUBJECTS: Subject[] = [
  { name: 'dense', model: mlp, skeleton: mlp, load: (m, p) => loadWeights(m, p), input: Tensor.ones([2, 20]) },
  { name: 'sparse', model: () => toSparse(mlp()), skeleton: mlp, load: loadCompressedModel, input: Tensor.ones([2, 20]) },
  {
    name: 'int8',
    model: () => quantizeDynamic(mlp(), { perChannel: true }),
    skeleton: mlp,
    load: loadCompressedModel,
    input: Tensor.ones([2, 20]),
  },
  {
    name: 'factorized',
    skeleton: mlp,
    load: loadCompressedModel,
    input: Tensor.ones([2, 20]),
    model: () => {
      const m = mlp();
      m.setLayer(0, FactorizedLinear.fromLinear(m.layers[0] as Linear, { rank: 3 }));
      return m;
    },
  },
  {
    name: 'int8 teacher',
    model: () => quantizeDynamic(new TeacherNet(new Rng(4)), { conv: true }),
    skeleton: () => new TeacherNet(),
    load: loadCompressedModel,
    input: Tensor.ones([1, 1, 28, 28]),
  },
];

describe('fuzz: mutated checkpoints and IDX files are refused clearly or load into a working model', () => {
  for (const subject of SUBJECTS) {
    it(`${subject.name} safetensors: 80 seeded mutations`, async () => {
      const dir = tempDir('fuzz');
      const good = join(dir, 'good.safetensors');
      await saveModel(subject.model(), good);
      const bytes = readFileSync(good);
      const headerEnd = 8 + Number(bytes.readBigUInt64LE(0));
      let refused = 0,
        loaded = 0;
      for (let i = 0; i < 80; i++) {
        const path = join(dir, `case-${i}.safetensors`);
        writeFileSync(path, i % 3 === 2 ? editHeader(bytes) : mutate(bytes, headerEnd));
        const model = subject.skeleton();
        try {
          await subject.load(model, path);
        } catch (e) {
          expectNamedError(e, path);
          refused++;
          continue;
        }
        loaded++;
        const y = noGrad(() => model.forward(subject.input)).data;
        if (largestFloat(model) < 1e15) expect(y.every(Number.isFinite), `case ${i}: outputs ${y.slice(0, 4)}`).toBe(true);
      }
      // Both outcomes occur, so the check above is exercised.
      expect(refused).toBeGreaterThan(10);
      expect(loaded).toBeGreaterThan(0);
    }, 60_000);
  }

  it('IDX files: 120 seeded mutations of a small MNIST test split', async () => {
    const count = 6;
    const images = new Uint8Array(16 + count * 784);
    new DataView(images.buffer).setUint32(0, 0x803);
    [count, 28, 28].forEach((d, i) => {
      new DataView(images.buffer).setUint32(4 + 4 * i, d);
    });
    images.forEach((_, i) => {
      if (i >= 16) images[i] = (i * 37) % 256;
    });
    const labels = new Uint8Array(8 + count);
    new DataView(labels.buffer).setUint32(0, 0x801);
    new DataView(labels.buffer).setUint32(4, count);
    labels.set([3, 1, 4, 1, 5, 9], 8);
    let refused = 0,
      loaded = 0;
    for (let i = 0; i < 120; i++) {
      const dir = tempDir('fuzz-idx');
      const [target, other] = i % 2 ? [labels, images] : [images, labels];
      const names = i % 2 ? ['t10k-labels-idx1-ubyte', 't10k-images-idx3-ubyte'] : ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
      writeFileSync(join(dir, names[0]), mutate(target, i % 2 ? 8 : 16));
      writeFileSync(join(dir, names[1]), other);
      try {
        const split = await loadMnist('test', { dir });
        loaded++;
        expect(split.images.every(Number.isFinite)).toBe(true);
        expect(split.images.length).toBe(split.count * 784);
        expect([...split.labels].every((y) => y <= 9)).toBe(true);
      } catch (e) {
        expectNamedError(e, dir);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(10);
    expect(loaded).toBeGreaterThan(0);
  }, 60_000);
});
