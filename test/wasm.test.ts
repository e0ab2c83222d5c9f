import { describe, expect, it } from 'vitest';
import { gemmNaive } from '../src/tensor/kernels/gemm-naive.js';
import { wasmKernels, wasmModule } from '../src/tensor/kernels/index.js';
import { WasmModule } from '../src/tensor/kernels/wasm/module.js';
import { Rng } from '../src/tensor/random.js';
import { maxAbsDiff, randomArray } from './helpers.js';

const SIZES: [number, number, number][] = [
  [1, 1, 1], [1, 7, 3], [7, 1, 5], [3, 5, 1], [4, 8, 4], [5, 9, 13], [65, 33, 17],
  [64, 512, 784], [7, 65, 300], [130, 10, 257], [2, 784, 1], [1, 512, 784], [33, 17, 600], [100, 37, 300], [512, 25, 64],
];
const LAYOUTS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

describe('wasm SIMD backend', () => {
  it('is built by npm ci and loads', () => {
    expect(wasmModule).not.toBeNull();
    expect(wasmKernels?.name).toBe('wasm');
  });

  const one = WasmModule.load(undefined, 1).module!;
  const pool = WasmModule.load(undefined, 2).module!;

  it('runs on one thread or on a pool of two', () => {
    expect([one.threads, pool.threads]).toEqual([1, 2]);
  });

  describe.each([['one thread', one], ['two threads', pool]] as const)('GEMM equals the naive reference (%s)', (_, wasm) => {
    const rng = new Rng(17);
    for (const [M, N, K] of SIZES) {
      for (const [ta, tb] of LAYOUTS) {
        it(`${M}x${N}x${K} transA=${ta} transB=${tb}, overwrite and accumulate`, () => {
          const A = randomArray(M * K, rng);
          const B = randomArray(K * N, rng);
          const want = new Float32Array(M * N);
          gemmNaive(ta, tb, M, N, K, A, B, want, false);
          const got = new Float32Array(M * N).fill(NaN); // overwrite must not read C
          wasm.gemm(ta, tb, M, N, K, A, B, got, false);
          expect(maxAbsDiff(got, want)).toBeLessThan(1e-4 * Math.sqrt(K));
          const start = randomArray(M * N, rng);
          const acc = Float32Array.from(start);
          wasm.gemm(ta, tb, M, N, K, A, B, acc, true);
          expect(maxAbsDiff(acc, want.map((v, i) => v + start[i]))).toBeLessThan(1e-4 * Math.sqrt(K));
        });
      }
    }
  });

  it('K = 0 clears C (or leaves it when accumulating); an empty M or N is a no-op', () => {
    const C = Float32Array.of(1, 2, 3, 4);
    wasmModule!.gemm(false, false, 2, 2, 0, new Float32Array(0), new Float32Array(0), C, true);
    expect([...C]).toEqual([1, 2, 3, 4]);
    wasmModule!.gemm(false, false, 2, 2, 0, new Float32Array(0), new Float32Array(0), C, false);
    expect([...C]).toEqual([0, 0, 0, 0]);
  });
});
