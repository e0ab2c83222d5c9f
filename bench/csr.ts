import { CsrMatrix } from '../src/compress/csr.js';
import { gemmBlocked } from '../src/tensor/kernels/gemm.js';
import { csrLinear } from '../src/tensor/kernels/sparse.js';
import { Rng } from '../src/tensor/random.js';
import { backends, measure, type BenchOptions, type BenchResult } from './harness.js';
import { wasmKernels } from '../src/tensor/kernels/index.js';

const ROWS = 512;
const COLS = 784;
const SPARSITIES = [0, 0.25, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99];
const BATCHES = [1, 8, 64];

/**
 * Sparsity at which CSR starts to beat dense: linear interpolation between the two
 * measured sparsities where the speed-up (dense time ÷ CSR time) crosses 1.
 */
export function crossover(points: { sparsity: number; speedup: number }[]): number | null {
  if (points[0].speedup >= 1) return points[0].sparsity;
  for (let i = 1; i < points.length; i++) {
    const [a, b] = [points[i - 1], points[i]];
    if (a.speedup < 1 && b.speedup >= 1) return a.sparsity + ((1 - a.speedup) / (b.speedup - a.speedup)) * (b.sparsity - a.sparsity);
  }
  return null;
}

/**
 * fc1's weight (512×784) times a batch, dense GEMM (js and wasm) vs the CSR kernel (js),
 * across sparsity and batch size. Rates are dense-equivalent GFLOP/s (2·N·512·784 ÷
 * time), so the ratio is the speed-up over the js dense GEMM; "crossover" rows give the
 * sparsity where CSR starts to beat each dense kernel.
 */
export function benchCsr(options: BenchOptions): BenchResult[] {
  const rng = new Rng(3);
  const weight = Float32Array.from({ length: ROWS * COLS }, () => rng.uniformRange(-1, 1));
  const order = Array.from(rng.permutation(weight.length));
  const results: BenchResult[] = [];
  for (const N of options.quick ? [1, 64] : BATCHES) {
    const x = Float32Array.from({ length: N * COLS }, () => rng.uniformRange(-1, 1));
    const y = new Float32Array(N * ROWS);
    const flops = (2 * N * ROWS * COLS) / 1e9;
    const dense = new Map<string, BenchResult>();
    for (const backend of backends()) {
      const gemm = backend === 'wasm' ? wasmKernels!.gemm : gemmBlocked;
      dense.set(backend, measure('csr', `dense ${backend} b${N}`, () => gemm(false, true, N, ROWS, COLS, x, weight, y, false), flops, 'GFLOP/s', options));
    }
    const base = dense.get('js')!;
    results.push(...[...dense.values()].map((d) => ({ ...d, ratio: d.rate / base.rate, baseline: base.name })));
    const points: { sparsity: number; rate: number }[] = [];
    for (const s of options.quick ? [0, 0.5, 0.7, 0.9, 0.99] : SPARSITIES) {
      const w = Float32Array.from(weight);
      for (let i = 0; i < Math.round(s * w.length); i++) w[order[i]] = 0;
      const csr = CsrMatrix.fromDense(w, ROWS, COLS);
      const want = new Float32Array(N * ROWS);
      gemmBlocked(false, true, N, ROWS, COLS, x, w, want, false);
      const scratch = new Float32Array(N * COLS);
      csrLinear(ROWS, csr.rowPtr, csr.colIndices, csr.values, x, N, COLS, y, scratch);
      for (let i = 0; i < y.length; i++) {
        if (!(Math.abs(y[i] - want[i]) <= 1e-3)) throw new Error(`csr bench: the CSR kernel is wrong at ${s * 100}% b${N} (element ${i}: ${y[i]} vs ${want[i]})`);
      }
      const r = measure('csr', `csr js ${(s * 100).toFixed(0)}% b${N}`, () => csrLinear(ROWS, csr.rowPtr, csr.colIndices, csr.values, x, N, COLS, y, scratch), flops, 'GFLOP/s', options);
      results.push({ ...r, ratio: r.rate / base.rate, baseline: base.name });
      points.push({ sparsity: s, rate: r.rate });
    }
    for (const [backend, d] of dense) {
      const at = crossover(points.map((p) => ({ sparsity: p.sparsity, speedup: p.rate / d.rate })));
      results.push({ family: 'csr', name: `crossover vs dense ${backend} b${N}`, median: NaN, spread: NaN, samples: 0, rate: at === null ? NaN : at * 100, unit: 'sparsity %' });
    }
  }
  return results;
}
