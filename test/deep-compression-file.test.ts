import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SparseLinear } from '../src/compress/csr.js';
import { decodeDeepCompressed, encodeDeepCompressed } from '../src/compress/deep-compression-file.js';
import { Pruner } from '../src/compress/prune.js';
import { SharedWeights } from '../src/compress/weight-sharing.js';
import { roundToFloat16 } from '../src/io/float16.js';
import { Linear } from '../src/nn/layers.js';
import { LeNet300100, type MLP } from '../src/nn/models.js';
import { loadDeepCompressed } from '../src/node/files.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { expectClose, randomArray, tempDir } from './helpers.js';

describe('the Deep Compression file', () => {
  /** A pruned, weight-shared LeNet-300-100 with seeded weights, and its file's bytes. */
  function encoded(seed: number): { net: MLP; bytes: Uint8Array; shared: SharedWeights } {
    const net = new LeNet300100(new Rng(seed));
    new Pruner(net).pruneLayersTo({ fc1: 0.92, fc2: 0.91, fc3: 0.74 });
    const shared = new SharedWeights(net, (name) => (name === 'fc3' ? 2 : 5));
    // The file holds centroids and biases in float16: round the model's to match.
    shared.roundCentroids(roundToFloat16);
    const layers = new Map(net.namedModules());
    for (const l of layers.values()) if (l instanceof Linear) l.bias!.data.set(l.bias!.data.map(roundToFloat16));
    const { bytes } = encodeDeepCompressed(
      'lenet-300-100',
      shared.layers.map((l) => ({
        name: l.name,
        shape: l.weight.shape,
        codebook: l.centroids.data,
        groups: l.groups,
        bias: (layers.get(l.name) as Linear).bias!.data,
        indexBits: l.name === 'fc2' ? 5 : 'auto',
      })),
    );
    return { net, bytes, shared };
  }

  it('decodes to exactly the shared weights and biases it encoded, storing only the centroids in use', () => {
    const { net, bytes } = encoded(1);
    const { model, state } = decodeDeepCompressed(bytes);
    expect(model).toBe('lenet-300-100');
    for (const [name, p] of net.namedParameters()) expect([...state.get(name)!.data]).toEqual([...p.data]);
    // fc3 keeps 260 weights in 4 groups; a layer using 2 of its 4 centroids stores 2.
    const few = encodeDeepCompressed('x', [
      {
        name: 'fc1',
        shape: [2, 3],
        codebook: Float32Array.of(-1, -0.5, 0.5, 1),
        groups: Int32Array.of(0, -1, 3, 3, -1, 0),
        bias: null,
        indexBits: 2,
      },
    ]);
    const header = JSON.parse(
      new TextDecoder().decode(few.bytes.subarray(8, 8 + Number(new DataView(few.bytes.buffer).getBigUint64(0, true)))),
    ) as Record<string, { shape: number[] }>;
    expect(header['fc1.codebook'].shape).toEqual([2]);
    expect([...decodeDeepCompressed(few.bytes).state.get('fc1.weight')!.data]).toEqual([-1, 0, 1, 1, 0, -1]);
  });

  it('loads into a runnable model, dense or sparse, with the same logits', async () => {
    const { net, bytes } = encoded(2);
    const path = join(tempDir('deepc'), 'net.safetensors');
    writeFileSync(path, bytes);
    const x = Tensor.from(randomArray(4 * 784, new Rng(3)), [4, 784]);
    const want = noGrad(() => net.forward(x).data);
    const dense = await loadDeepCompressed(path);
    expect([...noGrad(() => dense.forward(x).data)]).toEqual([...want]);
    const sparse = await loadDeepCompressed(path, { sparse: true });
    expect((sparse as MLP).layers.every((l) => l instanceof SparseLinear)).toBe(true);
    expectClose(
      noGrad(() => sparse.forward(x).data),
      want,
      1e-5,
      1e-5,
    );
  });

  it('refuses a corrupted bit stream, codebook, code table or layer list, naming the file', () => {
    const { bytes } = encoded(3);
    const text = new TextDecoder().decode(bytes.subarray(0, 2000));
    const dataStart = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const offsetOf = (tensor: string): number => {
      const header = JSON.parse(text.slice(8, dataStart)) as Record<string, { data_offsets: number[] }>;
      return dataStart + header[tensor].data_offsets[0];
    };
    const flip = (at: number): Uint8Array => {
      const copy = bytes.slice();
      copy[at] ^= 0x10;
      return copy;
    };
    const fc1Codes = offsetOf('fc1.codes');
    expect(() => decodeDeepCompressed(flip(offsetOf('fc1.codebook') + 2), 'net.dc')).toThrow(
      /^net\.dc: .*layer fc1: its tensors do not match their CRC-32/,
    );
    expect(() => decodeDeepCompressed(flip(fc1Codes + 40), 'net.dc')).toThrow(/net\.dc: .*CRC-32/); // the row bitmap
    expect(() => decodeDeepCompressed(flip(fc1Codes + 150), 'net.dc')).toThrow(/net\.dc: .*CRC-32/); // a code table
    expect(() => decodeDeepCompressed(flip(bytes.length - 1300), 'net.dc')).toThrow(/net\.dc: .*CRC-32/); // a stream
    const list = text.indexOf('kept=');
    expect(() => decodeDeepCompressed(flip(list + 5), 'net.dc')).toThrow(/net\.dc: .*layer list does not match its CRC-32/);
  });

  it('refuses consistent-looking but wrong structure even when the CRCs are recomputed', () => {
    const groups = Int32Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? -1 : i % 2));
    const make = (codebook: Float32Array): Uint8Array =>
      encodeDeepCompressed('lenet-300-100', [{ name: 'fc1', shape: [3, 4], codebook, groups, bias: null, indexBits: 3 }]).bytes;
    expect(() => decodeDeepCompressed(make(Float32Array.of(1, NaN)), 'x')).toThrow(/x: .*codebook holds a value that is not finite/);
    const fine = decodeDeepCompressed(make(Float32Array.of(-1, 1)), 'x');
    expect([...fine.state.get('fc1.weight')!.data]).toEqual([...groups].map((g) => (g < 0 ? 0 : g ? 1 : -1)));
  });

  it('codes an empty layer (every weight pruned) and a layer with one weight', () => {
    const empty = {
      name: 'fc1',
      shape: [3, 4],
      codebook: Float32Array.of(-1, 1),
      groups: new Int32Array(12).fill(-1),
      bias: Float32Array.of(0.5, -0.25, 0),
      indexBits: 'auto' as const,
    };
    const one = {
      name: 'fc2',
      shape: [2, 3],
      codebook: Float32Array.of(-1, 1),
      groups: Int32Array.of(-1, -1, -1, -1, 1, -1),
      bias: null,
      indexBits: 'auto' as const,
    };
    const { bytes, costs } = encodeDeepCompressed('x', [empty, one]);
    expect(costs.map((c) => c.kept)).toEqual([0, 1]);
    const { state } = decodeDeepCompressed(bytes);
    expect([...state.get('fc1.weight')!.data]).toEqual(new Array(12).fill(0));
    expect([...state.get('fc1.bias')!.data]).toEqual([0.5, -0.25, 0]);
    expect([...state.get('fc2.weight')!.data]).toEqual([0, 0, 0, 0, 1, 0]);
  });

  it("stores only the live rows' biases when every row without weights has a zero bias", () => {
    const groups = Int32Array.of(0, 1, -1, -1, -1, -1, 1, -1, 0); // row 1 keeps nothing
    const layer = (bias: Float32Array) => ({
      name: 'fc1',
      shape: [3, 3],
      codebook: Float32Array.of(-0.5, 0.5),
      groups,
      bias,
      indexBits: 2 as const,
    });
    const biasShape = (bytes: Uint8Array): number[] => {
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      return (JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { shape: number[] }>)['fc1.bias'].shape;
    };
    for (const [bias, stored] of [
      [Float32Array.of(0.25, 0, -1), [2]],
      [Float32Array.of(0.25, 0.5, -1), [3]],
    ] as const) {
      const { bytes } = encodeDeepCompressed('x', [layer(bias)]);
      expect(biasShape(bytes)).toEqual(stored);
      expect([...decodeDeepCompressed(bytes).state.get('fc1.bias')!.data]).toEqual([...bias]);
    }
  });

  it('refuses files that are not Deep Compression files, and a model it cannot build', async () => {
    const dir = tempDir('deepc-bad');
    const plain = join(dir, 'plain.safetensors');
    writeFileSync(plain, readFileSync(new URL('./fixtures/pytorch/teacher.safetensors', import.meta.url)));
    await expect(loadDeepCompressed(plain)).rejects.toThrow(
      new RegExp(`${plain}: not a valid Deep Compression file: its metadata names the format`),
    );
    await expect(loadDeepCompressed(join(dir, 'missing'))).rejects.toThrow(/missing: cannot read the file \(ENOENT\)/);
    const layer = { name: 'fc1', shape: [3, 4], codebook: Float32Array.of(-1, 1), groups: new Int32Array(12), bias: null, indexBits: 2 };
    const alien = join(dir, 'alien.safetensors');
    writeFileSync(alien, encodeDeepCompressed('alexnet', [layer]).bytes);
    await expect(loadDeepCompressed(alien)).rejects.toThrow(/alien\.safetensors: unknown model 'alexnet'/);
    const misfit = join(dir, 'misfit.safetensors');
    writeFileSync(misfit, encodeDeepCompressed('lenet-5', [layer]).bytes);
    await expect(loadDeepCompressed(misfit)).rejects.toThrow(/misfit\.safetensors: the layers do not fit a lenet-5/);
  });
});
