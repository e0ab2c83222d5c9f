// Products of a few rows (1 to 3: one image at a time), memory-bound: every weight is read
// once, so the speed is how fast the weights stream. C[M, N] (+)= A[M, K]·op(B), A not
// transposed, the same meaning as src/tensor/kernels/gemm.ts.
//   op(B) = Bᵀ, B `[N, K]` (a Linear's forward, x·Wᵀ): each output is a dot product of a
//     row of A with a row of B; four rows of B at a time, four floats of K per step.
//   op(B) = B, B `[K, N]`: each row of B is scaled by A's value and added to C; C's
//     columns stay in registers, 16 at a time.
import { hsumF32, madd } from './simd';

@inline function addOrSet(c: usize, v: f32, accumulate: bool): void {
  store<f32>(c, accumulate ? load<f32>(c) + v : v);
}

// Columns j0..j1 of C = A·Bᵀ for M ≤ 3 rows of A.
function dotRows(M: i32, N: i32, K: i32, a: usize, b: usize, c: usize, accumulate: bool, j0: i32, j1: i32): void {
  const rowBytes = <usize>K << 2;
  const K4 = K & ~3;
  const a1 = M > 1 ? a + rowBytes : a, a2 = M > 2 ? a + 2 * rowBytes : a;
  let j = j0;
  for (; j < j1; j += 4) {
    const nj = min(4, j1 - j);
    const b0 = b + <usize>j * rowBytes;
    const b1 = nj > 1 ? b0 + rowBytes : b0, b2 = nj > 2 ? b0 + 2 * rowBytes : b0, b3 = nj > 3 ? b0 + 3 * rowBytes : b0;
    let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0);
    let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0);
    let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s22 = f32x4.splat(0), s23 = f32x4.splat(0);
    for (let k: usize = 0; k < <usize>K4 << 2; k += 16) {
      const w0 = v128.load(b0 + k), w1 = v128.load(b1 + k), w2 = v128.load(b2 + k), w3 = v128.load(b3 + k);
      const x0 = v128.load(a + k);
      s00 = madd(x0, w0, s00); s01 = madd(x0, w1, s01); s02 = madd(x0, w2, s02); s03 = madd(x0, w3, s03);
      if (M > 1) {
        const x1 = v128.load(a1 + k);
        s10 = madd(x1, w0, s10); s11 = madd(x1, w1, s11); s12 = madd(x1, w2, s12); s13 = madd(x1, w3, s13);
      }
      if (M > 2) {
        const x2 = v128.load(a2 + k);
        s20 = madd(x2, w0, s20); s21 = madd(x2, w1, s21); s22 = madd(x2, w2, s22); s23 = madd(x2, w3, s23);
      }
    }
    for (let i = 0; i < M; i++) {
      const ai = a + <usize>i * rowBytes;
      const ci = c + (<usize>(i * N + j) << 2);
      for (let t = 0; t < nj; t++) {
        const s = i == 0 ? (t == 0 ? s00 : t == 1 ? s01 : t == 2 ? s02 : s03)
          : i == 1 ? (t == 0 ? s10 : t == 1 ? s11 : t == 2 ? s12 : s13)
          : (t == 0 ? s20 : t == 1 ? s21 : t == 2 ? s22 : s23);
        let v = hsumF32(s);
        const bt = b0 + <usize>t * rowBytes;
        for (let k = K4; k < K; k++) v += load<f32>(ai + (<usize>k << 2)) * load<f32>(bt + (<usize>k << 2));
        addOrSet(ci + (<usize>t << 2), v, accumulate);
      }
    }
  }
}

// Columns j0..j1 of C = A·B, B `[K, N]`, for M ≤ 3 rows of A.
function axpyRows(M: i32, N: i32, K: i32, a: usize, b: usize, c: usize, accumulate: bool, j0: i32, j1: i32): void {
  const rowBytes = <usize>K << 2;
  let j = j0;
  for (; j + 16 <= j1; j += 16) {
    for (let i = 0; i < M; i++) {
      const ai = a + <usize>i * rowBytes;
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      let src = b + (<usize>j << 2);
      for (let k = 0; k < K; k++) {
        const x = v128.load32_splat(ai + (<usize>k << 2));
        s0 = madd(x, v128.load(src), s0); s1 = madd(x, v128.load(src, 16), s1);
        s2 = madd(x, v128.load(src, 32), s2); s3 = madd(x, v128.load(src, 48), s3);
        src += <usize>N << 2;
      }
      const ci = c + (<usize>(i * N + j) << 2);
      if (accumulate) {
        s0 = f32x4.add(s0, v128.load(ci)); s1 = f32x4.add(s1, v128.load(ci, 16));
        s2 = f32x4.add(s2, v128.load(ci, 32)); s3 = f32x4.add(s3, v128.load(ci, 48));
      }
      v128.store(ci, s0); v128.store(ci, s1, 16); v128.store(ci, s2, 32); v128.store(ci, s3, 48);
    }
  }
  for (; j < j1; j++) {
    for (let i = 0; i < M; i++) {
      const ai = a + <usize>i * rowBytes;
      let v: f32 = 0;
      for (let k = 0; k < K; k++) v += load<f32>(ai + (<usize>k << 2)) * load<f32>(b + (<usize>(k * N + j) << 2));
      addOrSet(c + (<usize>(i * N + j) << 2), v, accumulate);
    }
  }
}

/**
 * Columns j0 ≤ j < j1 of C (+)= A·op(B) for M ≤ 3 rows of A (not transposed); byte
 * addresses in this module's memory. Two threads may take disjoint column ranges.
 */
export function gemv(transB: bool, M: i32, N: i32, K: i32, a: usize, b: usize, c: usize, accumulate: bool, j0: i32, j1: i32): void {
  if (M == 0 || j1 <= j0) return;
  if (transB) dotRows(M, N, K, a, b, c, accumulate, j0, j1);
  else axpyRows(M, N, K, a, b, c, accumulate, j0, j1);
}
