/**
 * Cache-blocked, register-blocked GEMM in plain TypeScript (the Goto/BLIS scheme):
 * C = op(A)·op(B), or C += op(A)·op(B), with the same arguments as `gemmNaive`.
 *
 * The K dimension is cut into blocks of KC and M into blocks of MC. For each block, B's
 * KC×N panel and A's MC×KC panel are copied ("packed") into Float64Arrays laid out in the
 * exact order the micro-kernel reads them: MR rows (or NR columns) interleaved per k.
 * Packing also absorbs the transposes, so one micro-kernel serves all three layouts that
 * Linear needs (x·Wᵀ, dy·W, dyᵀ·x). The micro-kernel keeps an MR×NR tile of C in local
 * variables, which V8 holds in registers, and streams the packed panels once.
 */
const MR = 4;
const NR = 4;
const KC = 256;
const MC = 128;

let packA = new Float64Array(MC * KC);
let packB = new Float64Array(0);
let rowScratch = new Float64Array(0);

export function gemmBlocked(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  B: Float32Array,
  C: Float32Array,
  accumulate: boolean,
): void {
  if (M === 0 || N === 0) return;
  if (K === 0) {
    if (!accumulate) C.fill(0, 0, M * N);
    return;
  }
  if (M < MR) {
    gemmFewRows(transA, transB, M, N, K, A, B, C, accumulate);
    return;
  }
  const nPanels = Math.ceil(N / NR);
  if (packB.length < nPanels * NR * KC) packB = new Float64Array(nPanels * NR * KC);
  if (packA.length < MC * KC) packA = new Float64Array(MC * KC);

  // Equal K blocks of at most KC (784 → 4 × 196, not 256 + 256 + 256 + 16): a sliver of a
  // block would cost a full pass of packing and tile stores for little work.
  const kBlock = Math.ceil(K / Math.ceil(K / KC));
  for (let pc = 0; pc < K; pc += kBlock) {
    const kc = Math.min(kBlock, K - pc);
    const overwrite = pc === 0 && !accumulate;
    packPanelB(B, transB, N, K, pc, kc, packB);
    for (let ic = 0; ic < M; ic += MC) {
      const mc = Math.min(MC, M - ic);
      packPanelA(A, transA, M, K, ic, pc, mc, kc, packA);
      for (let jr = 0; jr < N; jr += NR) {
        const nr = Math.min(NR, N - jr);
        const bOffset = (jr / NR) * kc * NR;
        for (let ir = 0; ir < mc; ir += MR) {
          const mr = Math.min(MR, mc - ir);
          microKernel(kc, packA, (ir / MR) * kc * MR, packB, bOffset, C, (ic + ir) * N + jr, N, mr, nr, overwrite);
        }
      }
    }
  }
}

/**
 * C (+)= op(A)·op(B) for fewer rows than a register tile (e.g. one image at a time).
 * Packing B would touch all of B for a few rows of work, so this streams B directly:
 * dot products along B's rows when B is transposed (x·Wᵀ), row updates (axpy) otherwise.
 */
function gemmFewRows(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  B: Float32Array,
  C: Float32Array,
  accumulate: boolean,
): void {
  if (rowScratch.length < K) rowScratch = new Float64Array(K);
  const a = rowScratch;
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) a[k] = transA ? A[k * M + i] : A[i * K + k];
    const row = i * N;
    if (!accumulate) C.fill(0, row, row + N);
    if (transB) {
      const K4 = K - (K % 4);
      for (let j = 0; j < N; j++) {
        const b = j * K;
        let s0 = 0,
          s1 = 0,
          s2 = 0,
          s3 = 0;
        for (let k = 0; k < K4; k += 4) {
          s0 += a[k] * B[b + k];
          s1 += a[k + 1] * B[b + k + 1];
          s2 += a[k + 2] * B[b + k + 2];
          s3 += a[k + 3] * B[b + k + 3];
        }
        for (let k = K4; k < K; k++) s0 += a[k] * B[b + k];
        C[row + j] += s0 + s1 + s2 + s3;
      }
    } else {
      for (let k = 0; k < K; k++) {
        const ak = a[k];
        if (ak === 0) continue;
        const b = k * N;
        for (let j = 0; j < N; j++) C[row + j] += ak * B[b + j];
      }
    }
  }
}

/** Copies op(B)[pc:pc+kc, 0:N] into NR-wide column panels: dst[(panel·kc + p)·NR + j]. */
function packPanelB(B: Float32Array, transB: boolean, N: number, K: number, pc: number, kc: number, dst: Float64Array): void {
  for (let jr = 0; jr < N; jr += NR) {
    const base = (jr / NR) * kc * NR;
    const nr = Math.min(NR, N - jr);
    for (let p = 0; p < kc; p++) {
      const d = base + p * NR;
      for (let j = 0; j < NR; j++) {
        // Columns past N are zero so the micro-kernel can always run a full tile.
        dst[d + j] = j < nr ? (transB ? B[(jr + j) * K + pc + p] : B[(pc + p) * N + jr + j]) : 0;
      }
    }
  }
}

/** Copies op(A)[ic:ic+mc, pc:pc+kc] into MR-tall row panels: dst[(panel·kc + p)·MR + i]. */
function packPanelA(
  A: Float32Array,
  transA: boolean,
  M: number,
  K: number,
  ic: number,
  pc: number,
  mc: number,
  kc: number,
  dst: Float64Array,
): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const base = (ir / MR) * kc * MR;
    const mr = Math.min(MR, mc - ir);
    for (let p = 0; p < kc; p++) {
      const d = base + p * MR;
      for (let i = 0; i < MR; i++) {
        dst[d + i] = i < mr ? (transA ? A[(pc + p) * M + ic + ir + i] : A[(ic + ir + i) * K + pc + p]) : 0;
      }
    }
  }
}

/** C[MR×NR tile] (+)= packed A panel · packed B panel; writes only the mr×nr valid part. */
// biome-ignore format: the 4×4 tile of sums laid out as the tile it is
function microKernel(
  kc: number, a: Float64Array, ai: number, b: Float64Array, bi: number,
  C: Float32Array, ci: number, ldc: number, mr: number, nr: number, overwrite: boolean,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < kc; p++) {
    const a0 = a[ai], a1 = a[ai + 1], a2 = a[ai + 2], a3 = a[ai + 3];
    const b0 = b[bi], b1 = b[bi + 1], b2 = b[bi + 2], b3 = b[bi + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    ai += MR;
    bi += NR;
  }
  if (mr === MR && nr === NR) {
    storeRow(C, ci, c00, c01, c02, c03, overwrite);
    storeRow(C, ci + ldc, c10, c11, c12, c13, overwrite);
    storeRow(C, ci + 2 * ldc, c20, c21, c22, c23, overwrite);
    storeRow(C, ci + 3 * ldc, c30, c31, c32, c33, overwrite);
    return;
  }
  const tile = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
  for (let i = 0; i < mr; i++) {
    for (let j = 0; j < nr; j++) {
      const k = ci + i * ldc + j;
      C[k] = overwrite ? tile[i * NR + j] : C[k] + tile[i * NR + j];
    }
  }
}

function storeRow(C: Float32Array, k: number, v0: number, v1: number, v2: number, v3: number, overwrite: boolean): void {
  if (overwrite) {
    C[k] = v0;
    C[k + 1] = v1;
    C[k + 2] = v2;
    C[k + 3] = v3;
  } else {
    C[k] += v0;
    C[k + 1] += v1;
    C[k + 2] += v2;
    C[k + 3] += v3;
  }
}

/** This file's entries of the kernel interface (interface.ts joins every file's). */
export const gemmKernels = { gemm: gemmBlocked };
