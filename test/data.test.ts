import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataLoader } from '../src/data/loader.js';
import { readIdx } from '../src/node/idx.js';
import { loadMnist, type MnistSplit, mnistDataDir } from '../src/node/mnist.js';
import { tempDir } from './helpers.js';

/** Writes an IDX file of unsigned bytes with the given shape (and optionally other bytes). */
function idxBytes(shape: number[], values: number[], type = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = type;
  header[3] = shape.length;
  shape.forEach((d, i) => {
    header.writeUInt32BE(d, 4 + 4 * i);
  });
  return Buffer.concat([header, Buffer.from(values)]);
}

describe('IDX reader', () => {
  const dir = tempDir('idx');
  const write = (name: string, bytes: Uint8Array): string => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };

  it('reads a small file', async () => {
    const { shape, data } = await readIdx(write('ok', idxBytes([2, 3], [1, 2, 3, 4, 5, 6])));
    expect(shape).toEqual([2, 3]);
    expect([...data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('names the file and the problem for every kind of bad file', async () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ['truncated', idxBytes([2, 3], [1, 2, 3]), /truncated: shape \[2, 3\] needs 18 bytes, file has 15/],
      ['long', idxBytes([2], [1, 2, 3]), /corrupt: shape \[2\] needs 10 bytes, file has 11/],
      ['magic', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]), /wrong magic number 0x504b0304/],
      ['dtype', idxBytes([1], [0, 0, 0, 0, 0, 0, 0, 0], 0x0e), /unsupported IDX data type 0xe \(double\)/],
      ['header', Buffer.from([0, 0, 8, 3, 0, 0]), /truncated header: 3 dimensions need 16 bytes, file has 6/],
      ['tiny', Buffer.from([0, 0]), /file is 2 bytes, too short for an IDX header/],
    ];
    for (const [name, bytes, message] of cases) {
      await expect(readIdx(write(name, bytes))).rejects.toThrow(new RegExp(`${name}: ${message.source}`));
    }
    await expect(readIdx(join(dir, 'missing'))).rejects.toThrow(/missing: file not found/);
  });

  it('MNIST with more labels than images is refused, naming both files', async () => {
    const src = mnistDataDir();
    const d = tempDir('mnist');
    copyFileSync(join(src, 't10k-images-idx3-ubyte'), join(d, 't10k-images-idx3-ubyte'));
    writeFileSync(join(d, 't10k-labels-idx1-ubyte'), idxBytes([3], [1, 2, 3]));
    await expect(loadMnist('test', { dir: d })).rejects.toThrow(
      /t10k-labels-idx1-ubyte: has 3 labels but .*t10k-images-idx3-ubyte has 10000 images/,
    );
    writeFileSync(join(d, 't10k-labels-idx1-ubyte'), idxBytes([10000], new Array(10000).fill(12)));
    await expect(loadMnist('test', { dir: d })).rejects.toThrow(/label 12 at index 0 is not a digit/);
  });

  it('a truncated copy of the real image file is refused', async () => {
    const bytes = readFileSync(join(mnistDataDir(), 't10k-images-idx3-ubyte'));
    await expect(readIdx(write('cut-images', bytes.subarray(0, 5000)))).rejects.toThrow(
      /cut-images: truncated: shape \[10000, 28, 28\] needs 7840016 bytes, file has 5000/,
    );
  });
});

describe('MNIST', () => {
  let test: MnistSplit;
  beforeAll(async () => {
    test = await loadMnist('test');
  });

  it('loads the test split normalized to [-1, 1]', () => {
    expect(test.count).toBe(10000);
    expect(test.images.length).toBe(10000 * 784);
    let lo = Infinity,
      hi = -Infinity;
    for (const v of test.images) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBe(-1);
    expect(hi).toBe(1);
    expect(test.labels[0]).toBe(7); // the famous first test digit
    const counts = new Array(10).fill(0);
    test.labels.forEach((y) => {
      counts[y]++;
    });
    expect(counts.every((c) => c > 800)).toBe(true);
  });

  it('refuses a split with 0 images, or images that are not 28×28, naming the file', async () => {
    for (const [dims, message] of [
      [[0, 28, 28], /t10k-images-idx3-ubyte: holds 0 images/],
      [[2, 14, 14], /t10k-images-idx3-ubyte: holds 14×14 images; MNIST's are 28×28/],
    ] as const) {
      const dir = tempDir('mnist-bad');
      writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idxBytes([...dims], new Array(dims[0] * dims[1] * dims[2]).fill(0)));
      writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idxBytes([dims[0]], new Array(dims[0]).fill(1)));
      await expect(loadMnist('test', { dir })).rejects.toThrow(message);
    }
  });

  it('limit keeps the first examples', async () => {
    const small = await loadMnist('train', { limit: 100 });
    expect(small.count).toBe(100);
    expect(small.labels[0]).toBe(5);
    expect(small.images.length).toBe(100 * 784);
  });
});

describe('DataLoader', () => {
  const n = 10;
  const dataset = {
    images: Float32Array.from({ length: n * 4 }, (_, i) => Math.floor(i / 4)),
    labels: Int32Array.from({ length: n }, (_, i) => i),
    count: n,
  };
  const opts = { batchSize: 4, sampleShape: [2, 2] };

  it('batches in order without shuffling, the last batch smaller', () => {
    const batches = [...new DataLoader(dataset, opts)];
    expect(batches.map((b) => b.size)).toEqual([4, 4, 2]);
    expect(batches[0].x.shape).toEqual([4, 2, 2]);
    expect([...batches[2].labels]).toEqual([8, 9]);
    expect([...batches[2].x.data]).toEqual([8, 8, 8, 8, 9, 9, 9, 9]);
  });

  it('shuffles reproducibly: same seed same order, each pass a new order, every example once', () => {
    const order = (l: DataLoader) => [...l].flatMap((b) => [...b.labels]);
    const a = new DataLoader(dataset, { ...opts, shuffle: true, seed: 3 });
    const b = new DataLoader(dataset, { ...opts, shuffle: true, seed: 3 });
    const first = order(a);
    expect(first).toEqual(order(b));
    expect([...first].sort((x, y) => x - y)).toEqual([...Array(n).keys()]);
    expect(order(a)).not.toEqual(first);
    // images follow their labels through the shuffle
    for (const batch of new DataLoader(dataset, { ...opts, shuffle: true, seed: 9 })) {
      batch.labels.forEach((y, i) => {
        expect(batch.x.data[i * 4]).toBe(y);
      });
    }
  });

  it('limit and dropLast', () => {
    expect([...new DataLoader(dataset, { ...opts, limit: 6 })].map((b) => b.size)).toEqual([4, 2]);
    expect(new DataLoader(dataset, { ...opts, dropLast: true }).length).toBe(2);
  });

  it('refuses inconsistent data', () => {
    expect(() => new DataLoader({ ...dataset, count: 11 }, opts)).toThrow(
      /DataLoader: 40 values do not hold 11 examples of shape \[2, 2\]/,
    );
    expect(() => new DataLoader(dataset, { ...opts, batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
  });
});
