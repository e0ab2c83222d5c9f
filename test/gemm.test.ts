import { describe, expect, it } from 'vitest';
import { gemmBlocked } from '../src/tensor/kernels/gemm.js';
import { gemmNaive } from '../src/tensor/kernels/gemm-naive.js';
import { Rng } from '../src/tensor/random.js';
import { maxAbsDiff, randomArray } from './helpers.js';

const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 3],
  [7, 1, 5],
  [3, 5, 1],
  [4, 4, 4],
  [5, 9, 13],
  [65, 33, 17],
  [64, 512, 784],
  [7, 65, 300],
  [130, 10, 257],
  [2, 784, 1],
  [1, 512, 784],
  [3, 300, 70],
];
const LAYOUTS: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

describe('gemmBlocked equals gemmNaive', () => {
  const rng = new Rng(7);
  for (const [M, N, K] of SIZES) {
    for (const [ta, tb] of LAYOUTS) {
      it(`${M}x${N}x${K} transA=${ta} transB=${tb}`, () => {
        const A = randomArray(M * K, rng);
        const B = randomArray(K * N, rng);
        const want = new Float32Array(M * N);
        const got = new Float32Array(M * N).fill(NaN); // overwrite must not read C
        gemmNaive(ta, tb, M, N, K, A, B, want, false);
        gemmBlocked(ta, tb, M, N, K, A, B, got, false);
        expect(maxAbsDiff(got, want)).toBeLessThan(1e-4 * Math.sqrt(K));
      });
    }
  }

  it('accumulates into C when asked', () => {
    const [M, N, K] = [9, 11, 300];
    const A = randomArray(M * K, rng);
    const B = randomArray(K * N, rng);
    const C0 = randomArray(M * N, rng);
    const want = C0.slice();
    const got = C0.slice();
    gemmNaive(false, true, M, N, K, A, B, want, true);
    gemmBlocked(false, true, M, N, K, A, B, got, true);
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-3);
  });

  it('writes zeros for K = 0 and leaves C alone when accumulating', () => {
    const C = Float32Array.of(1, 2, 3, 4);
    gemmBlocked(false, false, 2, 2, 0, new Float32Array(0), new Float32Array(0), C, true);
    expect([...C]).toEqual([1, 2, 3, 4]);
    gemmBlocked(false, false, 2, 2, 0, new Float32Array(0), new Float32Array(0), C, false);
    expect([...C]).toEqual([0, 0, 0, 0]);
  });

  it('the naive kernel computes a known product', () => {
    const C = new Float32Array(4);
    gemmNaive(false, false, 2, 2, 2, Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6, 7, 8), C, false);
    expect([...C]).toEqual([19, 22, 43, 50]);
  });
});
