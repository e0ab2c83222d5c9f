// WebAssembly SIMD GEMM, written in AssemblyScript and compiled by `npm run build:wasm`.
//
// C[M, N] (+)= op(A)[M, K] · op(B)[K, N], all float32 row-major in this module's memory,
// with the same meaning as the TypeScript kernels (src/tensor/kernels/gemm.ts). The scheme
// is the same Goto/BLIS one: K in blocks of KC; for each block, B is packed into panels
// NR = 8 columns wide, then A, MC rows at a time, into panels MR = 4 rows tall (packing
// absorbs the transposes; an MC block of A stays in the L2 cache while every panel of B
// passes over it, so a batch of 10,000 rows is not streamed from memory once per panel),
// then a 4×8 micro-kernel keeps the tile of C in eight 128-bit registers (4 floats each)
// and streams both panels once: per k, two vector loads of B, four broadcasts of A and
// eight vector multiply-adds (fused ones in the relaxed-SIMD build).

import { laneF32, madd, storeTransposed } from './simd';

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 256;
const MC: i32 = 128;

/** Where JavaScript may start placing arrays: the end of this module's static data. */
export function heapBase(): usize {
  return __heap_base;
}

/** Bytes of scratch the packed panels of a call need: B's K-block panel and A's. */
export function packBytes(M: i32, N: i32, K: i32): i32 {
  const kc = min(K, KC);
  const panels = (N + NR - 1) / NR;
  const mPanels = (min(M, MC) + MR - 1) / MR;
  return (panels * NR * kc + mPanels * MR * kc) * 4 + 64;
}

@inline function at(base: usize, index: i32): f32 {
  return load<f32>(base + (<usize>index << 2));
}

// Packs columns j0..j1 of op(B)'s rows pc..pc+kc into panels NR = 8 wide: panel by panel,
// k by k, the 8 values of that k. Full panels are copied 4 floats at a time (from B's rows
// when B is not transposed; through 4×4 transposes when it is); the ragged edge by element.
function packB(b: usize, transB: bool, N: i32, K: i32, pc: i32, kc: i32, dst: usize, j0: i32, j1: i32): void {
  for (let jr = j0; jr < j1; jr += NR) {
    const nr = min(NR, j1 - jr);
    let out = dst + (<usize>((jr - j0) / NR) * <usize>(kc * NR) << 2);
    let p = 0;
    if (nr == NR && !transB) {
      for (; p < kc; p++) {
        const src = b + (<usize>((pc + p) * N + jr) << 2);
        v128.store(out, v128.load(src));
        v128.store(out, v128.load(src, 16), 16);
        out += NR << 2;
      }
    } else if (nr == NR) {
      const row = <usize>K << 2;
      for (; p + 3 < kc; p += 4) {
        const src = b + (<usize>(jr * K + pc + p) << 2);
        storeTransposed(v128.load(src), v128.load(src + row), v128.load(src + 2 * row), v128.load(src + 3 * row), out, NR << 2);
        const src4 = src + 4 * row;
        storeTransposed(v128.load(src4), v128.load(src4 + row), v128.load(src4 + 2 * row), v128.load(src4 + 3 * row), out + 16, NR << 2);
        out += NR << 4;
      }
    }
    for (; p < kc; p++) {
      const k = pc + p;
      for (let j = 0; j < NR; j++) {
        let v: f32 = 0;
        if (j < nr) v = transB ? at(b, (jr + j) * K + k) : at(b, k * N + jr + j);
        store<f32>(out, v);
        out += 4;
      }
    }
  }
}

// Packs rows i0..i1 of op(A), columns pc..pc+kc, into panels MR = 4 tall: panel by panel,
// k by k, the 4 values of that k. Full panels go 4 floats at a time, as in packB.
function packA(a: usize, transA: bool, M: i32, K: i32, pc: i32, kc: i32, dst: usize, i0: i32, i1: i32): void {
  for (let ir = i0; ir < i1; ir += MR) {
    const mr = min(MR, i1 - ir);
    let out = dst + (<usize>((ir - i0) / MR) * <usize>(kc * MR) << 2);
    let p = 0;
    if (mr == MR && transA) {
      for (; p < kc; p++) {
        v128.store(out, v128.load(a + (<usize>((pc + p) * M + ir) << 2)));
        out += MR << 2;
      }
    } else if (mr == MR) {
      const row = <usize>K << 2;
      for (; p + 3 < kc; p += 4) {
        const src = a + (<usize>(ir * K + pc + p) << 2);
        storeTransposed(v128.load(src), v128.load(src + row), v128.load(src + 2 * row), v128.load(src + 3 * row), out, MR << 2);
        out += MR << 4;
      }
    }
    for (; p < kc; p++) {
      const k = pc + p;
      for (let i = 0; i < MR; i++) {
        let v: f32 = 0;
        if (i < mr) v = transA ? at(a, k * M + ir + i) : at(a, (ir + i) * K + k);
        store<f32>(out, v);
        out += 4;
      }
    }
  }
}

// What happens to a finished tile of C on the last block of K (the epilogue): the bias of
// its columns added (`bias`, the tile's first column's, or 0 for none) and negatives set to
// zero (`relu`): Linear with its bias and ReLU fused, applied while the tile is still in
// registers instead of in two more passes over C.
// Writes one full row of the tile (8 values, two vectors), added to C unless overwriting,
// then the epilogue's bias and ReLU.
@inline function writeRow(c: usize, lo: v128, hi: v128, overwrite: bool, bias: usize, relu: bool): void {
  if (!overwrite) {
    lo = f32x4.add(lo, v128.load(c));
    hi = f32x4.add(hi, v128.load(c, 16));
  }
  if (bias) {
    lo = f32x4.add(lo, v128.load(bias));
    hi = f32x4.add(hi, v128.load(bias, 16));
  }
  if (relu) {
    // max(v, 0) as PyTorch's relu: a NaN stays NaN (pmax would pick 0 over it).
    const zero = f32x4.splat(0);
    lo = v128.bitselect(zero, lo, f32x4.lt(lo, zero));
    hi = v128.bitselect(zero, hi, f32x4.lt(hi, zero));
  }
  v128.store(c, lo);
  v128.store(c, hi, 16);
}

// A row of fewer than 8 columns at the right edge of C, lane by lane.
function writeEdge(c: usize, lo: v128, hi: v128, nr: i32, overwrite: bool, bias: usize, relu: bool): void {
  for (let j = 0; j < nr; j++) {
    const p = c + (<usize>j << 2);
    let v = j < 4 ? laneF32(lo, j) : laneF32(hi, j - 4);
    if (!overwrite) v += load<f32>(p);
    if (bias) v += load<f32>(bias + (<usize>j << 2));
    if (relu && v < 0) v = 0;
    store<f32>(p, v);
  }
}

function microKernel(kc: i32, pa: usize, pb: usize, c: usize, ldc: i32, mr: i32, nr: i32, overwrite: bool, bias: usize, relu: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa);
    const a1 = v128.load32_splat(pa, 4);
    const a2 = v128.load32_splat(pa, 8);
    const a3 = v128.load32_splat(pa, 12);
    c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01);
    c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11);
    c20 = madd(a2, b0, c20); c21 = madd(a2, b1, c21);
    c30 = madd(a3, b0, c30); c31 = madd(a3, b1, c31);
    pa += 16;
    pb += 32;
  }
  const row = <usize>ldc << 2;
  if (nr == NR) {
    writeRow(c, c00, c01, overwrite, bias, relu);
    if (mr > 1) writeRow(c + row, c10, c11, overwrite, bias, relu);
    if (mr > 2) writeRow(c + 2 * row, c20, c21, overwrite, bias, relu);
    if (mr > 3) writeRow(c + 3 * row, c30, c31, overwrite, bias, relu);
  } else {
    writeEdge(c, c00, c01, nr, overwrite, bias, relu);
    if (mr > 1) writeEdge(c + row, c10, c11, nr, overwrite, bias, relu);
    if (mr > 2) writeEdge(c + 2 * row, c20, c21, nr, overwrite, bias, relu);
    if (mr > 3) writeEdge(c + 3 * row, c30, c31, nr, overwrite, bias, relu);
  }
}

/**
 * Columns j0 ≤ j < j1 of C (+)= op(A)·op(B), j0 a multiple of 8. `a`, `b`, `c` and
 * `scratch` (packBytes(M, N, K) bytes) are byte addresses in this module's memory. Two
 * threads sharing the memory compute disjoint column ranges of one product at once.
 */
export function gemm(transA: bool, transB: bool, M: i32, N: i32, K: i32, a: usize, b: usize, c: usize, accumulate: bool, scratch: usize,
    j0: i32, j1: i32): void {
  linearEpilogue(transA, transB, M, N, K, a, b, c, accumulate, scratch, j0, j1, 0, false);
}

/**
 * gemm, then C[i, j] += bias[j] (when `bias` is not 0) and C = max(C, 0) (when `relu`),
 * both applied to each tile as it is finished: a fused Linear (+ ReLU) forward.
 */
export function linearEpilogue(transA: bool, transB: bool, M: i32, N: i32, K: i32, a: usize, b: usize, c: usize, accumulate: bool,
    scratch: usize, j0: i32, j1: i32, bias: usize, relu: bool): void {
  if (M == 0 || j1 <= j0) return;
  if (K == 0) {
    for (let i = 0; i < M; i++) {
      for (let j = j0; j < j1; j++) {
        const p = c + (<usize>(i * N + j) << 2);
        let v: f32 = accumulate ? load<f32>(p) : 0;
        if (bias) v += load<f32>(bias + (<usize>j << 2));
        if (relu && v < 0) v = 0;
        store<f32>(p, v);
      }
    }
    return;
  }
  const kBlock = (K + (K + KC - 1) / KC - 1) / ((K + KC - 1) / KC);
  const panelsB = (N + NR - 1) / NR;
  const pB = (scratch + 15) & ~<usize>15;
  const pA = pB + (<usize>(panelsB * NR * min(K, KC)) << 2);
  for (let pc = 0; pc < K; pc += kBlock) {
    const kc = min(kBlock, K - pc);
    const overwrite = pc == 0 && !accumulate;
    const last = pc + kc >= K;
    packB(b, transB, N, K, pc, kc, pB, j0, j1);
    for (let ic = 0; ic < M; ic += MC) {
      const i1 = min(M, ic + MC);
      packA(a, transA, M, K, pc, kc, pA, ic, i1);
      for (let jr = j0; jr < j1; jr += NR) {
        const nr = min(NR, j1 - jr);
        const pb = pB + (<usize>((jr - j0) / NR) * <usize>(kc * NR) << 2);
        for (let ir = ic; ir < i1; ir += MR) {
          const mr = min(MR, i1 - ir);
          const pa = pA + (<usize>((ir - ic) / MR) * <usize>(kc * MR) << 2);
          microKernel(kc, pa, pb, c + (<usize>(ir * N + jr) << 2), N, mr, nr, overwrite, last && bias ? bias + (<usize>jr << 2) : 0,
              last && relu);
        }
      }
    }
  }
}
