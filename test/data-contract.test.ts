import { describe, expect, it } from 'vitest';
import { type Dataset, subset, toTensorSet } from '../src/data/dataset.js';
import { decodeIdx, IdxError } from '../src/data/idx.js';
import { DataLoader } from '../src/data/loader.js';
import { mnistSplit } from '../src/data/mnist.js';
import { batchesOf } from '../src/data/tensor-set.js';
import { Tensor } from '../src/tensor/tensor.js';

/**
 * The data layer's contract, through its public functions: IDX bytes decoded or refused
 * with the file and the problem named, MNIST normalized as the notebook does, slices and
 * loaders at their edges. (Written for the mutants StrykerJS left alive in src/data: each
 * test here fails with one of them planted.)
 */

/** An IDX file: big-endian header (two zero bytes, type, rank, dimensions) and its payload. */
function idx(type: number, shape: number[], payload: ArrayLike<number>, width = 1): Uint8Array {
  const bytes = new Uint8Array(4 + 4 * shape.length + payload.length * width);
  const view = new DataView(bytes.buffer);
  bytes[2] = type;
  bytes[3] = shape.length;
  shape.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d, false);
  });
  const at = 4 + 4 * shape.length;
  for (let i = 0; i < payload.length; i++) {
    if (width === 1) bytes[at + i] = payload[i];
    else if (type === 0x0c) view.setInt32(at + 4 * i, payload[i], false);
    else view.setFloat32(at + 4 * i, payload[i], false);
  }
  return bytes;
}

describe('decodeIdx', () => {
  it('decodes unsigned bytes, big-endian int32 and float32, from a view at any offset', () => {
    expect(decodeIdx(idx(0x08, [2, 3], [1, 2, 3, 250, 5, 6]), 'u8')).toEqual({ shape: [2, 3], data: Uint8Array.of(1, 2, 3, 250, 5, 6) });
    const ints = decodeIdx(idx(0x0c, [3], [-7, 65536, 2 ** 31 - 1], 4), 'i32');
    expect(ints.data).toBeInstanceOf(Int32Array);
    expect([...ints.data]).toEqual([-7, 65536, 2 ** 31 - 1]);
    const floats = decodeIdx(idx(0x0d, [1, 2], [0.5, -1.25], 4), 'f32');
    expect(floats.data).toBeInstanceOf(Float32Array);
    expect([...floats.data]).toEqual([0.5, -1.25]);
    // The same file inside a larger buffer: offsets count from the view, not the buffer.
    const file = idx(0x0c, [2], [11, -12], 4);
    const outer = new Uint8Array(file.length + 5);
    outer.set(file, 3);
    expect([...decodeIdx(outer.subarray(3, 3 + file.length), 'inner').data]).toEqual([11, -12]);
  });

  it('refuses each malformed header naming the file and the problem', () => {
    const bad: [Uint8Array, RegExp][] = [
      [Uint8Array.of(0, 0, 8), /^f: file is 3 bytes, too short for an IDX header$/],
      [Uint8Array.of(0, 0, 8, 1, 0, 0, 0), /^f: truncated header: 1 dimensions need 8 bytes, file has 7$/],
      [Uint8Array.of(1, 0, 8, 1), /^f: wrong magic number 0x01000801 \(an IDX file starts with two zero bytes\)$/],
      [Uint8Array.of(0, 2, 8, 1), /^f: wrong magic number 0x00020801/],
      [Uint8Array.of(0, 0, 0x0b, 1), /^f: unsupported IDX data type 0xb \(short\); supported: ubyte, int, float$/],
      [Uint8Array.of(0, 0, 0x42, 1), /^f: unsupported IDX data type 0x42 \(unknown\)/],
      [Uint8Array.of(0, 0, 8, 0), /^f: IDX header declares 0 dimensions$/],
      [idx(0x08, [2, 2], [1, 2, 3]), /^f: truncated: shape \[2, 2\] needs 16 bytes, file has 15$/],
      [idx(0x0c, [2], [1, 2, 3], 4), /^f: corrupt: shape \[2\] needs 16 bytes, file has 20 \(4 extra\)$/],
    ];
    for (const [bytes, message] of bad) {
      let thrown: unknown;
      try {
        decodeIdx(bytes, 'f');
      } catch (e) {
        thrown = e;
      }
      expect(thrown, String(message)).toBeInstanceOf(IdxError);
      expect((thrown as IdxError).name).toBe('IdxError');
      expect((thrown as IdxError).file).toBe('f');
      expect((thrown as IdxError).message).toMatch(message);
    }
    expect(() => decodeIdx([0, 0, 8, 1] as unknown as Uint8Array, 'f')).toThrow(
      /^decodeIdx: expected the file's bytes as a Uint8Array, got 0,0,8,1$/,
    );
    expect(() => decodeIdx(idx(0x08, [1], [1]), 7 as unknown as string)).toThrow(
      /^decodeIdx: expected the file's name for messages, got 7$/,
    );
  });
});

describe('mnistSplit', () => {
  const images = (n: number, pixels: (i: number) => number, rows = 28, cols = 28) =>
    decodeIdx(
      idx(
        0x08,
        [n, rows, cols],
        Array.from({ length: n * rows * cols }, (_, i) => pixels(i)),
      ),
      'img',
    );
  const labels = (ys: number[]) => decodeIdx(idx(0x08, [ys.length], ys), 'lab');

  it('normalizes each pixel as (x/255 − 0.5)/0.5, and keeps the first `limit` examples', () => {
    const split = mnistSplit(
      images(2, (i) => [0, 255, 51, 128][i % 4]),
      labels([3, 9]),
    );
    expect([split.count, split.rows, split.cols]).toEqual([2, 28, 28]);
    expect(split.images.length).toBe(2 * 784);
    expect([...split.images.subarray(0, 4)]).toEqual([-1, 1, 51 / 127.5 - 1, 128 / 127.5 - 1].map(Math.fround));
    expect(split.images[2 * 784 - 1]).toBe(Math.fround(128 / 127.5 - 1));
    const one = mnistSplit(
      images(2, () => 255),
      labels([3, 9]),
      { limit: 1 },
    );
    expect([one.count, one.images.length, [...one.labels]]).toEqual([1, 784, [3]]);
    expect(
      mnistSplit(
        images(2, () => 0),
        labels([1, 2]),
        { limit: 5 },
      ).count,
    ).toBe(2);
  });

  it('refuses what is not MNIST, naming the file it came from (default names: images, labels)', () => {
    const ok = images(1, () => 0);
    expect(() =>
      mnistSplit(
        images(1, () => 0, 28, 27),
        labels([1]),
      ),
    ).toThrow(/^images: holds 28×27 images; MNIST's are 28×28$/);
    expect(() =>
      mnistSplit(
        images(1, () => 0, 27, 28),
        labels([1]),
      ),
    ).toThrow(/^images: holds 27×28 images/);
    expect(() => mnistSplit(labels([1, 2]), labels([1]))).toThrow(
      /^images: expected unsigned-byte images \[count, rows, cols\], got \[2\]$/,
    );
    const floats = decodeIdx(idx(0x0d, [1, 28, 28], new Array(784).fill(0), 4), 'img');
    expect(() => mnistSplit(floats, labels([1]), { imageFile: 'x.idx' })).toThrow(/^x\.idx: expected unsigned-byte images/);
    expect(() => mnistSplit(ok, ok, { labelFile: 'y.idx' })).toThrow(
      /^y\.idx: expected unsigned-byte labels \[count\], got \[1, 28, 28\]$/,
    );
    const intLabels = decodeIdx(idx(0x0c, [1], [1], 4), 'lab');
    expect(() => mnistSplit(ok, intLabels)).toThrow(/^labels: expected unsigned-byte labels/);
    for (const limit of [0, -1, 1.5])
      expect(() => mnistSplit(ok, labels([1]), { limit })).toThrow(
        new RegExp(`^mnistSplit: limit must be a positive integer, got ${limit}$`),
      );
    expect(() => mnistSplit(null as never, labels([1]))).toThrow(/^mnistSplit: images must be a decoded IDX file .* got null$/);
    expect(() => mnistSplit(ok, { shape: [1] } as never)).toThrow(/^mnistSplit: labels must be a decoded IDX file/);
    expect(() => mnistSplit({ shape: 3, data: new Uint8Array(1) } as never, labels([1]))).toThrow(/^mnistSplit: images must be/);
    expect(() => mnistSplit(ok, { shape: [1], data: [1] } as never)).toThrow(/^mnistSplit: labels must be/);
  });
});

const dataset = (count: number, labels: ArrayLike<number> = Int32Array.from({ length: count }, (_, i) => i % 10)): Dataset => ({
  images: Float32Array.from({ length: count * 4 }, (_, i) => i),
  labels,
  count,
  sampleShape: [4],
});

describe('subset, toTensorSet and the dataset checks', () => {
  it('slices [start, end) of images and labels, typed or plain, empty and whole ranges included', () => {
    const set = dataset(5);
    const part = subset(set, 1, 3);
    expect([part.count, [...part.images], Array.from(part.labels)]).toEqual([2, [4, 5, 6, 7, 8, 9, 10, 11], [1, 2]]);
    expect(subset(set, 5, 5).count).toBe(0);
    expect(subset(set, 0, 5).count).toBe(5);
    const plain = subset(dataset(3, [7, 8, 9]), 2, 3);
    expect(Array.from(plain.labels)).toEqual([9]);
    for (const [a, b] of [
      [-1, 2],
      [3, 2],
      [0, 6],
      [0.5, 2],
      [0, 2.5],
    ]) {
      expect(() => subset(set, a, b)).toThrow(new RegExp(`^subset: \\[${a}, ${b}\\) is not a range of the 5 examples$`));
    }
  });

  it('refuses a malformed dataset by function and value', () => {
    expect(() => subset({ images: [1], labels: [1], count: 1 } as never, 0, 1)).toThrow(
      /^subset: expected a dataset \{ images: Float32Array, labels, count \}, got an object with keys \[images, labels, count\]$/,
    );
    expect(() => subset(null as never, 0, 1)).toThrow(/^subset: expected a dataset .* got null$/);
    expect(() => subset({ ...dataset(2), count: 1.5 }, 0, 1)).toThrow(/^subset: count must be an integer ≥ 0, got 1\.5$/);
    expect(() => subset({ ...dataset(2), count: -1 }, 0, 1)).toThrow(/^subset: count must be an integer ≥ 0, got -1$/);
    expect(() => subset({ ...dataset(2), labels: [1] }, 0, 1)).toThrow(/^subset: 1 labels for 2 examples$/);
    expect(() => subset({ ...dataset(2), labels: undefined as never }, 0, 1)).toThrow(/^subset: undefined labels for 2 examples$/);
  });

  it('makes one tensor set, keeping byte and int32 labels and converting plain ones', () => {
    const bytes = Uint8Array.of(1, 2);
    expect(toTensorSet(dataset(2, bytes)).labels).toBe(bytes);
    const ints = Int32Array.of(3, 4);
    expect(toTensorSet(dataset(2, ints)).labels).toBe(ints);
    const plain = toTensorSet(dataset(2, [5, 6]));
    expect(plain.labels).toBeInstanceOf(Int32Array);
    expect([...plain.labels]).toEqual([5, 6]);
    expect(plain.x.shape).toEqual([2, 4]);
    expect(toTensorSet(plain)).toBe(plain);
    expect(() => toTensorSet({ x: 1 } as never)).toThrow(/^toTensorSet: expected a dataset .* got an object with keys \[x\]$/);
    expect(() => toTensorSet(null as never, 'evaluate')).toThrow(/^evaluate: expected a dataset .* got null$/);
  });
});

describe('DataLoader at its edges', () => {
  it('takes a batch of 1 and a limit of 1, refuses 0, and shuffles by its seed (0 unless given)', () => {
    const set = dataset(6);
    expect([...new DataLoader(set, { batchSize: 1 })].length).toBe(6);
    expect(new DataLoader(set, { limit: 1 }).count).toBe(1);
    expect(() => new DataLoader(set, { batchSize: 0 })).toThrow(/^DataLoader: batchSize must be a positive integer, got 0$/);
    for (const limit of [0, 2.5])
      expect(() => new DataLoader(set, { limit })).toThrow(new RegExp(`^DataLoader: limit must be a positive integer, got ${limit}$`));
    const order = (options: object) => [...new DataLoader(set, { batchSize: 6, shuffle: true, ...options })][0].labels;
    expect([...order({})]).toEqual([...order({ seed: 0 })]);
    expect([...order({ seed: 5 })]).not.toEqual([...order({ seed: 0 })]);
  });
});

describe('batchesOf', () => {
  it('cuts a batch-first tensor into views of batchSize rows, the last shorter, never an empty one', () => {
    const x = new Tensor(
      Float32Array.from({ length: 12 }, (_, i) => i),
      [6, 2],
    );
    expect(batchesOf(x, 3).map((b) => [...b.data])).toEqual([
      [0, 1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10, 11],
    ]);
    expect(batchesOf(x, 4).map((b) => b.shape)).toEqual([
      [4, 2],
      [2, 2],
    ]);
    expect(batchesOf(x, 1)).toHaveLength(6);
    for (const size of [0, 1.5])
      expect(() => batchesOf(x, size)).toThrow(new RegExp(`^batchesOf: batchSize must be a positive integer, got ${size}$`));
  });
});
