import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CsrMatrix } from '../src/compress/csr.js';
import { csrChain, csrLinear, csrLinearNaive } from '../src/tensor/kernels/sparse.js';
import { wasmCalls } from '../src/tensor/kernels/wasm/calls/index.js';
import { rowBoundsByEntries } from '../src/tensor/kernels/wasm/calls/sparse.js';
import { WasmModule } from '../src/tensor/kernels/wasm/module.js';
import { Rng } from '../src/tensor/random.js';
import { expectClose, randomArray, sparseRandom } from './helpers.js';

/** Shapes that reach every path: one input, batches that are and are not multiples of 4 and 16, empty rows, all zeros, one entry. */
const CASES: { rows: number; cols: number; N: number; density: number; indexBytes?: 1 | 2 | 4 }[] = [
  { rows: 1, cols: 1, N: 1, density: 1 },
  { rows: 7, cols: 5, N: 1, density: 0.5 },
  { rows: 7, cols: 5, N: 3, density: 0.5 },
  { rows: 33, cols: 70, N: 64, density: 0.3 },
  { rows: 128, cols: 300, N: 1, density: 0.1 }, // 16-bit indices
  { rows: 128, cols: 300, N: 17, density: 0.1 },
  { rows: 64, cols: 100, N: 5, density: 0.2, indexBytes: 4 },
  { rows: 10, cols: 20, N: 8, density: 0 }, // all zero
  { rows: 16, cols: 9, N: 2, density: 1 },
  { rows: 512, cols: 784, N: 64, density: 0.1 }, // large enough to split across threads
  { rows: 512, cols: 784, N: 1, density: 0.5 },
  { rows: 40, cols: 130, N: 150, density: 0.2 }, // several blocks of 64 inputs, the last ragged
];

describe('wasm CSR kernels equal the naive reference', () => {
  for (const threads of [1, 2]) {
    const wasm = wasmCalls(WasmModule.load({ threads }).module!);
    for (const c of CASES) {
      it(
        `[${c.rows}, ${c.cols}] × batch ${c.N}, density ${c.density}${c.indexBytes ? `, ${c.indexBytes}-byte indices` : ''}, ` +
          `${threads} thread(s)`,
        () => {
          const rng = new Rng(c.rows * 31 + c.N);
          const csr = CsrMatrix.fromDense(sparseRandom(c.rows, c.cols, c.density, rng), c.rows, c.cols, c.indexBytes);
          const x = randomArray(c.N * c.cols, rng);
          const want = new Float32Array(c.N * c.rows);
          csrLinearNaive(csr, x, c.N, want);
          for (let call = 0; call < 2; call++) {
            // the second call runs on the resident copy
            const got = new Float32Array(c.N * c.rows).fill(NaN);
            wasm.csrLinear(csr, x, c.N, got);
            expectClose(got, want, 1e-5, 1e-5);
          }
          // With the layer's epilogue: + bias, then ReLU, as the reference kernel applies them.
          const bias = randomArray(c.rows, rng);
          const fused = new Float32Array(c.N * c.rows).fill(NaN),
            reference = new Float32Array(c.N * c.rows);
          wasm.csrLinear(csr, x, c.N, fused, bias, true);
          csrLinear(csr, x, c.N, reference, bias, true);
          expectClose(fused, reference, 1e-5, 1e-5);
          expectClose(
            reference,
            want.map((v, i) => Math.max(0, v + bias[i % c.rows])),
            1e-5,
            1e-5,
          );
        },
      );
    }
  }

  for (const threads of [1, 2]) {
    it(
      `a chain of 3 sparse layers equals the reference chain (1–3 inputs gathered, a batch kept transposed between layers), ${threads} ` +
        `thread(s)`,
      () => {
        const wasm = wasmCalls(WasmModule.load({ threads }).module!);
        const rng = new Rng(40 + threads);
        const sizes = [300, 130, 67, 10];
        for (const N of [1, 2, 3, 4, 17, 150, 1000]) {
          const stages = sizes.slice(1).map((rows, i) => ({
            weight: CsrMatrix.fromDense(sparseRandom(rows, sizes[i], 0.15, rng), rows, sizes[i]),
            bias: i === 1 ? null : randomArray(rows, rng),
            relu: i < 2,
          }));
          const x = randomArray(N * sizes[0], rng);
          const want = new Float32Array(N * 10),
            got = new Float32Array(N * 10).fill(NaN);
          csrChain(stages, x, N, want);
          wasm.csrChain(stages, x, N, got);
          expectClose(got, want, 1e-5, 1e-5);
        }
      },
    );
  }

  it('a single non-zero lands in its one output per input', () => {
    const dense = new Float32Array(6 * 40);
    dense[3 * 40 + 37] = 2;
    const csr = CsrMatrix.fromDense(dense, 6, 40);
    const x = randomArray(5 * 40, new Rng(1));
    const y = new Float32Array(5 * 6).fill(NaN);
    wasmCalls(WasmModule.load({ threads: 1 }).module!).csrLinear(csr, x, 5, y);
    for (let n = 0; n < 5; n++) for (let r = 0; r < 6; r++) expect(y[n * 6 + r]).toBe(r === 3 ? Math.fround(2 * x[n * 40 + 37]) : 0);
  });

  it('splits rows by stored entries, each boundary at the row start nearest an equal share', () => {
    const rowPtr = Int32Array.of(0, 10, 10, 11, 12, 40, 41);
    expect(rowBoundsByEntries(rowPtr, 6, 1)).toEqual([0, 6]);
    expect(rowBoundsByEntries(rowPtr, 6, 2)).toEqual([0, 4, 6]); // 12 and 29 entries: row 4 holds 28 of the 41
    expect(rowBoundsByEntries(Int32Array.of(0, 0, 0), 2, 2)).toEqual([0, 0, 2]); // nothing stored
  });
});

describe('resident weights of compressed layers', () => {
  it('are placed once, and given back when the layer is garbage-collected (the memory comes back)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const module = WasmModule.load({ threads: 1 }).module!;
    const wasm = wasmCalls(module);
    const rng = new Rng(5);
    const x = randomArray(4 * 300, rng),
      y = new Float32Array(4 * 200);
    const dense = sparseRandom(200, 300, 0.3, rng);
    const place = (): void => wasm.csrLinear(CsrMatrix.fromDense(dense, 200, 300), x, 4, y);
    place();
    const resident = module.heap.resident;
    expect(resident).toBeGreaterThan(0);
    for (let round = 0; round < 50 && module.heap.freeBytes === 0; round++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(module.heap.freeBytes).toBe(resident); // the layer's one block came back
    place(); // a layer of the same size takes that block again instead of growing the resident area
    expect(module.heap.resident).toBe(resident);
    expect(module.heap.freeBytes).toBe(0);
  });
});
