import { describe, expect, it } from 'vitest';
import { BitReader, BitWriter } from '../src/compress/bits.js';
import {
  canonicalCodes,
  checkLengths,
  huffmanDecode,
  huffmanEncode,
  huffmanLengths,
  MAX_CODE_LENGTH,
  packLengths,
  unpackLengths,
} from '../src/compress/huffman.js';
import { kmeans1d, linearCentroids, nearest } from '../src/compress/kmeans.js';
import { decodeRelative, encodeRelative } from '../src/compress/relative-index.js';
import { crc32 } from '../src/io/crc32.js';
import { fromFloat16Bits, roundToFloat16, toFloat16Bits } from '../src/io/float16.js';
import { Rng } from '../src/tensor/random.js';

describe('k-means in one dimension', () => {
  it('finds the obvious clusters of a tiny input', () => {
    const { centroids, assignments } = kmeans1d([0, 0.1, 2.5, 2.6, 5, 5.1], 3);
    expect([...centroids]).toEqual([expect.closeTo(0.05, 6), expect.closeTo(2.55, 6), expect.closeTo(5.05, 6)]);
    expect([...assignments]).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it('keeps the centroid of a cluster that starts empty (a local optimum of the linear start)', () => {
    // Starts at 0, 2.6, 5.2: nothing lies nearest 2.6, so it stays while the others move.
    const { centroids, assignments } = kmeans1d([0, 0.1, 1, 1.1, 5, 5.2], 3);
    expect([...centroids]).toEqual([expect.closeTo(0.55, 6), expect.closeTo(2.6, 6), expect.closeTo(5.1, 6)]);
    expect([...assignments]).toEqual([0, 0, 0, 0, 2, 2]);
  });

  it('starts from centroids spaced evenly over [min, max]', () => {
    expect([...linearCentroids(-1, 1, 5)]).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect([...linearCentroids(2, 4, 1)]).toEqual([3]);
    // Two values, two clusters: the linear start already is the answer.
    const r = kmeans1d([-1, 1], 2);
    expect([...r.centroids]).toEqual([-1, 1]);
    expect(r.iterations).toBe(0);
  });

  it('converges to a fixed point: every value at its nearest centroid, every centroid the mean of its values', () => {
    const rng = new Rng(3);
    const values = Float32Array.from({ length: 500 }, () => rng.normal() * (rng.uniform() < 0.5 ? 0.1 : 1));
    const { centroids, assignments } = kmeans1d(values, 8);
    for (let i = 0; i < values.length; i++) {
      const d = Math.abs(values[i] - centroids[assignments[i]]);
      for (const c of centroids) expect(d).toBeLessThanOrEqual(Math.abs(values[i] - c) + 1e-6);
    }
    for (let j = 0; j < 8; j++) {
      const members = [...values].filter((_, i) => assignments[i] === j);
      if (members.length) expect(centroids[j]).toBeCloseTo(members.reduce((a, b) => a + b, 0) / members.length, 5);
    }
    expect([...nearest(values, centroids)]).toEqual([...assignments]);
  });

  it('handles one value, k larger than the values, and refuses a bad k or non-finite values', () => {
    expect([...kmeans1d([0.5], 4).assignments]).toEqual([0]);
    expect(kmeans1d([], 4).assignments.length).toBe(0);
    expect(() => kmeans1d([1, 2], 0)).toThrow(/k must be an integer/);
    expect(() => kmeans1d([1, NaN], 2)).toThrow(/finite/);
  });
});

describe('bit streams', () => {
  it('round-trip fields of any width, most significant bit first', () => {
    const w = new BitWriter();
    w.write(0b101, 3);
    w.write(0xabcd, 16);
    w.write(1, 1);
    const bytes = w.finish();
    expect(bytes.length).toBe(3);
    expect(bytes[0]).toBe(0b10110101);
    const r = new BitReader(bytes);
    expect([r.read(3), r.read(16), r.read(1), r.remaining]).toEqual([0b101, 0xabcd, 1, 4]);
    expect(r.read(5)).toBe(-1);
  });
});

describe('canonical Huffman coding', () => {
  it('gives frequent symbols short codes and an optimal total length', () => {
    expect([...huffmanLengths([5, 1, 1])]).toEqual([1, 2, 2]);
    expect([...huffmanLengths([1, 1, 1, 1])]).toEqual([2, 2, 2, 2]);
    // Textbook example: counts 45, 13, 12, 16, 9, 5 cost 224 bits.
    const counts = [45, 13, 12, 16, 9, 5];
    const lengths = huffmanLengths(counts);
    expect(counts.reduce((a, c, s) => a + c * lengths[s], 0)).toBe(224);
  });

  it('refuses a length cap too short for the symbols instead of halving counts forever', () => {
    // Found by the Huffman property test: 300 symbols under an 8-bit cap looped without end.
    expect(() => huffmanLengths(new Float64Array(300).fill(1), 8)).toThrow(
      /huffmanLengths: 300 symbols cannot all have codes of 1 to at most 8 bits/,
    );
    expect(() => huffmanLengths([1, 2], 0)).toThrow(/at most 0 bits/);
    expect([...huffmanLengths(new Float64Array(256).fill(1), 8)].every((l) => l === 8)).toBe(true);
  });

  it('hands out prefix-free canonical codes', () => {
    const lengths = Uint8Array.of(3, 3, 3, 3, 3, 2, 4, 4);
    const codes = canonicalCodes(lengths);
    expect([...codes]).toEqual([2, 3, 4, 5, 6, 0, 14, 15]);
    const words = [...codes].map((c, s) => c.toString(2).padStart(lengths[s], '0'));
    for (const a of words) for (const b of words) if (a !== b) expect(b.startsWith(a)).toBe(false);
  });

  it('round-trips random symbol streams', () => {
    const rng = new Rng(11);
    for (const size of [2, 7, 64, 256]) {
      const symbols = Uint16Array.from({ length: 3000 }, () =>
        Math.min(size - 1, Math.floor((-Math.log(rng.uniform() + 1e-12) * size) / 6)),
      );
      const counts = new Float64Array(size);
      for (const s of symbols) counts[s]++;
      const lengths = huffmanLengths(counts);
      const { bytes, bits } = huffmanEncode(symbols, lengths);
      expect(bytes.length).toBe(Math.ceil(bits / 8));
      expect([...huffmanDecode(bytes, lengths, symbols.length)]).toEqual([...symbols]);
    }
  });

  it('codes a single-symbol alphabet in one bit per symbol, and an empty stream in no bytes', () => {
    const lengths = huffmanLengths([0, 9, 0]);
    expect([...lengths]).toEqual([0, 1, 0]);
    const { bytes, bits } = huffmanEncode([1, 1, 1], lengths);
    expect(bits).toBe(3);
    expect([...huffmanDecode(bytes, lengths, 3)]).toEqual([1, 1, 1]);
    const empty = huffmanLengths([0, 0]);
    expect(huffmanEncode([], empty).bytes.length).toBe(0);
    expect(huffmanDecode(new Uint8Array(0), empty, 0).length).toBe(0);
  });

  it('caps code lengths at 15 bits even for Fibonacci counts', () => {
    const fib = [1, 1];
    while (fib.length < 30) fib.push(fib.at(-1)! + fib.at(-2)!);
    const lengths = huffmanLengths(fib);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(MAX_CODE_LENGTH);
    expect(checkLengths(lengths)).toBeNull();
    const symbols = fib.map((_, s) => s);
    expect([...huffmanDecode(huffmanEncode(symbols, lengths).bytes, lengths, symbols.length)]).toEqual(symbols);
  });

  it('refuses a stream that ends early, holds no code, or has bits after the last symbol', () => {
    const lengths = huffmanLengths([0, 9, 0]); // one code: "0"
    expect(() => huffmanDecode(Uint8Array.of(0), lengths, 9)).toThrow(/ends after 8 of 9 symbols/);
    expect(() => huffmanDecode(Uint8Array.of(0x80, 0), lengths, 1)).toThrow(/symbol 0 is not a valid code/);
    expect(() => huffmanDecode(Uint8Array.of(0x01), lengths, 3)).toThrow(/unexpected bits/);
    expect(() => huffmanDecode(Uint8Array.of(0, 0), lengths, 3)).toThrow(/unexpected bits/);
    expect(() => huffmanDecode(Uint8Array.of(0), Uint8Array.of(1, 1, 1), 1)).toThrow(/Kraft/);
  });

  it('packs two code lengths per byte', () => {
    const lengths = Uint8Array.of(15, 0, 3, 7, 1);
    const packed = packLengths(lengths);
    expect([...packed]).toEqual([0xf0, 0x37, 0x10]);
    expect([...unpackLengths(packed, 5)]).toEqual([...lengths]);
    expect(() => packLengths(Uint8Array.of(16))).toThrow(/4 bits/);
  });
});

describe('relative (delta) indices', () => {
  it('stores gaps, with fillers where a gap overflows the bits', () => {
    const { gaps, fillers } = encodeRelative([0, 2, 40], 4);
    expect([...gaps]).toEqual([1, 2, 0, 0, 8]);
    expect(fillers).toBe(2);
    expect([...decodeRelative(gaps, 4, 41)]).toEqual([0, 2, 40]);
  });

  it('forces fillers with 1-bit gaps, and round-trips random positions at every width', () => {
    expect([...encodeRelative([0, 1, 3], 1).gaps]).toEqual([1, 1, 0, 1]);
    const rng = new Rng(5);
    const positions = [...Array(5000).keys()].filter(() => rng.uniform() < 0.05);
    for (let bits = 1; bits <= 8; bits++) {
      const { gaps, fillers } = encodeRelative(positions, bits);
      expect(gaps.length).toBe(positions.length + fillers);
      expect([...decodeRelative(gaps, bits, 5000)]).toEqual(positions);
    }
    expect(encodeRelative([], 5).gaps.length).toBe(0);
  });

  it('refuses positions out of order and gaps past the layer', () => {
    expect(() => encodeRelative([3, 3], 5)).toThrow(/ascending/);
    expect(() => encodeRelative([-1], 5)).toThrow(/ascending/);
    expect(() => decodeRelative([5], 4, 4, 'fc1')).toThrow(/fc1: weight 0 lands at position 4, past the layer's 4 weights/);
    expect(() => decodeRelative([16], 4, 100)).toThrow(/does not fit in 4 bits/);
  });
});

describe('CRC-32', () => {
  it('matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('half precision', () => {
  it('encodes and decodes IEEE binary16, rounding to nearest even', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [1 / 3, 0x3555],
      [2 ** -24, 0x0001],
      [2 ** -14, 0x0400],
      [0, 0],
      [-0, 0x8000],
      [1e6, 0x7c00],
      [Infinity, 0x7c00],
    ];
    for (const [x, h] of cases) {
      expect(toFloat16Bits(x), String(x)).toBe(h);
      expect(Object.is(fromFloat16Bits(h), x) || !Number.isFinite(x) || x === 1e6 || x === 1 / 3).toBe(true);
    }
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN)))).toBe(true);
    // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties go to the even pattern (1).
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(roundToFloat16(0.1)).toBe(0.0999755859375);
    // Every pattern but NaNs round-trips.
    for (let h = 0; h < 0x10000; h++) if ((h & 0x7c00) !== 0x7c00 || (h & 0x3ff) === 0) expect(toFloat16Bits(fromFloat16Bits(h))).toBe(h);
  });
});
