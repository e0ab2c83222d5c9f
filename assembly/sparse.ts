// CSR × dense in WebAssembly: y[N, rows] = x[N, cols]·Wᵀ with W in CSR, the computation of
// src/tensor/kernels/sparse.ts. Column indices stay as narrow as they are stored (8, 16 or
// 32 bits: `width` bytes), so the bytes pruning saves are also bytes not read.
//
// Layout, chosen by measurement (see the README): the CSR rows of W, and the input batch
// transposed so that the N values of one input feature sit side by side (xT `[cols, Np]`,
// Np = N rounded up to 4). Each stored weight is then splatted once and multiplied into 16
// batch values with four vector loads: the batch is the SIMD dimension. For one input
// (N = 1) there is nothing to put side by side, and 4 gathered inputs meet 4 weights.
import { hsumF32, madd, storeTransposed } from './simd';

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

function gatherRows<T>(rowPtr: usize, idx: usize, val: usize, x: usize, y: usize, r0: i32, r1: i32, bias: usize, relu: bool): void {
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
    if (bias) acc += load<f32>(bias + (<usize>r << 2));
    if (relu && acc < 0) acc = 0;
    store<f32>(y + (<usize>r << 2), acc);
  }
}

/**
 * Rows r0 ≤ r < r1 of y = x·Wᵀ (+ bias, then ReLU when asked) for one input x `[cols]`:
 * y `[rows]`, `bias` `[rows]` or 0 for none. `width` is the byte width of the column
 * indices (1, 2 or 4); all pointers are byte addresses in this memory.
 */
export function csrGemv(width: i32, rowPtr: usize, idx: usize, val: usize, x: usize, y: usize, r0: i32, r1: i32, bias: usize,
    relu: bool): void {
  if (width == 1) gatherRows<u8>(rowPtr, idx, val, x, y, r0, r1, bias, relu);
  else if (width == 2) gatherRows<u16>(rowPtr, idx, val, x, y, r0, r1, bias, relu);
  else gatherRows<i32>(rowPtr, idx, val, x, y, r0, r1, bias, relu);
}

// Batch columns per block: the block of xT (`[cols, 64]`, 200 KB for 784 inputs) stays in
// the L2 cache while every row of W passes over it, instead of each row streaming the whole
// transposed batch (31 MB for the 10k test set) from memory.
const NB: i32 = 64;

/** s + bias (when `bias` is not 0), then max(·, 0) when `relu` (a NaN stays NaN, as PyTorch's relu). */
@inline function epilogue(s: v128, bias: usize, r: i32, relu: bool): v128 {
  if (bias) s = f32x4.add(s, v128.load32_splat(bias + (<usize>r << 2)));
  if (relu) s = v128.bitselect(f32x4.splat(0), s, f32x4.lt(s, f32x4.splat(0)));
  return s;
}

// Stores sums s for batch lanes n..n+3 of row r: into yT `[rows, Np]` as one vector when
// `transposed` (the inner links of a sparse chain), else into column r of y `[N, rows]`.
@inline function storeSums(y: usize, s: v128, n: i32, N: i32, Np: i32, r: i32, rows: i32, transposed: bool): void {
  if (transposed) v128.store(y + ((<usize>r * <usize>Np + <usize>n) << 2), s);
  else storeColumn(y, s, n, N, r, rows);
}

function batchRows<T>(rowPtr: usize, idx: usize, val: usize, xT: usize, N: i32, Np: i32, y: usize, rows: i32, r0: i32, r1: i32,
    bias: usize, relu: bool, transposed: bool): void {
  const lineBytes = <usize>Np << 2;
  for (let n0 = 0; n0 < Np; n0 += NB) {
    const n1 = min(Np, n0 + NB);
    for (let r = r0; r < r1; r++) {
      const start = rowStart(rowPtr, r), end = rowStart(rowPtr, r + 1);
      let n = n0;
      for (; n + 16 <= n1; n += 16) {
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
        storeSums(y, epilogue(s0, bias, r, relu), n, N, Np, r, rows, transposed);
        storeSums(y, epilogue(s1, bias, r, relu), n + 4, N, Np, r, rows, transposed);
        storeSums(y, epilogue(s2, bias, r, relu), n + 8, N, Np, r, rows, transposed);
        storeSums(y, epilogue(s3, bias, r, relu), n + 12, N, Np, r, rows, transposed);
      }
      for (; n < n1; n += 4) {
        let s = f32x4.splat(0);
        const base = xT + (<usize>n << 2);
        for (let p = start; p < end; p++) s = madd(v128.load32_splat(val + (<usize>p << 2)), v128.load(base + colAt<T>(idx,
            p) * lineBytes), s);
        storeSums(y, epilogue(s, bias, r, relu), n, N, Np, r, rows, transposed);
      }
    }
  }
}

/**
 * Rows r0 ≤ r < r1 of y = x·Wᵀ (+ bias, then ReLU when asked) for a batch: xT `[cols, Np]`
 * the batch transposed and padded to Np (a multiple of 4) columns, y `[N, rows]`, `bias`
 * `[rows]` or 0 for none.
 */
export function csrGemm(width: i32, rowPtr: usize, idx: usize, val: usize, xT: usize, N: i32, Np: i32, y: usize, rows: i32, r0: i32,
    r1: i32, bias: usize, relu: bool): void {
  if (width == 1) batchRows<u8>(rowPtr, idx, val, xT, N, Np, y, rows, r0, r1, bias, relu, false);
  else if (width == 2) batchRows<u16>(rowPtr, idx, val, xT, N, Np, y, rows, r0, r1, bias, relu, false);
  else batchRows<i32>(rowPtr, idx, val, xT, N, Np, y, rows, r0, r1, bias, relu, false);
}

/**
 * Columns c0 ≤ c < c1 of xT `[cols, Np]` = x `[N, cols]` transposed, lanes N..Np−1 zero:
 * 4×4 blocks through registers (four row loads, four column stores), ragged edges value by
 * value. Threads take disjoint column ranges (multiples of 4 but the last).
 */
export function transposePad(x: usize, N: i32, cols: i32, Np: i32, xT: usize, c0: i32, c1: i32): void {
  const row = <usize>cols << 2, line = <usize>Np << 2;
  const n4 = N & ~3, c4 = c0 + ((c1 - c0) & ~3);
  for (let n = 0; n < n4; n += 4) {
    const src = x + (<usize>(n * cols) << 2);
    let c = c0;
    for (; c < c4; c += 4) {
      const at = src + (<usize>c << 2);
      storeTransposed(v128.load(at), v128.load(at + row), v128.load(at + 2 * row), v128.load(at + 3 * row),
          xT + <usize>c * line + (<usize>n << 2), line);
    }
    for (; c < c1; c++) {
      for (let i = 0; i < 4; i++) store<f32>(xT + <usize>c * line + (<usize>(n + i) << 2),
          load<f32>(x + (<usize>((n + i) * cols + c) << 2)));
    }
  }
  for (let c = c0; c < c1; c++) {
    const dst = xT + <usize>c * line;
    for (let n = n4; n < N; n++) store<f32>(dst + (<usize>n << 2), load<f32>(x + (<usize>(n * cols + c) << 2)));
    for (let n = N; n < Np; n++) store<f32>(dst + (<usize>n << 2), 0);
  }
}

/**
 * Rows r0 ≤ r < r1 of yT `[rows, Np]` = W·xT (+ bias, then ReLU when asked): csrGemm with
 * its output transposed too, written four lanes at a time. It is the inner link of a chain
 * of sparse layers: the yT of one layer is the xT of the next, so a batch is transposed
 * once on the way in, never between layers (padding lanes hold bias/ReLU values nobody reads).
 */
export function csrGemmT(width: i32, rowPtr: usize, idx: usize, val: usize, xT: usize, Np: i32, yT: usize, r0: i32, r1: i32, bias: usize,
    relu: bool): void {
  // N = Np and rows are unused when the output is transposed: every lane is stored.
  if (width == 1) batchRows<u8>(rowPtr, idx, val, xT, Np, Np, yT, 0, r0, r1, bias, relu, true);
  else if (width == 2) batchRows<u16>(rowPtr, idx, val, xT, Np, Np, yT, 0, r0, r1, bias, relu, true);
  else batchRows<i32>(rowPtr, idx, val, xT, Np, Np, yT, 0, r0, r1, bias, relu, true);
}
