import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { decodeDeepCompressed, encodeDeepCompressed } from '../src/compress/deep-compression-file.js';
import { checkLengths, huffmanDecode, huffmanEncode, huffmanLengths, packLengths, unpackLengths } from '../src/compress/huffman.js';
import type { SharedLayerInput } from '../src/compress/layer-coding.js';
import { decodeRelative, encodeRelative } from '../src/compress/relative-index.js';
import { fromFloat16Bits, toFloat16Bits } from '../src/io/float16.js';
import { Rng } from '../src/tensor/random.js';

import { fraction } from './helpers.js';

/**
 * The Deep Compression file's codecs over random inputs (seeded; `PROPERTY_RUNS` runs each):
 * Huffman codes, relative indices with fillers, the live-row/column bitmaps and float16,
 * each alone and through the whole file. What is written reads back as what was meant:
 * the same symbols and positions, and weights equal to their centroid rounded to float16.
 */

const RUNS = Number(process.env.PROPERTY_RUNS ?? 50);
const OPTIONS = { seed: 2030, numRuns: RUNS };

/** Symbol counts over an alphabet of 1–300, many of them zero, some very skewed. */
const counts = fc
  .record({
    size: fc.integer({ min: 1, max: 300 }),
    zeros: fraction(0, 0.9),
    skew: fc.integer({ min: 0, max: 30 }),
    seed: fc.integer(),
  })
  .map(({ size, zeros, skew, seed }) => {
    const rng = new Rng(seed);
    return Float64Array.from({ length: size }, (_, s) =>
      rng.uniform() < zeros ? 0 : 1 + Math.floor(2 ** (skew * rng.uniform())) + (s % 3),
    );
  });

describe('Huffman codes', () => {
  test.prop([counts, fc.integer({ min: 1, max: 15 }), fc.integer()], OPTIONS)(
    'fit the length limit and the code space, and decode to the symbols encoded',
    (h, maxLength, seed) => {
      const used = [...h.keys()].filter((s) => h[s] > 0);
      if (used.length > 2 ** maxLength) {
        // Too many symbols for codes that short: refused, never a loop without end.
        expect(() => huffmanLengths(h, maxLength)).toThrow(/^huffmanLengths: .* at most/);
        return;
      }
      const lengths = huffmanLengths(h, maxLength);
      expect(checkLengths(lengths)).toBeNull();
      for (let s = 0; s < h.length; s++) {
        expect(lengths[s] <= maxLength).toBe(true);
        expect(lengths[s] > 0).toBe(h[s] > 0);
      }
      expect(unpackLengths(packLengths(lengths), lengths.length)).toEqual(lengths);
      if (used.length === 0) return;
      const rng = new Rng(seed);
      const symbols = Uint16Array.from({ length: rng.int(400) }, () => used[rng.int(used.length)]);
      const { bytes, bits } = huffmanEncode(symbols, lengths);
      expect(bytes.length).toBe(Math.ceil(bits / 8));
      expect(huffmanDecode(bytes, lengths, symbols.length)).toEqual(symbols);
    },
  );

  test.prop([counts], OPTIONS)('without a binding cap, are optimal: Σ count·length equals Huffman’s cost, rarer never shorter', (h) => {
    // The cost of an optimal code is the sum of the weights Huffman's merges make.
    const heap = [...h].filter((c) => c > 0);
    let optimal = 0;
    while (heap.length > 1) {
      heap.sort((a, b) => a - b);
      const merged = heap.shift()! + heap.shift()!;
      optimal += merged;
      heap.push(merged);
    }
    const lengths = huffmanLengths(h, 255);
    const used = [...h.keys()].filter((s) => h[s] > 0);
    const cost = used.reduce((c, s) => c + h[s] * lengths[s], 0);
    // One symbol alone takes one bit, where the merge sum is 0.
    expect(cost).toBe(used.length === 1 ? h[used[0]] : optimal);
    // Rarer never shorter: by count ascending, a strictly more frequent symbol's code is no longer.
    const byCount = [...used].sort((a, b) => h[a] - h[b]);
    let longestRarer = Infinity;
    for (let i = 0, j = 0; i < byCount.length; i = j) {
      for (j = i; j < byCount.length && h[byCount[j]] === h[byCount[i]]; j++);
      const group = byCount.slice(i, j).map((s) => lengths[s]);
      expect(Math.max(...group)).toBeLessThanOrEqual(longestRarer);
      longestRarer = Math.min(...group);
    }
  });
});

/** Ascending positions in a layer of `size` weights, at any density, runs and long gaps included. */
const positions = fc
  .record({ size: fc.integer({ min: 1, max: 3000 }), density: fraction(0, 1), seed: fc.integer() })
  .map(({ size, density, seed }) => {
    const rng = new Rng(seed);
    const kept: number[] = [];
    for (let p = 0; p < size; p++) if (rng.uniform() < density ** 2) kept.push(p);
    return { size, kept: Int32Array.from(kept) };
  });

describe('relative indices', () => {
  test.prop([positions, fc.integer({ min: 1, max: 8 })], OPTIONS)(
    'decode to the positions encoded, fillers bridging the long gaps',
    ({ size, kept }, bits) => {
      const { gaps, fillers } = encodeRelative(kept, bits);
      expect(gaps.every((g) => g < 2 ** bits)).toBe(true);
      expect(gaps.filter((g) => g === 0).length).toBe(fillers);
      expect(gaps.length - fillers).toBe(kept.length);
      expect(decodeRelative(gaps, bits, size)).toEqual(kept);
    },
  );
});

describe('float16', () => {
  test.prop([fc.float({ noNaN: true })], OPTIONS)('rounds to the nearest half, and a half reads back as itself', (x) => {
    const h = toFloat16Bits(x);
    const y = fromFloat16Bits(h);
    expect(toFloat16Bits(y)).toBe(h);
    // Nearest: no neighbouring half is closer (ties may go either way by one ulp's half).
    for (const n of [h - 1, h + 1]) {
      if (n < 0 || n > 0xffff || (n & 0x7c00) === 0x7c00 || (h & 0x8000) !== (n & 0x8000)) continue;
      if (Number.isFinite(y)) expect(Math.abs(fromFloat16Bits(n) - x)).toBeGreaterThanOrEqual(Math.abs(y - x));
    }
  });
});

/** A layer: dense or conv-shaped, 1–8-bit codebook, pruned at any density with dead rows and columns, any bias layout. */
const layer = fc
  .record({
    shape: fc.oneof(
      fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 60 })),
      fc.tuple(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
      ),
    ),
    bits: fc.integer({ min: 1, max: 8 }),
    density: fraction(0, 1),
    deadRows: fraction(0, 0.5),
    bias: fc.constantFrom('none', 'random', 'zero where dead'),
    indexBits: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constant('auto' as const)),
    scale: fc.constantFrom(1e-3, 0.1, 1, 300),
    seed: fc.integer(),
  })
  .map((l): Omit<SharedLayerInput, 'name'> => {
    const rng = new Rng(l.seed);
    const shape = [...l.shape];
    const rows = shape[0];
    const cols = shape.slice(1).reduce((a, b) => a * b, 1);
    const codebook = Float32Array.from({ length: 2 ** l.bits }, () => l.scale * rng.normal());
    const dead = Array.from({ length: rows }, () => rng.uniform() < l.deadRows);
    const groups = Int32Array.from({ length: rows * cols }, (_, i) =>
      dead[Math.floor(i / cols)] || rng.uniform() >= l.density ? -1 : rng.int(codebook.length),
    );
    const bias =
      l.bias === 'none'
        ? null
        : Float32Array.from({ length: rows }, (_, r) => (l.bias === 'random' || !dead[r] ? l.scale * rng.normal() : 0));
    return { shape, codebook, groups, bias, indexBits: l.indexBits };
  });

const half = (x: number): number => fromFloat16Bits(toFloat16Bits(x));

describe('the Deep Compression file', () => {
  test.prop([fc.array(layer, { minLength: 1, maxLength: 3 })], OPTIONS)(
    'decodes to each weight’s centroid and each bias in float16, zeros where pruned',
    (layers) => {
      const inputs = layers.map((l, i) => ({ ...l, name: `layer${i}` }));
      const { bytes } = encodeDeepCompressed('random-net', inputs);
      const { model, state } = decodeDeepCompressed(bytes, 'random.dc.safetensors');
      expect(model).toBe('random-net');
      for (const l of inputs) {
        const weight = state.get(`${l.name}.weight`)!;
        expect(weight.shape).toEqual(l.shape);
        expect([...weight.data]).toEqual(Array.from(l.groups, (g) => (g < 0 ? 0 : half(l.codebook[g]))));
        const bias = state.get(`${l.name}.bias`);
        if (l.bias === null) expect(bias).toBeUndefined();
        else expect([...bias!.data]).toEqual(Array.from(l.bias, half));
      }
      expect(state.size).toBe(inputs.reduce((n, l) => n + (l.bias ? 2 : 1), 0));
    },
  );
});
