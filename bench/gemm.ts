import { gemmBlocked } from '../src/tensor/kernels/gemm.js';
import { gemmNaive } from '../src/tensor/kernels/gemm-naive.js';
import { relaxedSimdSupported } from '../src/tensor/kernels/wasm/build.js';
import { wasmCalls } from '../src/tensor/kernels/wasm/calls/index.js';
import { WasmModule } from '../src/tensor/kernels/wasm/module.js';
import { Rng } from '../src/tensor/random.js';
import { type BenchOptions, type BenchResult, measure, measureSlow, withRatios } from './harness.js';

/**
 * The GEMM shapes that matter: Linear's forward at batch 64 (x·Wᵀ), a square one, and
 * fc1 over the whole test set (skipped by --quick: the TypeScript kernels take seconds).
 */
const SHAPES: { label: string; M: number; N: number; K: number; transB: boolean; big?: boolean }[] = [
  { label: '64x784x512 (x·Wᵀ, fc1 forward)', M: 64, N: 512, K: 784, transB: true },
  { label: '64x512x256 (x·Wᵀ, fc2 forward)', M: 64, N: 256, K: 512, transB: true },
  { label: '512x512x512', M: 512, N: 512, K: 512, transB: false },
  { label: '10000x784x512 (fc1 on the test set)', M: 10000, N: 512, K: 784, transB: true, big: true },
];

/** Every kernel: the two TypeScript ones, and both wasm builds (plain SIMD, relaxed-SIMD FMA) on one and two threads. */
const KERNELS: Record<string, typeof gemmNaive> = { 'js-naive': gemmNaive, 'js-blocked': gemmBlocked };
/** The same wasm modules by name, for the multiply-add peak. */
const MODULES: Record<string, WasmModule> = {};
for (const simd of ['plain', 'relaxed'] as const) {
  if (simd === 'relaxed' && !relaxedSimdSupported()) continue;
  for (const threads of [1, 2]) {
    const wasm = WasmModule.load({ threads, simd }).module;
    const name = `wasm-${simd} ${threads} thread${threads > 1 ? 's' : ''}`;
    if (wasm) {
      KERNELS[name] = wasmCalls(wasm).gemm;
      MODULES[name] = wasm;
    }
  }
}

/** Rounds of assembly/peak.ts fmaPeak per thread and call: 96 flops each, about 10 ms. */
const PEAK_ROUNDS = 4_000_000;

/**
 * The multiply-add peak of each wasm module: every thread runs fmaPeak's 12 independent
 * chains at once. A dense product cannot beat it on this machine, so it is the ceiling
 * the GEMM rows above are read against (SimpleNet over the 10k test set is 11.3 GFLOP).
 */
function benchPeak(options: BenchOptions): BenchResult[] {
  return Object.entries(MODULES).map(([name, m]) => {
    const run = (): void => m.split('fmaPeak', m.threads, () => ({ iters: PEAK_ROUNDS }));
    if (m.call('fmaPeak', { iters: 10 }) !== 48) throw new Error(`gemm bench: ${name} fmaPeak is wrong`);
    // A call runs in the tier it started in: warm up until the optimized code is in place.
    for (let i = 0; i < 5; i++) run();
    return measure(
      'gemm',
      `${name} multiply-add peak (12 chains in registers)`,
      run,
      (m.threads * PEAK_ROUNDS * 96) / 1e9,
      'GFLOP/s',
      options,
    );
  });
}

/** GFLOP/s of each GEMM kernel at each shape, after checking it against the naive kernel. */
export function benchGemm(options: BenchOptions): BenchResult[] {
  const rng = new Rng(1);
  const results: BenchResult[] = [];
  for (const { label, M, N, K, transB, big } of SHAPES) {
    if (big && options.quick) continue;
    const A = Float32Array.from({ length: M * K }, () => rng.uniformRange(-1, 1));
    const B = Float32Array.from({ length: K * N }, () => rng.uniformRange(-1, 1));
    const want = new Float32Array(M * N);
    gemmNaive(false, transB, M, N, K, A, B, want, false);
    const shapeResults: BenchResult[] = [];
    for (const [name, gemm] of Object.entries(KERNELS)) {
      const C = new Float32Array(M * N);
      gemm(false, transB, M, N, K, A, B, C, false);
      for (let i = 0; i < C.length; i++) {
        if (!(Math.abs(C[i] - want[i]) <= 1e-3 * Math.sqrt(K)))
          throw new Error(`gemm bench: ${name} is wrong at ${label} (element ${i}: ${C[i]} vs ${want[i]})`);
      }
      const run = (): void => gemm(false, transB, M, N, K, A, B, C, false);
      const flops = (2 * M * N * K) / 1e9;
      const r =
        big && name.startsWith('js')
          ? measureSlow('gemm', name, run, flops, 'GFLOP/s')
          : measure('gemm', name, run, flops, 'GFLOP/s', options);
      shapeResults.push({ ...r, name: `${name} ${label}` });
    }
    const base = shapeResults[0].name;
    results.push(...withRatios(shapeResults, base));
  }
  const peaks = benchPeak(options);
  if (peaks.length > 0) results.push(...withRatios(peaks, peaks[0].name));
  return results;
}
