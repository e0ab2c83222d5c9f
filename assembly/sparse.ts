// CSR × dense in WebAssembly: y[N, rows] = x[N, cols]·Wᵀ with W in CSR, the computation of
// src/tensor/kernels/sparse.ts. Column indices stay as narrow as they are stored (8, 16 or
// 32 bits: `width` bytes), so the bytes pruning saves are also bytes not read.
//
// Layout, chosen by measurement (see the README): the CSR rows of W, and the input batch
// transposed so that the N values of one input feature sit side by side (xT `[cols, Np]`,
// Np = N rounded up to 4). Each stored weight is then splatted once and multiplied into 16
// batch values with four vector loads: the batch is the SIMD dimension. For one input
// (N = 1) there is nothing to put side by side, and 4 gathered inputs meet 4 weights.
import { hsumF32, madd } from './simd';

@inline function colAt<T>(idx: usize, p: i32): usize {
  return <usize>load<T>(idx + <usize>p * sizeof<T>());
}

@inline function rowStart(rowPtr: usize, r: i32): i32 {
  return load<i32>(rowPtr + (<usize>r << 2));
}

/** Writes the lanes of `s` that are real batch rows n..n+3 (< N) of column r of y `[N, rows]`. */
@inline function storeColumn(y: usize, s: v128, n: i32, N: i32, r: i32, rows: i32): void {
  const at = y + (<usize>(n * rows + r) << 2), stride = <usize>rows << 2;
  store<f32>(at, f32x4.extract_lane(s, 0));
  if (n + 1 < N) store<f32>(at + stride, f32x4.extract_lane(s, 1));
  if (n + 2 < N) store<f32>(at + 2 * stride, f32x4.extract_lane(s, 2));
  if (n + 3 < N) store<f32>(at + 3 * stride, f32x4.extract_lane(s, 3));
}

function gatherRows<T>(rowPtr: usize, idx: usize, val: usize, x: usize, y: usize, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    let p = rowStart(rowPtr, r);
    const end = rowStart(rowPtr, r + 1);
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
    for (; p + 7 < end; p += 8) {
      let g0 = f32x4.splat(load<f32>(x + (colAt<T>(idx, p) << 2)));
      g0 = f32x4.replace_lane(g0, 1, load<f32>(x + (colAt<T>(idx, p + 1) << 2)));
      g0 = f32x4.replace_lane(g0, 2, load<f32>(x + (colAt<T>(idx, p + 2) << 2)));
      g0 = f32x4.replace_lane(g0, 3, load<f32>(x + (colAt<T>(idx, p + 3) << 2)));
      let g1 = f32x4.splat(load<f32>(x + (colAt<T>(idx, p + 4) << 2)));
      g1 = f32x4.replace_lane(g1, 1, load<f32>(x + (colAt<T>(idx, p + 5) << 2)));
      g1 = f32x4.replace_lane(g1, 2, load<f32>(x + (colAt<T>(idx, p + 6) << 2)));
      g1 = f32x4.replace_lane(g1, 3, load<f32>(x + (colAt<T>(idx, p + 7) << 2)));
      const v = val + (<usize>p << 2);
      s0 = madd(v128.load(v), g0, s0);
      s1 = madd(v128.load(v, 16), g1, s1);
    }
    let acc = hsumF32(f32x4.add(s0, s1));
    for (; p < end; p++) acc += load<f32>(val + (<usize>p << 2)) * load<f32>(x + (colAt<T>(idx, p) << 2));
    store<f32>(y + (<usize>r << 2), acc);
  }
}

/**
 * Rows r0 ≤ r < r1 of y = x·Wᵀ for one input x `[cols]`: y `[rows]`. `width` is the byte
 * width of the column indices (1, 2 or 4); all pointers are byte addresses in this memory.
 */
export function csrGemv(width: i32, rowPtr: usize, idx: usize, val: usize, x: usize, y: usize, r0: i32, r1: i32): void {
  if (width == 1) gatherRows<u8>(rowPtr, idx, val, x, y, r0, r1);
  else if (width == 2) gatherRows<u16>(rowPtr, idx, val, x, y, r0, r1);
  else gatherRows<i32>(rowPtr, idx, val, x, y, r0, r1);
}

function batchRows<T>(rowPtr: usize, idx: usize, val: usize, xT: usize, N: i32, Np: i32, y: usize, rows: i32, r0: i32, r1: i32): void {
  const lineBytes = <usize>Np << 2;
  for (let r = r0; r < r1; r++) {
    const start = rowStart(rowPtr, r), end = rowStart(rowPtr, r + 1);
    let n = 0;
    for (; n + 16 <= Np; n += 16) {
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      const base = xT + (<usize>n << 2);
      for (let p = start; p < end; p++) {
        const w = v128.load32_splat(val + (<usize>p << 2));
        const src = base + colAt<T>(idx, p) * lineBytes;
        s0 = madd(w, v128.load(src), s0);
        s1 = madd(w, v128.load(src, 16), s1);
        s2 = madd(w, v128.load(src, 32), s2);
        s3 = madd(w, v128.load(src, 48), s3);
      }
      storeColumn(y, s0, n, N, r, rows);
      storeColumn(y, s1, n + 4, N, r, rows);
      storeColumn(y, s2, n + 8, N, r, rows);
      storeColumn(y, s3, n + 12, N, r, rows);
    }
    for (; n < Np; n += 4) {
      let s = f32x4.splat(0);
      const base = xT + (<usize>n << 2);
      for (let p = start; p < end; p++) s = madd(v128.load32_splat(val + (<usize>p << 2)), v128.load(base + colAt<T>(idx, p) * lineBytes), s);
      storeColumn(y, s, n, N, r, rows);
    }
  }
}

/**
 * Rows r0 ≤ r < r1 of y = x·Wᵀ for a batch: xT `[cols, Np]` the batch transposed and
 * padded to Np (a multiple of 4) columns, y `[N, rows]`.
 */
export function csrGemm(width: i32, rowPtr: usize, idx: usize, val: usize, xT: usize, N: i32, Np: i32, y: usize, rows: i32, r0: i32, r1: i32): void {
  if (width == 1) batchRows<u8>(rowPtr, idx, val, xT, N, Np, y, rows, r0, r1);
  else if (width == 2) batchRows<u16>(rowPtr, idx, val, xT, N, Np, y, rows, r0, r1);
  else batchRows<i32>(rowPtr, idx, val, xT, N, Np, y, rows, r0, r1);
}

/** xT `[cols, Np]` = x `[N, cols]` transposed, columns N..Np−1 zero. */
export function transposePad(x: usize, N: i32, cols: i32, Np: i32, xT: usize): void {
  for (let c = 0; c < cols; c++) {
    const line = xT + (<usize>(c * Np) << 2);
    for (let n = 0; n < N; n++) store<f32>(line + (<usize>n << 2), load<f32>(x + (<usize>(n * cols + c) << 2)));
    for (let n = N; n < Np; n++) store<f32>(line + (<usize>n << 2), 0);
  }
}
