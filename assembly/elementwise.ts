// Small passes over a layer's activations that a backward needs, in SIMD: the ReLU's mask
// and the bias gradient (src/tensor/kernels/elementwise.ts reluBackward and sumRows).

/**
 * out[i] = 0 where y[i] ≤ 0, else dy[i] (n floats; byte addresses). Branch-free: with the
 * ReLU's outputs half zero in no order, a compare-and-branch per value is mispredicted
 * every other time. A NaN in y passes its gradient on, as in the reference (NaN ≤ 0 is false).
 */
export function reluMask(dy: usize, y: usize, out: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const k = <usize>i << 2;
    v128.store(out + k, v128.bitselect(zero, v128.load(dy + k), f32x4.le(v128.load(y + k), zero)));
  }
  for (; i < n; i++) {
    const k = <usize>i << 2;
    store<f32>(out + k, load<f32>(y + k) <= 0 ? 0 : load<f32>(dy + k));
  }
}

/** out[c] (+)= Σ_r x[r, c] for x `[rows, cols]` (a bias gradient), four columns at a time. */
export function sumRows(x: usize, rows: i32, cols: i32, out: usize, accumulate: bool): void {
  let c = 0;
  for (; c + 3 < cols; c += 4) {
    const o = out + (<usize>c << 2);
    let s = accumulate ? v128.load(o) : f32x4.splat(0);
    for (let r = 0; r < rows; r++) s = f32x4.add(s, v128.load(x + (<usize>(r * cols + c) << 2)));
    v128.store(o, s);
  }
  for (; c < cols; c++) {
    const o = out + (<usize>c << 2);
    let s: f32 = accumulate ? load<f32>(o) : 0;
    for (let r = 0; r < rows; r++) s += load<f32>(x + (<usize>(r * cols + c) << 2));
    store<f32>(o, s);
  }
}

/** out[i] = x[i] < 0 ? 0 : x[i] (n floats), branch-free: a NaN stays NaN and −0 stays −0, as in the reference. */
export function reluF32(x: usize, out: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const k = <usize>i << 2;
    const v = v128.load(x + k);
    v128.store(out + k, v128.bitselect(zero, v, f32x4.lt(v, zero)));
  }
  for (; i < n; i++) {
    const k = <usize>i << 2;
    const v = load<f32>(x + k);
    store<f32>(out + k, v < 0 ? 0 : v);
  }
}
