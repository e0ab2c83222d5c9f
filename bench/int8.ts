import { gemmBlocked } from '../src/tensor/kernels/gemm.js';
import { gemmInt8Naive, gemmInt8Packed, int8Weight, packInt8Pairs } from '../src/tensor/kernels/int8.js';
import { wasmBackend } from '../src/tensor/kernels/wasm/backend.js';
import { wasmCalls } from '../src/tensor/kernels/wasm/calls/index.js';
import { gemmInt8U7 } from '../src/tensor/kernels/wasm/calls/int8.js';
import { Rng } from '../src/tensor/random.js';
import { type BenchOptions, type BenchResult, measure } from './harness.js';

/** Linear's forward shapes (x·Wᵀ) of the notebook's MLP at batch 64, and fc1 at batch 1000. */
const SHAPES = [
  { M: 64, N: 512, K: 784 },
  { M: 64, N: 256, K: 512 },
  { M: 1000, N: 512, K: 784 },
];

/**
 * int8 × int8 → int32 GEMM against the fp32 GEMM of the same backend on the same shapes
 * (js: float64-paired integers vs the blocked GEMM; wasm: i32x4.dot_i16x8_s, and in the
 * relaxed build the i8 × i7 dot product int8 Linear layers use, vs the f32x4 GEMM, with the
 * default threads). Rates are GOP/s (2·M·N·K ÷ time, a multiply-add counting
 * 2 whatever the type), so the ratio is the speed-up of int8 over fp32. Each int8 kernel is
 * first checked to equal exact integer loops.
 */
export function benchInt8(options: BenchOptions): BenchResult[] {
  const rng = new Rng(5);
  const results: BenchResult[] = [];
  for (const { M, N, K } of SHAPES) {
    const label = `${M}x${N}x${K}`;
    const A = Int16Array.from({ length: M * K }, () => rng.int(511) - 255);
    const B = Int8Array.from({ length: N * K }, () => rng.int(255) - 127);
    const packed = packInt8Pairs(B, N, K);
    const want = new Int32Array(M * N),
      got = new Int32Array(M * N);
    gemmInt8Naive(M, N, K, A, B, want);
    gemmInt8Packed(M, N, K, A, packed, got);
    const bad = want.findIndex((v, i) => v !== got[i]);
    if (bad >= 0) throw new Error(`int8 bench: the packed kernel is wrong at ${label} (element ${bad}: ${got[bad]} vs ${want[bad]})`);
    const Af = Float32Array.from(A),
      Bf = Float32Array.from(B),
      C = new Float32Array(M * N);
    const ops = (2 * M * N * K) / 1e9;
    const fp32 = measure('int8', `fp32 blocked ${label}`, () => gemmBlocked(false, true, M, N, K, Af, Bf, C, false), ops, 'GOP/s', options);
    const int8 = measure('int8', `int8 packed ${label}`, () => gemmInt8Packed(M, N, K, A, packed, got), ops, 'GOP/s', options);
    results.push({ ...fp32, ratio: 1, baseline: fp32.name }, { ...int8, ratio: int8.rate / fp32.rate, baseline: fp32.name });
    const wasm = wasmBackend().module ? wasmCalls(wasmBackend().module!) : null;
    if (wasm) {
      const w = int8Weight(B, N, K);
      wasm.gemmInt8(M, A, w, got);
      const off = want.findIndex((v, i) => v !== got[i]);
      if (off >= 0) throw new Error(`int8 bench: the wasm int8 kernel is wrong at ${label} (element ${off}: ${got[off]} vs ${want[off]})`);
      const f32w = measure('int8', `fp32 wasm ${label}`, () => wasm.gemm(false, true, M, N, K, Af, Bf, C, false), ops, 'GOP/s', options);
      const i8w = measure('int8', `int8 wasm, 16-bit dot ${label}`, () => wasm.gemmInt8(M, A, w, got), ops, 'GOP/s', options);
      results.push({ ...f32w, ratio: 1, baseline: f32w.name }, { ...i8w, ratio: i8w.rate / f32w.rate, baseline: f32w.name });
      const module = wasmBackend().module!;
      if (module.simd === 'relaxed') {
        // 7-bit activations (PyTorch's reduce_range) as int8 layers quantize them: q ∈ [0, 127] and a zero point.
        const Q = Uint8Array.from({ length: M * K }, () => rng.int(128));
        const z = 60;
        const wantU7 = new Int32Array(M * N);
        gemmInt8Naive(
          M,
          N,
          K,
          Int16Array.from(Q, (v) => v - z),
          B,
          wantU7,
        );
        gemmInt8U7(module, M, Q, z, w, got);
        const wrong = wantU7.findIndex((v, i) => v !== got[i]);
        if (wrong >= 0)
          throw new Error(`int8 bench: the i8 × i7 kernel is wrong at ${label} (element ${wrong}: ${got[wrong]} vs ${wantU7[wrong]})`);
        const u7 = measure(
          'int8',
          `int8 wasm, i8 × i7 dot (relaxed) ${label}`,
          () => gemmInt8U7(module, M, Q, z, w, got),
          ops,
          'GOP/s',
          options,
        );
        results.push({ ...u7, ratio: u7.rate / f32w.rate, baseline: f32w.name });
      }
    }
    if (M <= 64) {
      const naive = measure('int8', `int8 naive ${label}`, () => gemmInt8Naive(M, N, K, A, B, got), ops, 'GOP/s', options);
      results.push({ ...naive, ratio: naive.rate / fp32.rate, baseline: fp32.name });
    }
  }
  return results;
}
