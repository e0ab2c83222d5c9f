// Integer GEMM for int8 inference, on 128-bit SIMD: C[M, N] (int32) = A[M, K]·W[N, K]ᵀ,
// with A the activations minus their zero point and W the int8 weights, both widened to
// 16 bits and padded with zeros to a multiple of 8 along K (done once per layer for W).
// `i32x4.dot_i16x8_s` multiplies eight 16-bit pairs and adds neighbours into four 32-bit
// sums: 8 multiply-adds per instruction, exact (|a·w| ≤ 255·127, sums of up to 2¹⁶ terms fit).

@inline function hsum(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/**
 * Columns j0 ≤ j < j1 of C = A·Wᵀ: A `[M, Kp]` and W `[N, Kp]` int16 (Kp a multiple of 8),
 * C `[M, N]` int32; byte addresses in this module's memory. Tiles of 2 rows × 4 columns:
 * per 8 values of K, 6 vector loads feed 8 dot products.
 */
export function gemmI16(M: i32, N: i32, Kp: i32, a: usize, w: usize, c: usize, j0: i32, j1: i32): void {
  const rowBytes = <usize>Kp << 1;
  for (let i = 0; i < M; i += 2) {
    const two = i + 1 < M;
    const a0 = a + <usize>i * rowBytes;
    const a1 = two ? a0 + rowBytes : a0;
    const c0 = c + (<usize>(i * N) << 2);
    const c1 = c0 + (<usize>N << 2);
    let j = j0;
    for (; j + 3 < j1; j += 4) {
      const w0 = w + <usize>j * rowBytes, w1 = w0 + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
      let s00 = i32x4.splat(0), s01 = i32x4.splat(0), s02 = i32x4.splat(0), s03 = i32x4.splat(0);
      let s10 = i32x4.splat(0), s11 = i32x4.splat(0), s12 = i32x4.splat(0), s13 = i32x4.splat(0);
      for (let k: usize = 0; k < rowBytes; k += 16) {
        const x0 = v128.load(a0 + k), x1 = v128.load(a1 + k);
        const y0 = v128.load(w0 + k), y1 = v128.load(w1 + k), y2 = v128.load(w2 + k), y3 = v128.load(w3 + k);
        s00 = i32x4.add(s00, i32x4.dot_i16x8_s(x0, y0)); s01 = i32x4.add(s01, i32x4.dot_i16x8_s(x0, y1));
        s02 = i32x4.add(s02, i32x4.dot_i16x8_s(x0, y2)); s03 = i32x4.add(s03, i32x4.dot_i16x8_s(x0, y3));
        s10 = i32x4.add(s10, i32x4.dot_i16x8_s(x1, y0)); s11 = i32x4.add(s11, i32x4.dot_i16x8_s(x1, y1));
        s12 = i32x4.add(s12, i32x4.dot_i16x8_s(x1, y2)); s13 = i32x4.add(s13, i32x4.dot_i16x8_s(x1, y3));
      }
      const o = <usize>j << 2;
      store<i32>(c0 + o, hsum(s00)); store<i32>(c0 + o, hsum(s01), 4);
      store<i32>(c0 + o, hsum(s02), 8); store<i32>(c0 + o, hsum(s03), 12);
      if (two) {
        store<i32>(c1 + o, hsum(s10)); store<i32>(c1 + o, hsum(s11), 4);
        store<i32>(c1 + o, hsum(s12), 8); store<i32>(c1 + o, hsum(s13), 12);
      }
    }
    for (; j < j1; j++) {
      const w0 = w + <usize>j * rowBytes;
      let s0 = i32x4.splat(0), s1 = i32x4.splat(0);
      for (let k: usize = 0; k < rowBytes; k += 16) {
        const y0 = v128.load(w0 + k);
        s0 = i32x4.add(s0, i32x4.dot_i16x8_s(v128.load(a0 + k), y0));
        s1 = i32x4.add(s1, i32x4.dot_i16x8_s(v128.load(a1 + k), y0));
      }
      store<i32>(c0 + (<usize>j << 2), hsum(s0));
      if (two) store<i32>(c1 + (<usize>j << 2), hsum(s1));
    }
  }
}

/** Σ w·q over 16 lanes into four 32-bit sums: i8 weights × 7-bit unsigned activations (relaxed SIMD), pairs widened. */
@inline function dotU7(w: v128, q: v128, acc: v128): v128 {
  // Two products of at most 128·127 fit 16 bits, so the pair sums are exact; the add form
  // (i32x4.relaxed_dot_i8x16_i7x16_add_s) is avoided: V8 11.3's baseline compiler adds its
  // accumulator twice.
  return i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(w, q)));
}

/**
 * One row of gemmU7I8 (a batch of one, or the odd last row): y `[N]` int32 for the 7-bit
 * row at `a`, 4 columns at a time. Memory-bound: each weight byte is read once.
 */
function oneRowU7(N: i32, Kp: i32, a: usize, w: usize, c: usize, j0: i32, j1: i32, z: i32, rowSums: usize): void {
  if (!ASC_FEATURE_RELAXED_SIMD) unreachable();
  else {
    const rowBytes = <usize>Kp;
    let j = j0;
    for (; j + 3 < j1; j += 4) {
      const w0 = w + <usize>j * rowBytes, w1 = w0 + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
      let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
      for (let k: usize = 0; k < rowBytes; k += 16) {
        const x = v128.load(a + k);
        s0 = dotU7(v128.load(w0 + k), x, s0); s1 = dotU7(v128.load(w1 + k), x, s1);
        s2 = dotU7(v128.load(w2 + k), x, s2); s3 = dotU7(v128.load(w3 + k), x, s3);
      }
      const o = <usize>j << 2;
      store<i32>(c + o, hsum(s0) - z * load<i32>(rowSums + o)); store<i32>(c + o, hsum(s1) - z * load<i32>(rowSums + o, 4), 4);
      store<i32>(c + o, hsum(s2) - z * load<i32>(rowSums + o, 8), 8); store<i32>(c + o, hsum(s3) - z * load<i32>(rowSums + o, 12), 12);
    }
    for (; j < j1; j++) {
      const w0 = w + <usize>j * rowBytes;
      let s = i32x4.splat(0);
      for (let k: usize = 0; k < rowBytes; k += 16) s = dotU7(v128.load(w0 + k), v128.load(a + k), s);
      store<i32>(c + (<usize>j << 2), hsum(s) - z * load<i32>(rowSums + (<usize>j << 2)));
    }
  }
}

/**
 * Columns j0 ≤ j < j1 of C = (Q − z)·Wᵀ, the relaxed-SIMD build's int8 product: Q `[M, Kp]`
 * activations as 7-bit unsigned bytes (q ∈ [0, 127]: PyTorch's reduce_range), W `[N, Kp]`
 * int8, Kp a multiple of 16, zeros past K in both. Σ w·q runs 16 multiply-adds per vector
 * (twice gemmI16's, on half the bytes), then z·Σ_k w (`rowSums`, int32 per column) is
 * subtracted: exactly the sums gemmI16 gives. Tiles of 2 rows × 4 columns; an odd last
 * row takes oneRowU7, so a batch of one does not compute a copy of its row.
 */
export function gemmU7I8(M: i32, N: i32, Kp: i32, a: usize, w: usize, c: usize, j0: i32, j1: i32, z: i32, rowSums: usize): void {
  if (!ASC_FEATURE_RELAXED_SIMD) unreachable(); // the plain build never calls it
  else {
    const rowBytes = <usize>Kp;
    if (M & 1) oneRowU7(N, Kp, a + <usize>(M - 1) * rowBytes, w, c + (<usize>((M - 1) * N) << 2), j0, j1, z, rowSums);
    for (let i = 0; i + 1 < M; i += 2) {
      const a0 = a + <usize>i * rowBytes;
      const a1 = a0 + rowBytes;
      const c0 = c + (<usize>(i * N) << 2);
      const c1 = c0 + (<usize>N << 2);
      let j = j0;
      for (; j + 3 < j1; j += 4) {
        const w0 = w + <usize>j * rowBytes, w1 = w0 + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
        let s00 = i32x4.splat(0), s01 = i32x4.splat(0), s02 = i32x4.splat(0), s03 = i32x4.splat(0);
        let s10 = i32x4.splat(0), s11 = i32x4.splat(0), s12 = i32x4.splat(0), s13 = i32x4.splat(0);
        for (let k: usize = 0; k < rowBytes; k += 16) {
          const x0 = v128.load(a0 + k), x1 = v128.load(a1 + k);
          const y0 = v128.load(w0 + k), y1 = v128.load(w1 + k), y2 = v128.load(w2 + k), y3 = v128.load(w3 + k);
          s00 = dotU7(y0, x0, s00); s01 = dotU7(y1, x0, s01); s02 = dotU7(y2, x0, s02); s03 = dotU7(y3, x0, s03);
          s10 = dotU7(y0, x1, s10); s11 = dotU7(y1, x1, s11); s12 = dotU7(y2, x1, s12); s13 = dotU7(y3, x1, s13);
        }
        const o = <usize>j << 2;
        const r0 = z * load<i32>(rowSums + o), r1 = z * load<i32>(rowSums + o, 4), r2 = z * load<i32>(rowSums + o, 8),
            r3 = z * load<i32>(rowSums + o, 12);
        store<i32>(c0 + o, hsum(s00) - r0); store<i32>(c0 + o, hsum(s01) - r1, 4);
        store<i32>(c0 + o, hsum(s02) - r2, 8); store<i32>(c0 + o, hsum(s03) - r3, 12);
        store<i32>(c1 + o, hsum(s10) - r0); store<i32>(c1 + o, hsum(s11) - r1, 4);
        store<i32>(c1 + o, hsum(s12) - r2, 8); store<i32>(c1 + o, hsum(s13) - r3, 12);
      }
      for (; j < j1; j++) {
        const w0 = w + <usize>j * rowBytes;
        let s0 = i32x4.splat(0), s1 = i32x4.splat(0);
        for (let k: usize = 0; k < rowBytes; k += 16) {
          const y0 = v128.load(w0 + k);
          s0 = dotU7(y0, v128.load(a0 + k), s0);
          s1 = dotU7(y0, v128.load(a1 + k), s1);
        }
        const r = z * load<i32>(rowSums + (<usize>j << 2));
        store<i32>(c0 + (<usize>j << 2), hsum(s0) - r);
        store<i32>(c1 + (<usize>j << 2), hsum(s1) - r);
      }
    }
  }
}
