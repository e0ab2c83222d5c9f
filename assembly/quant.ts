// The float ends of an int8 layer, in WebAssembly: dynamic quantization of the activations
// (their range, then q = clamp(round(x/s)) − z, widened to 16 bits and padded for
// assembly/int8.ts) and dequantization of the exact int32 sums (y = f32(acc)·s + b, with a
// ReLU where one follows). The arithmetic is the TypeScript reference's, step by step in
// float32 (src/tensor/kernels/quant.ts), so both give the same bits. The int8 convolution
// is in conv-int8.ts.

/** min(0, x) and max(0, x) over n floats (NaN skipped), written as two floats at `out`. */
export function rangeF32(x: usize, n: i32, out: usize): void {
  let lo = f32x4.splat(0), hi = f32x4.splat(0);
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    lo = f32x4.pmin(lo, v); // v < lo ? v : lo
    hi = f32x4.pmax(hi, v); // hi < v ? v : hi
  }
  let l = min(min(f32x4.extract_lane(lo, 0), f32x4.extract_lane(lo, 1)), min(f32x4.extract_lane(lo, 2), f32x4.extract_lane(lo, 3)));
  let h = max(max(f32x4.extract_lane(hi, 0), f32x4.extract_lane(hi, 1)), max(f32x4.extract_lane(hi, 2), f32x4.extract_lane(hi, 3)));
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v < l) l = v;
    if (v > h) h = v;
  }
  store<f32>(out, l);
  store<f32>(out, h, 4);
}

@inline function quantizeOne(v: f32, inv: f32, lo: i32, hi: i32): i16 {
  const r = nearest<f32>(v * inv); // ties to even, as PyTorch's nearbyint
  const q = r != r ? 0 : r < <f32>lo ? lo : r > <f32>hi ? hi : <i32>r;
  return <i16>q;
}

/**
 * out `[M, Kp]` int16 = clamp(round(x·inv), lo, hi) for x `[M, K]`, zeros in columns
 * K..Kp−1 (Kp a multiple of 8). lo..hi is the int8 range minus the zero point.
 */
export function quantizeI16(x: usize, M: i32, K: i32, Kp: i32, inv: f32, lo: i32, hi: i32, out: usize): void {
  const vinv = f32x4.splat(inv), vlo = i32x4.splat(lo), vhi = i32x4.splat(hi);
  for (let i = 0; i < M; i++) {
    const src = x + (<usize>(i * K) << 2), dst = out + (<usize>(i * Kp) << 1);
    let k = 0;
    for (; k + 7 < K; k += 8) {
      const a = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(src + (<usize>k << 2)), vinv)));
      const b = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(src + (<usize>k << 2), 16), vinv)));
      v128.store(dst + (<usize>k << 1), i16x8.narrow_i32x4_s(i32x4.max_s(i32x4.min_s(a, vhi), vlo), i32x4.max_s(i32x4.min_s(b, vhi), vlo)));
    }
    for (; k < K; k++) store<i16>(dst + (<usize>k << 1), quantizeOne(load<f32>(src + (<usize>k << 2)), inv, lo, hi));
    for (; k < Kp; k++) store<i16>(dst + (<usize>k << 1), 0);
  }
}

/**
 * out `[M, Kp]` unsigned bytes = clamp(round(x·inv) + z, 0, qmax) for x `[M, K]` (NaN gives
 * z), zeros in columns K..Kp−1 (Kp a multiple of 16): the activations as gemmU7I8 reads
 * them, before the zero point is taken off. The same q as quantizeI16 gives, plus z.
 */
export function quantizeU8(x: usize, M: i32, K: i32, Kp: i32, inv: f32, z: i32, qmax: i32, out: usize): void {
  // Clamped to [−z, qmax − z] before z is added, as quantizeOne does (no wrap-around near the i32 limits).
  const vinv = f32x4.splat(inv), vz = i32x4.splat(z), vlo = i32x4.splat(-z), vhi = i32x4.splat(qmax - z);
  for (let i = 0; i < M; i++) {
    const src = x + (<usize>(i * K) << 2), dst = out + <usize>(i * Kp);
    let k = 0;
    for (; k + 15 < K; k += 16) {
      const p = src + (<usize>k << 2);
      const a = i32x4.add(i32x4.max_s(i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p), vinv))), vhi), vlo), vz);
      const b = i32x4.add(i32x4.max_s(i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p, 16), vinv))), vhi), vlo),
          vz);
      const c = i32x4.add(i32x4.max_s(i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p, 32), vinv))), vhi), vlo),
          vz);
      const d = i32x4.add(i32x4.max_s(i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p, 48), vinv))), vhi), vlo),
          vz);
      v128.store(dst + <usize>k, i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(a, b), i16x8.narrow_i32x4_s(c, d)));
    }
    for (; k < K; k++) store<u8>(dst + <usize>k, <u8>(quantizeOne(load<f32>(src + (<usize>k << 2)), inv, -z, qmax - z) + z));
    for (; k < Kp; k++) store<u8>(dst + <usize>k, 0);
  }
}

/**
 * y `[M, N]` = f32(acc)·factor[j] + bias[j] (bias 0: none), then max(0, ·) when `relu`:
 * a multiply, then an add, each rounded (no fused multiply-add, to match the reference).
 */
export function dequantRows(acc: usize, M: i32, N: i32, factor: usize, bias: usize, relu: bool, y: usize): void {
  const zero = f32x4.splat(0);
  for (let i = 0; i < M; i++) {
    const a = acc + (<usize>(i * N) << 2), out = y + (<usize>(i * N) << 2);
    let j = 0;
    for (; j + 3 < N; j += 4) {
      const o = <usize>j << 2;
      let v = f32x4.mul(f32x4.convert_i32x4_s(v128.load(a + o)), v128.load(factor + o));
      if (bias) v = f32x4.add(v, v128.load(bias + o));
      if (relu) v = f32x4.pmax(zero, v); // zero < v ? v : zero
      v128.store(out + o, v);
    }
    for (; j < N; j++) {
      const o = <usize>j << 2;
      let v = <f32>load<i32>(a + o) * load<f32>(factor + o);
      if (bias) v = v + load<f32>(bias + o);
      if (relu) v = v > 0 ? v : 0;
      store<f32>(out + o, v);
    }
  }
}
