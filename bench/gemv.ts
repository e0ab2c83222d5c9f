import { gemmBlocked } from '../src/tensor/kernels/gemm.js';
import { gemmNaive } from '../src/tensor/kernels/gemm-naive.js';
import { wasmBackend } from '../src/tensor/kernels/wasm/backend.js';
import { wasmCalls } from '../src/tensor/kernels/wasm/calls/index.js';
import { Rng } from '../src/tensor/random.js';
import { type BenchOptions, type BenchResult, measure } from './harness.js';

/** The notebook MLP's layers (x·Wᵀ, W `[N, K]`) at one to three rows. */
const SHAPES = [
  { M: 1, N: 512, K: 784 },
  { M: 3, N: 512, K: 784 },
  { M: 1, N: 256, K: 512 },
  { M: 1, N: 128, K: 256 },
];

/**
 * Products of 1–3 rows, memory-bound: the TypeScript GEMV path (kernels/gemm.ts), and the
 * wasm GEMV with the weights copied into wasm memory per call (how a dense Linear runs) and
 * resident (how compressed layers keep theirs). Rates are GB/s of weights streamed
 * (4·N·K bytes ÷ time); ratios are against the TypeScript path. Each kernel is checked
 * against the naive GEMM first.
 */
export function benchGemv(options: BenchOptions): BenchResult[] {
  const rng = new Rng(8);
  const module = wasmBackend().module;
  const results: BenchResult[] = [];
  for (const { M, N, K } of SHAPES) {
    const label = `${M}x${N}x${K}`;
    const A = Float32Array.from({ length: M * K }, () => rng.uniformRange(-1, 1));
    const B = Float32Array.from({ length: N * K }, () => rng.uniformRange(-1, 1));
    const want = new Float32Array(M * N);
    gemmNaive(false, true, M, N, K, A, B, want, false);
    const variants: [string, typeof gemmBlocked, Float32Array][] = [['js', gemmBlocked, B]];
    if (module) {
      const resident = module.heap.allocFloat32(N * K);
      variants.push(['wasm, weights copied', wasmCalls(module).gemm, B]);
      if (resident) {
        resident.set(B);
        variants.push(['wasm, weights resident', wasmCalls(module).gemm, resident]);
      }
    }
    const rows: BenchResult[] = [];
    for (const [name, gemm, weights] of variants) {
      const C = new Float32Array(M * N);
      gemm(false, true, M, N, K, A, weights, C, false);
      const bad = C.findIndex((v, i) => !(Math.abs(v - want[i]) <= 1e-3 * Math.sqrt(K)));
      if (bad >= 0) throw new Error(`gemv bench: ${name} is wrong at ${label} (element ${bad}: ${C[bad]} vs ${want[bad]})`);
      rows.push(
        measure('gemv', `${name} ${label}`, () => gemm(false, true, M, N, K, A, weights, C, false), (4 * N * K) / 1e9, 'GB/s', options),
      );
    }
    results.push(...rows.map((r) => ({ ...r, ratio: r.rate / rows[0].rate, baseline: rows[0].name })));
  }
  return results;
}
