// The int8 convolution in WebAssembly (src/tensor/kernels/quant.ts int8Conv2d), directly:
// no unfolded image, each output position's patch gathered and multiplied by the resident
// filters, the image's sums scaled back (and max-pooled first) into y. Two builds of the
// product, giving the same int32 sums:
// - convI16: the input minus its zero point and the filters widened to 16 bits,
//   i32x4.dot_i16x8_s over pairs of taps (the plain build, and 8-bit activations);
// - convU7I8: the relaxed build with 7-bit activations (PyTorch's reduce_range) as bytes,
//   i16x8.relaxed_dot_i8x16_i7x16_s over quads of taps, twice the multiply-adds per
//   vector on half the bytes, then z·Σw taken off once per channel.
// Only the positions some pooling window reaches are computed (geometry.ts pooledRows).
import { Geo, geoAt, pooledCols, pooledRows } from './geometry';

/**
 * y for one image from its sums `acc` (one row of `stride` int32 per output position of the
 * UW-wide top-left region `convI16` computed, channel o at column o):
 * y = f32(acc)·factor[o] + bias[o] (bias 0: none), written `[OC, OH, OW]`. When the
 * geometry at `geo` has a pooling window (assembly/conv.ts), each window's largest sum is
 * taken first and only the pooled values are written, `[OC, POH, POW]`: scaling by a
 * positive factor and adding the bias keep the order, so that is exactly the max-pool of
 * the scaled values, for 1/(window area) of the work. Four channels go to a vector: their
 * sums lie side by side in each row.
 */
function dequantImage(acc: usize, stride: i32, geo: usize, factor: usize, bias: usize, y: usize): void {
  const OC = geoAt(geo, Geo.OC), UW = pooledCols(geo);
  const pooled = geoAt(geo, Geo.PKH) > 0;
  const PKH = pooled ? geoAt(geo, Geo.PKH) : 1, PKW = pooled ? geoAt(geo, Geo.PKW) : 1;
  const PSH = pooled ? geoAt(geo, Geo.PSH) : 1, PSW = pooled ? geoAt(geo, Geo.PSW) : 1;
  const POH = pooled ? geoAt(geo, Geo.POH) : geoAt(geo, Geo.OH), POW = pooled ? geoAt(geo, Geo.POW) : geoAt(geo, Geo.OW);
  const Q = POH * POW, plane = <usize>Q << 2;
  for (let ph = 0; ph < POH; ph++) {
    for (let pw = 0; pw < POW; pw++) {
      const dst = y + (<usize>(ph * POW + pw) << 2);
      let o = 0;
      for (; o + 3 < OC; o += 4) {
        const src = acc + (<usize>o << 2);
        let best = i32x4.splat(i32.MIN_VALUE);
        for (let kh = 0; kh < PKH; kh++) {
          const row = (ph * PSH + kh) * UW + pw * PSW;
          for (let kw = 0; kw < PKW; kw++) best = i32x4.max_s(best, v128.load(src + (<usize>((row + kw) * stride) << 2)));
        }
        let v = f32x4.mul(f32x4.convert_i32x4_s(best), v128.load(factor + (<usize>o << 2)));
        if (bias) v = f32x4.add(v, v128.load(bias + (<usize>o << 2)));
        const at = dst + <usize>o * plane;
        store<f32>(at, f32x4.extract_lane(v, 0));
        store<f32>(at + plane, f32x4.extract_lane(v, 1));
        store<f32>(at + 2 * plane, f32x4.extract_lane(v, 2));
        store<f32>(at + 3 * plane, f32x4.extract_lane(v, 3));
      }
      for (; o < OC; o++) {
        const src = acc + (<usize>o << 2);
        let best = i32.MIN_VALUE;
        for (let kh = 0; kh < PKH; kh++) {
          const row = (ph * PSH + kh) * UW + pw * PSW;
          for (let kw = 0; kw < PKW; kw++) best = max(best, load<i32>(src + (<usize>((row + kw) * stride) << 2)));
        }
        let v = <f32>best * load<f32>(factor + (<usize>o << 2));
        if (bias) v = v + load<f32>(bias + (<usize>o << 2));
        store<f32>(dst + <usize>o * plane, v);
      }
    }
  }
}

/** Bytes of scratch one thread needs for `convI16`: four patches and one image's sums. */
export function convI16Scratch(geo: usize, Kp: i32, OCp: i32): i32 {
  return 4 * (((Kp << 1) + 63) & ~63) + 64 + ((geoAt(geo, Geo.OH) * geoAt(geo, Geo.OW) * OCp) << 2);
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
@inline function fourPositions(p0: usize, p1: usize, p2: usize, p3: usize, w: usize, Kp: i32, OCp: i32, o: i32, r0: usize, r1: usize,
    r2: usize, r3: usize): void {
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
export function convI16(q: usize, geo: usize, w: usize, Kp: i32, OCp: i32, factor: usize, bias: usize, y: usize, outBytes: i32,
    scratch: usize, n0: i32, n1: i32): void {
  const C = geoAt(geo, Geo.C), H = geoAt(geo, Geo.H), W = geoAt(geo, Geo.W);
  const OW = pooledCols(geo), L = pooledRows(geo) * OW; // the positions some window reaches
  const patchBytes = ((<usize>Kp << 1) + 63) & ~<usize>63; // whole cache lines (see convU7I8)
  const p0 = (scratch + 63) & ~<usize>63, p1 = p0 + patchBytes, p2 = p1 + patchBytes, p3 = p2 + patchBytes;
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
      for (let o = 0; o < OCp; o += 8) fourPositions(p0, p1, p2, p3, w, Kp, OCp, o, r0, r0 + rowBytes, r0 + 2 * rowBytes,
          r0 + 3 * rowBytes);
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

/** Bytes of scratch one thread needs for `convU7I8`: four patches (with room for a row copy's overrun) and one image's sums. */
export function convU7I8Scratch(geo: usize, Kp: i32, OCp: i32): i32 {
  return 4 * (((Kp + 63) & ~63) + 64) + 64 + ((geoAt(geo, Geo.OH) * geoAt(geo, Geo.OW) * OCp) << 2);
}

// Gathers the patch of output position (oh, ow) of one image of 7-bit bytes into `out`:
// tap k = (c·KH + kh)·KW + kw, the zero point z on the padding (so that q − z is 0 there).
// Taps past C·KH·KW up to Kp meet zero filters; what lies there does not matter, but it
// is a byte of the image or 0, so below 128 as the i7 operand must be. A patch wholly
// inside the image (all but the border) copies each row of KW ≤ 8 bytes with one 8-byte
// load and store, each overrunning into the next row's place, which the next copy
// overwrites; the last one lands in the Kp padding or the slack after the patch.
function gatherPatchU7(image: usize, geo: usize, oh: i32, ow: i32, Kp: i32, z: i32, out: usize): void {
  const C = geoAt(geo, Geo.C), H = geoAt(geo, Geo.H), W = geoAt(geo, Geo.W), KH = geoAt(geo, Geo.KH), KW = geoAt(geo, Geo.KW);
  const ih0 = oh * geoAt(geo, Geo.SH) - geoAt(geo, Geo.PH), iw0 = ow * geoAt(geo, Geo.SW) - geoAt(geo, Geo.PW);
  let at = out;
  if (KW <= 8 && ih0 >= 0 && ih0 + KH <= H && iw0 >= 0 && iw0 + KW <= W) {
    for (let c = 0; c < C; c++) {
      let src = image + <usize>((c * H + ih0) * W + iw0);
      for (let kh = 0; kh < KH; kh++) {
        store<u64>(at, load<u64>(src));
        at += <usize>KW;
        src += <usize>W;
      }
    }
  } else {
    for (let c = 0; c < C; c++) {
      const plane = image + <usize>(c * H * W);
      for (let kh = 0; kh < KH; kh++) {
        const ih = ih0 + kh;
        const inRows = ih >= 0 && ih < H;
        for (let kw = 0; kw < KW; kw++) {
          const iw = iw0 + kw;
          store<u8>(at, inRows && iw >= 0 && iw < W ? load<u8>(plane + <usize>(ih * W + iw)) : <u8>z);
          at += 1;
        }
      }
    }
  }
  for (let k = C * KH * KW; k < Kp; k++) store<u8>(out + <usize>k, 0);
}

// Σ w·q over a quad of taps for 4 channels: the i8 × i7 dot product gives the pair sums as
// int16 (two products of at most 128·127 fit), widened pairwise into int32 and added. The
// fused form i32x4.relaxed_dot_i8x16_i7x16_add_s is avoided: V8 11.3's baseline compiler
// adds its accumulator twice (assembly/int8.ts dotU7).
@inline function dotQuad(w: v128, x: v128, acc: v128): v128 {
  if (!ASC_FEATURE_RELAXED_SIMD) return acc; // the plain build never calls convU7I8
  return i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(w, x)));
}

// The sums of four output positions (patches at p0..p3) for 8 channels from o, minus
// z·Σw, into rows r0..r3 of the image's sums: per quad of taps, two vectors of filters
// (4 channels × 4 taps each) serve all four positions, each position's quad broadcast.
@inline function fourPositionsU7(p0: usize, p1: usize, p2: usize, p3: usize, w: usize, Kp: i32, OCp: i32, o: i32, zSums: usize,
    r0: usize, r1: usize, r2: usize, r3: usize): void {
  let a0 = i32x4.splat(0), a1 = i32x4.splat(0), b0 = i32x4.splat(0), b1 = i32x4.splat(0);
  let c0 = i32x4.splat(0), c1 = i32x4.splat(0), d0 = i32x4.splat(0), d1 = i32x4.splat(0);
  let wp = w + (<usize>o << 2);
  const quadRow = <usize>OCp << 2;
  for (let k: usize = 0; k < <usize>Kp; k += 4) {
    const w0 = v128.load(wp), w1 = v128.load(wp, 16);
    let x = v128.load32_splat(p0 + k);
    a0 = dotQuad(w0, x, a0); a1 = dotQuad(w1, x, a1);
    x = v128.load32_splat(p1 + k);
    b0 = dotQuad(w0, x, b0); b1 = dotQuad(w1, x, b1);
    x = v128.load32_splat(p2 + k);
    c0 = dotQuad(w0, x, c0); c1 = dotQuad(w1, x, c1);
    x = v128.load32_splat(p3 + k);
    d0 = dotQuad(w0, x, d0); d1 = dotQuad(w1, x, d1);
    wp += quadRow;
  }
  const at = <usize>o << 2;
  const s0 = v128.load(zSums + at), s1 = v128.load(zSums + at, 16);
  v128.store(r0 + at, i32x4.sub(a0, s0)); v128.store(r0 + at, i32x4.sub(a1, s1), 16);
  v128.store(r1 + at, i32x4.sub(b0, s0)); v128.store(r1 + at, i32x4.sub(b1, s1), 16);
  v128.store(r2 + at, i32x4.sub(c0, s0)); v128.store(r2 + at, i32x4.sub(c1, s1), 16);
  v128.store(r3 + at, i32x4.sub(d0, s0)); v128.store(r3 + at, i32x4.sub(d1, s1), 16);
}

/**
 * Images n0 ≤ n < n1 of an int8 convolution on the relaxed build: q `[N, C, H, W]` the
 * input quantized to 7-bit bytes (q, not q − z; z its zero point), filters packed by
 * quads of taps, `w[k/4][o][k%4]` int8 for k < Kp (a multiple of 4) and o < OCp (a
 * multiple of 32; zeros past the real filters and taps), and `zSums` `[OCp]` int32
 * z·Σ_k w[o][k]. Output positions go four at a time as in convI16, with the same int32
 * sums: Σ w·(q − z) = Σ w·q − z·Σw, the padding holding z. The rest as convI16;
 * `scratch` holds `convU7I8Scratch` bytes for this thread.
 */
export function convU7I8(q: usize, geo: usize, w: usize, Kp: i32, OCp: i32, z: i32, zSums: usize, factor: usize, bias: usize, y: usize,
    outBytes: i32, scratch: usize, n0: i32, n1: i32): void {
  const C = geoAt(geo, Geo.C), H = geoAt(geo, Geo.H), W = geoAt(geo, Geo.W);
  const OW = pooledCols(geo), L = pooledRows(geo) * OW; // the positions some window reaches
  // Each patch starts a cache line, with a line of slack for the row copies' overrun. At
  // 16-byte alignment, patches straddling lines made the same call 1.07 or 0.69 ms for the
  // teacher at batch 64, depending only on where the scratch happened to start.
  const patchBytes = (<usize>((Kp + 63) & ~63)) + 64;
  const p0 = (scratch + 63) & ~<usize>63, p1 = p0 + patchBytes, p2 = p1 + patchBytes, p3 = p2 + patchBytes;
  const acc = p3 + patchBytes;
  const rowBytes = <usize>OCp << 2;
  for (let n = n0; n < n1; n++) {
    const image = q + <usize>(n * C * H * W);
    let l = 0;
    for (; l + 3 < L; l += 4) {
      gatherPatchU7(image, geo, l / OW, l % OW, Kp, z, p0);
      gatherPatchU7(image, geo, (l + 1) / OW, (l + 1) % OW, Kp, z, p1);
      gatherPatchU7(image, geo, (l + 2) / OW, (l + 2) % OW, Kp, z, p2);
      gatherPatchU7(image, geo, (l + 3) / OW, (l + 3) % OW, Kp, z, p3);
      const r0 = acc + <usize>l * rowBytes;
      for (let o = 0; o < OCp; o += 8) fourPositionsU7(p0, p1, p2, p3, w, Kp, OCp, o, zSums, r0, r0 + rowBytes, r0 + 2 * rowBytes,
          r0 + 3 * rowBytes);
    }
    for (; l < L; l++) {
      gatherPatchU7(image, geo, l / OW, l % OW, Kp, z, p0);
      const r0 = acc + <usize>l * rowBytes;
      for (let o = 0; o < OCp; o += 8) fourPositionsU7(p0, p0, p0, p0, w, Kp, OCp, o, zSums, r0, r0, r0, r0);
    }
    dequantImage(acc, OCp, geo, factor, bias, y + <usize>n * <usize>outBytes);
  }
}
