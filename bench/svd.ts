import { svd } from '../src/compress/svd.js';
import { Rng } from '../src/tensor/random.js';
import { type BenchOptions, type BenchResult, measure } from './harness.js';

/** The notebook's fc3 (128×256) and a 512×512 matrix. */
const SHAPES: [number, number][] = [
  [128, 256],
  [512, 512],
];

/**
 * One-sided Jacobi SVD time, after checking that U·Σ·Vᵀ reconstructs the matrix. The rate
 * is decompositions per second; LAPACK takes ~2.4 ms for 128×256 on this machine (KERNEL-NOTES).
 */
export function benchSvd(options: BenchOptions): BenchResult[] {
  const rng = new Rng(9);
  const results: BenchResult[] = [];
  for (const [m, n] of SHAPES) {
    if (options.quick && m > 128) continue;
    const a = Float32Array.from({ length: m * n }, () => rng.uniformRange(-0.1, 0.1));
    const d = svd(a, m, n);
    let err = 0,
      norm = 0;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let v = 0;
        for (let r = 0; r < d.k; r++) v += d.U[i * d.k + r] * d.S[r] * d.V[j * d.k + r];
        err += (v - a[i * n + j]) ** 2;
        norm += a[i * n + j] ** 2;
      }
    if (!(Math.sqrt(err / norm) < 1e-6)) throw new Error(`svd bench: reconstruction error ${Math.sqrt(err / norm)} at ${m}x${n}`);
    results.push(measure('svd', `jacobi ${m}x${n} (${d.sweeps} sweeps)`, () => svd(a, m, n), 1, 'SVD/s', { quick: true }));
  }
  return results;
}
