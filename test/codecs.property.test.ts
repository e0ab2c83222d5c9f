import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { modelFromBytes, modelToBytes } from '../src/compress/checkpoint.js';
import { CsrMatrix, indexWidth, toSparse } from '../src/compress/csr.js';
import { QuantizedLinear } from '../src/compress/int8-layers.js';
import { FactorizedLinear } from '../src/compress/low-rank.js';
import { MinMaxObserver } from '../src/compress/observers.js';
import { Pruner } from '../src/compress/prune.js';
import { quantizeStatic, type StaticQuantizedModel } from '../src/compress/static-quantize.js';
import { Linear } from '../src/nn/layers.js';
import { MLP } from '../src/nn/models.js';
import type { Module, StateDict, StateEntry } from '../src/nn/module.js';
import { decodeSafetensors, encodeSafetensors } from '../src/nn/safetensors.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';

import { fraction } from './helpers.js';

/**
 * Every codec round trip, over random shapes and values (seeded; `PROPERTY_RUNS` runs
 * each): what is written reads back as exactly what was written.
 */

const RUNS = Number(process.env.PROPERTY_RUNS ?? 50);
const OPTIONS = { seed: 2027, numRuns: RUNS };

const ARRAYS = { F32: Float32Array, F64: Float64Array, F16: Uint16Array, I8: Int8Array, U8: Uint8Array, U16: Uint16Array, I32: Int32Array };
type Dtype = keyof typeof ARRAYS;

/** A random tensor entry: any dtype, rank 0 to 3, zero-sized dimensions included, any bit pattern. */
const entry = fc
  .record({
    dtype: fc.constantFrom(...(Object.keys(ARRAYS) as Dtype[])),
    shape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
    seed: fc.integer(),
  })
  .map(({ dtype, shape, seed }): StateEntry => {
    const count = shape.reduce((p, v) => p * v, 1);
    const bytes = new Uint8Array(count * ARRAYS[dtype].BYTES_PER_ELEMENT);
    const rng = new Rng(seed);
    for (let i = 0; i < bytes.length; i++) bytes[i] = rng.nextUint32() & 0xff;
    return { dtype, shape, data: new ARRAYS[dtype](bytes.buffer) } as StateEntry;
  });

const bitsOf = (e: StateEntry): number[] => [...new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength)];

/** The same tensors; in the same order, but for empty ones (which share an offset, so only their names order them). */
function sameState(a: StateDict, b: StateDict): void {
  const nonEmpty = (d: StateDict): string[] => [...d].filter(([, e]) => e.data.length > 0).map(([n]) => n);
  expect(nonEmpty(b)).toEqual(nonEmpty(a));
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  for (const [name, e] of a) {
    const f = b.get(name)!;
    expect([f.dtype, [...f.shape], bitsOf(f)]).toEqual([e.dtype, [...e.shape], bitsOf(e)]);
  }
}

/** A random MLP (2–4 layers, widths 1–12) with weights of both signs. */
const mlp = fc
  .record({ widths: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 2, maxLength: 4 }), seed: fc.integer() })
  .map(({ widths, seed }) => new MLP(widths, new Rng(seed)));

function roundTrip(model: Module): Module {
  return modelFromBytes(modelToBytes(model), { source: 'round-trip.safetensors' });
}

describe('codec round trips', () => {
  test.prop(
    [
      fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { maxLength: 5 }),
      fc.array(entry, { maxLength: 5 }),
      fc.dictionary(fc.string(), fc.string()),
    ],
    OPTIONS,
  )('safetensors: any names, dtypes, shapes, bytes and metadata', (names, entries, metadata) => {
    const state: StateDict = new Map();
    names
      .filter((n) => n !== '__metadata__')
      .forEach((n, i) => {
        if (entries[i]) state.set(n, entries[i]);
      });
    const meta = Object.fromEntries(Object.entries(metadata).filter(([k]) => k !== 'slimtensor.crc32'));
    const file = decodeSafetensors(encodeSafetensors(state, meta), 'x.safetensors');
    sameState(state, file.state);
    expect(file.metadata).toEqual(meta);
    expect(file.checked).toBe(true);
  });

  test.prop([fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 300 }), fraction(0, 1), fc.integer()], OPTIONS)(
    'CSR: any shape and density, every index width that fits the columns',
    (rows, cols, density, seed) => {
      const rng = new Rng(seed);
      const dense = Float32Array.from({ length: rows * cols }, () => (rng.uniform() < density ? rng.uniform() * 2 - 1 : 0));
      for (const width of [1, 2, 4] as const) {
        if (width < indexWidth(cols)) continue;
        const csr = CsrMatrix.fromDense(dense, rows, cols, width);
        expect(csr.values.length).toBe(dense.filter((v) => v !== 0).length);
        expect([...csr.toDense()]).toEqual([...dense]);
      }
    },
  );

  test.prop([mlp, fraction(0, 0.95)], OPTIONS)('CSR models: pruned to any sparsity, saved and read back', (net, sparsity) => {
    new Pruner(net).pruneToSparsity(sparsity, { scope: 'global' });
    const sparse = toSparse(net);
    sameState(sparse.stateDict(), roundTrip(sparse).stateDict());
  });

  test.prop([mlp, fc.boolean(), fc.boolean()], OPTIONS)(
    'int8 layers: per tensor or per channel, 7 or 8 bits',
    (net, perChannel, reduceRange) => {
      for (const [name, layer] of net.namedChildren())
        if (layer instanceof Linear) net.setChild(name, QuantizedLinear.fromFloat(layer, { perChannel, reduceRange }));
      sameState(net.stateDict(), roundTrip(net).stateDict());
    },
  );

  test.prop([mlp, fc.integer({ min: 1, max: 12 })], OPTIONS)('factorized layers: any rank up to the full one', (net, r) => {
    const [name, layer] = net.namedChildren()[0] as [string, Linear];
    net.setChild(name, FactorizedLinear.fromLinear(layer, { rank: Math.min(r, layer.inFeatures, layer.outFeatures) }));
    sameState(net.stateDict(), roundTrip(net).stateDict());
  });

  test.prop([mlp, fc.boolean(), fc.integer({ min: 1, max: 20 }), fc.integer()], OPTIONS)(
    'static int8 models: any widths, per tensor or per channel, the same stages and logits back',
    (net, perChannel, images, seed) => {
      const x = Tensor.randn([images, net.sizes[0]], new Rng(seed));
      const q = quantizeStatic(net, { x, labels: new Int32Array(images) }, { perChannel, observer: () => new MinMaxObserver() });
      const back = roundTrip(q) as StaticQuantizedModel;
      sameState(q.stateDict(), back.stateDict());
      expect(back.stages.map((st) => st.name)).toEqual(q.stages.map((st) => st.name));
      expect([...back.forward(x).data]).toEqual([...q.forward(x).data]);
    },
  );
});
