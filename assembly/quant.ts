// The float ends of an int8 layer, in WebAssembly: dynamic quantization of the activations
// (their range, then q = clamp(round(x/s)) − z, widened to 16 bits and padded for
// assembly/int8.ts) and dequantization of the exact int32 sums (y = f32(acc)·s + b, with a
// ReLU where one follows). The arithmetic is the TypeScript reference's, step by step in
// float32 (src/tensor/kernels/quant.ts), so both give the same bits.
import { Geo, geoAt } from './geometry';

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
      const b = i32x4.add(i32x4.max_s(i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p, 16), vinv))), vhi), vlo), vz);
      const c = i32x4.add(i32x4.max_s(i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p, 32), vinv))), vhi), vlo), vz);
      const d = i32x4.add(i32x4.max_s(i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(p, 48), vinv))), vhi), vlo), vz);
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

/**
 * y for one image from its sums `acc` (one row of `stride` int32 per output position,
 * channel o at column o): y = f32(acc)·factor[o] + bias[o] (bias 0: none), written
 * `[OC, OH, OW]`. When the geometry at `geo` has a pooling window (assembly/conv.ts), each
 * window's largest sum is taken first and only the pooled values are written,
 * `[OC, POH, POW]`: scaling by a positive factor and adding the bias keep the order, so
 * that is exactly the max-pool of the scaled values, for 1/(window area) of the work.
 */
function dequantImage(acc: usize, stride: i32, geo: usize, factor: usize, bias: usize, y: usize): void {
  const OW = geoAt(geo, Geo.OW), OC = geoAt(geo, Geo.OC);
  const pooled = geoAt(geo, Geo.PKH) > 0;
  const PKH = pooled ? geoAt(geo, Geo.PKH) : 1, PKW = pooled ? geoAt(geo, Geo.PKW) : 1;
  const PSH = pooled ? geoAt(geo, Geo.PSH) : 1, PSW = pooled ? geoAt(geo, Geo.PSW) : 1;
  const POH = pooled ? geoAt(geo, Geo.POH) : geoAt(geo, Geo.OH), POW = pooled ? geoAt(geo, Geo.POW) : OW;
  let dst = y;
  for (let o = 0; o < OC; o++) {
    const f = load<f32>(factor + (<usize>o << 2));
    const b: f32 = bias ? load<f32>(bias + (<usize>o << 2)) : 0;
    const src = acc + (<usize>o << 2);
    for (let ph = 0; ph < POH; ph++) {
      for (let pw = 0; pw < POW; pw++) {
        let best = i32.MIN_VALUE;
        for (let kh = 0; kh < PKH; kh++) {
          const row = (ph * PSH + kh) * OW + pw * PSW;
          for (let kw = 0; kw < PKW; kw++) best = max(best, load<i32>(src + (<usize>((row + kw) * stride) << 2)));
        }
        let v = <f32>best * f;
        if (bias) v = v + b;
        store<f32>(dst, v);
        dst += 4;
      }
    }
  }
}

/** Bytes of scratch one thread needs for `convI16`: four patches and one image's sums. */
export function convI16Scratch(geo: usize, Kp: i32, OCp: i32): i32 {
  return 4 * ((Kp << 1) + 16) + 16 + ((geoAt(geo, Geo.OH) * geoAt(geo, Geo.OW) * OCp) << 2);
}

// Gathers the patch of output position (oh, ow) of one image (int16, zeros on the padding
// and past the CKK real taps up to Kp) into `out`.
function gatherPatch(image: usize, geo: usize, oh: i32, ow: i32, Kp: i32, out: usize): void {
  const C = geoAt(geo, Geo.C), H = geoAt(geo, Geo.H), W = geoAt(geo, Geo.W), KH = geoAt(geo, Geo.KH), KW = geoAt(geo, Geo.KW);
  const SH = geoAt(geo, Geo.SH), SW = geoAt(geo, Geo.SW), PH = geoAt(geo, Geo.PH), PW = geoAt(geo, Geo.PW);
  let at = out;
  for (let c = 0; c < C; c++) {
    const plane = image + (<usize>(c * H * W) << 1);
    for (let kh = 0; kh < KH; kh++) {
      const ih = oh * SH - PH + kh;
      const inRows = ih >= 0 && ih < H;
      for (let kw = 0; kw < KW; kw++) {
        const iw = ow * SW - PW + kw;
        store<i16>(at, inRows && iw >= 0 && iw < W ? load<i16>(plane + (<usize>(ih * W + iw) << 1)) : 0);
        at += 2;
      }
    }
  }
  for (let k = C * KH * KW; k < Kp; k++) {
    store<i16>(at, 0);
    at += 2;
  }
}

// The sums of four output positions (patches at p0..p3) for 8 channels from o, into rows
// r0..r3 of the image's sums: per pair of taps, two vectors of filters serve all four
// positions (6 loads for 8 dot products, against 9 when a position runs alone).
@inline function fourPositions(p0: usize, p1: usize, p2: usize, p3: usize, w: usize, Kp: i32, OCp: i32, o: i32, r0: usize, r1: usize, r2: usize, r3: usize): void {
  let a0 = i32x4.splat(0), a1 = i32x4.splat(0), b0 = i32x4.splat(0), b1 = i32x4.splat(0);
  let c0 = i32x4.splat(0), c1 = i32x4.splat(0), d0 = i32x4.splat(0), d1 = i32x4.splat(0);
  let wp = w + (<usize>o << 2);
  const pairRow = <usize>OCp << 2;
  for (let kp = 0; kp < Kp; kp += 2) {
    const w0 = v128.load(wp), w1 = v128.load(wp, 16);
    const k = <usize>kp << 1;
    let x = v128.load32_splat(p0 + k);
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(x, w0)); a1 = i32x4.add(a1, i32x4.dot_i16x8_s(x, w1));
    x = v128.load32_splat(p1 + k);
    b0 = i32x4.add(b0, i32x4.dot_i16x8_s(x, w0)); b1 = i32x4.add(b1, i32x4.dot_i16x8_s(x, w1));
    x = v128.load32_splat(p2 + k);
    c0 = i32x4.add(c0, i32x4.dot_i16x8_s(x, w0)); c1 = i32x4.add(c1, i32x4.dot_i16x8_s(x, w1));
    x = v128.load32_splat(p3 + k);
    d0 = i32x4.add(d0, i32x4.dot_i16x8_s(x, w0)); d1 = i32x4.add(d1, i32x4.dot_i16x8_s(x, w1));
    wp += pairRow;
  }
  const at = <usize>o << 2;
  v128.store(r0 + at, a0); v128.store(r0 + at, a1, 16);
  v128.store(r1 + at, b0); v128.store(r1 + at, b1, 16);
  v128.store(r2 + at, c0); v128.store(r2 + at, c1, 16);
  v128.store(r3 + at, d0); v128.store(r3 + at, d1, 16);
}

/**
 * Images n0 ≤ n < n1 of an int8 convolution, directly: q `[N, C, H, W]` int16 (the input
 * quantized, minus its zero point), filters packed by pairs of taps, `w[k/2][o][k%2]` for
 * k < Kp and o < OCp (a multiple of 32; zeros past the real filters and taps). Output
 * positions go four at a time: their patches are gathered, then for each pair of taps two
 * vectors of filters (8 channels) are loaded once and `i32x4.dot_i16x8_s` multiplies
 * them by each position's broadcast pair; the image's sums are scaled back (and
 * max-pooled) into y, image n at `y + n·outBytes`. `scratch` holds `convI16Scratch`
 * bytes for this thread.
 */
export function convI16(q: usize, geo: usize, w: usize, Kp: i32, OCp: i32, factor: usize, bias: usize, y: usize, outBytes: i32, scratch: usize, n0: i32, n1: i32): void {
  const C = geoAt(geo, Geo.C), H = geoAt(geo, Geo.H), W = geoAt(geo, Geo.W);
  const OW = geoAt(geo, Geo.OW), L = geoAt(geo, Geo.OH) * OW;
  const patchBytes = ((<usize>Kp << 1) + 15) & ~<usize>15;
  const p0 = (scratch + 15) & ~<usize>15, p1 = p0 + patchBytes, p2 = p1 + patchBytes, p3 = p2 + patchBytes;
  const acc = p3 + patchBytes;
  const rowBytes = <usize>OCp << 2;
  for (let n = n0; n < n1; n++) {
    const image = q + (<usize>(n * C * H * W) << 1);
    let l = 0;
    // Four output positions at a time, 8 channels per pass over their taps.
    for (; l + 3 < L; l += 4) {
      gatherPatch(image, geo, l / OW, l % OW, Kp, p0);
      gatherPatch(image, geo, (l + 1) / OW, (l + 1) % OW, Kp, p1);
      gatherPatch(image, geo, (l + 2) / OW, (l + 2) % OW, Kp, p2);
      gatherPatch(image, geo, (l + 3) / OW, (l + 3) % OW, Kp, p3);
      const r0 = acc + <usize>l * rowBytes;
      for (let o = 0; o < OCp; o += 8) fourPositions(p0, p1, p2, p3, w, Kp, OCp, o, r0, r0 + rowBytes, r0 + 2 * rowBytes, r0 + 3 * rowBytes);
    }
    // The last few positions alone (the same tile, the missing ones pointing at the first).
    for (; l < L; l++) {
      gatherPatch(image, geo, l / OW, l % OW, Kp, p0);
      const r0 = acc + <usize>l * rowBytes;
      for (let o = 0; o < OCp; o += 8) fourPositions(p0, p0, p0, p0, w, Kp, OCp, o, r0, r0, r0, r0);
    }
    dequantImage(acc, OCp, geo, factor, bias, y + <usize>n * <usize>outBytes);
  }
}
