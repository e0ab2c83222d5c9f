// The plain convolution in WebAssembly (src/tensor/kernels/conv.ts): convForward and
// convBackward for a share of the batch's images, each image unfolded (im2col) and
// multiplied with the SIMD GEMM. The convolution fused with max pooling is in conv-pool.ts.
// The geometry arrives as 18 int32 at `geo` (assembly/geometry.ts).
import { Geo, geoAt } from './geometry';
import { gemm, packBytes } from './gemm';

/**
 * Bytes of scratch one thread needs for any kernel here: one image's columns, their
 * gradient and its conv output, and the panels of the largest GEMM.
 */
export function convScratch(geo: usize): i32 {
  const CKK = geoAt(geo, Geo.C) * geoAt(geo, Geo.KH) * geoAt(geo, Geo.KW);
  const L = geoAt(geo, Geo.OH) * geoAt(geo, Geo.OW);
  const OC = geoAt(geo, Geo.OC);
  const pack = max(max(packBytes(OC, L, CKK), packBytes(L, OC, CKK)), max(packBytes(OC, CKK, L), packBytes(CKK, L, OC)));
  return ((2 * CKK * L + OC * L) << 2) + pack + 32;
}

// n floats from src to dst, four at a time. memory.copy and memory.fill are calls into the
// engine, which cost more than the copy itself for the 24-float rows im2col moves (600
// per image for the teacher).
@inline function copyFloats(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 3 < n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

@inline function fillZeros(dst: usize, n: i32): void {
  let i = 0;
  for (; i + 3 < n; i += 4) v128.store(dst + (<usize>i << 2), f32x4.splat(0));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 0);
}

// kernels/conv.ts im2col (also used by conv-pool.ts): row (c, kh, kw) of `col` [C·KH·KW, OH·OW] holds the pixel each output position
// multiplies.
export function im2col(x: usize, geo: usize, col: usize): void {
  im2colTopLeft(x, geo, col, geoAt(geo, Geo.OH), geoAt(geo, Geo.OW));
}

// im2col of the top-left OH × OW output positions only (at most the geometry's own): the
// columns of a cropped output, `col` [C·KH·KW, OH·OW]. conv-pool.ts skips the positions
// no pooling window reaches.
export function im2colTopLeft(x: usize, geo: usize, col: usize, OH: i32, OW: i32): void {
  const C = geoAt(geo, Geo.C), H = geoAt(geo, Geo.H), W = geoAt(geo, Geo.W), KH = geoAt(geo, Geo.KH), KW = geoAt(geo, Geo.KW);
  const SH = geoAt(geo, Geo.SH), SW = geoAt(geo, Geo.SW), PH = geoAt(geo, Geo.PH), PW = geoAt(geo, Geo.PW);
  let out = col;
  for (let c = 0; c < C; c++) {
    const plane = x + (<usize>(c * H * W) << 2);
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * SH - PH + kh;
          if (ih < 0 || ih >= H) {
            fillZeros(out, OW);
            out += <usize>OW << 2;
            continue;
          }
          const row = plane + (<usize>(ih * W) << 2);
          if (SW == 1 && kw - PW >= 0 && OW - 1 + kw - PW < W) {
            copyFloats(out, row + (<usize>(kw - PW) << 2), OW); // a whole row in bounds
            out += <usize>OW << 2;
            continue;
          }
          for (let ow = 0; ow < OW; ow++) {
            const iw = ow * SW - PW + kw;
            store<f32>(out, iw >= 0 && iw < W ? load<f32>(row + (<usize>iw << 2)) : 0);
            out += 4;
          }
        }
      }
    }
  }
}

// kernels/conv.ts col2im: adds each entry of `col` back onto the pixel it was copied from (padding dropped).
function col2im(col: usize, geo: usize, dx: usize): void {
  const C = geoAt(geo, Geo.C), H = geoAt(geo, Geo.H), W = geoAt(geo, Geo.W), KH = geoAt(geo, Geo.KH), KW = geoAt(geo, Geo.KW);
  const SH = geoAt(geo, Geo.SH), SW = geoAt(geo, Geo.SW), PH = geoAt(geo, Geo.PH), PW = geoAt(geo, Geo.PW);
  const OH = geoAt(geo, Geo.OH), OW = geoAt(geo, Geo.OW);
  let src = col;
  for (let c = 0; c < C; c++) {
    const plane = dx + (<usize>(c * H * W) << 2);
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * SH - PH + kh;
          if (ih < 0 || ih >= H) {
            src += <usize>OW << 2;
            continue;
          }
          const row = plane + (<usize>(ih * W) << 2);
          for (let ow = 0; ow < OW; ow++) {
            const iw = ow * SW - PW + kw;
            if (iw >= 0 && iw < W) {
              const p = row + (<usize>iw << 2);
              store<f32>(p, load<f32>(p) + load<f32>(src));
            }
            src += 4;
          }
        }
      }
    }
  }
}

/**
 * Images n0 ≤ n < n1 of out = conv2d(x, w) + bias (kernels/conv.ts conv2dForward): im2col,
 * then the SIMD GEMM starting from the bias. out [N, OC, OH, OW]; other arguments as convPool.
 */
export function convForward(geo: usize, x: usize, w: usize, bias: usize, out: usize, scratch: usize, n0: i32, n1: i32): void {
  const C = geoAt(geo, Geo.C), H = geoAt(geo, Geo.H), W = geoAt(geo, Geo.W);
  const CKK = C * geoAt(geo, Geo.KH) * geoAt(geo, Geo.KW);
  const L = geoAt(geo, Geo.OH) * geoAt(geo, Geo.OW);
  const OC = geoAt(geo, Geo.OC);
  const col = (scratch + 15) & ~<usize>15;
  const pack = col + (<usize>(CKK * L) << 2);
  for (let n = n0; n < n1; n++) {
    im2col(x + (<usize>(n * C * H * W) << 2), geo, col);
    const y = out + (<usize>(n * OC * L) << 2);
    for (let o = 0; o < OC; o++) {
      const b: f32 = bias ? load<f32>(bias + (<usize>o << 2)) : 0;
      const row = y + (<usize>(o * L) << 2);
      for (let l = 0; l < L; l++) store<f32>(row + (<usize>l << 2), b);
    }
    gemm(false, false, OC, L, CKK, w, col, y, true, pack, 0, L);
  }
}

/**
 * Images n0 ≤ n < n1 of conv2d's backward (kernels/conv.ts conv2dBackward), accumulating:
 * dw += dy·colᵀ, db += Σ dy, dx += col2im(wᵀ·dy). dy [N, OC, OH, OW]; dx, dw, db 0 when
 * not wanted; threads working on other images must be given their own dw and db.
 */
export function convBackward(geo: usize, x: usize, w: usize, dy: usize, dx: usize, dw: usize, db: usize, scratch: usize, n0: i32,
    n1: i32): void {
  const C = geoAt(geo, Geo.C), H = geoAt(geo, Geo.H), W = geoAt(geo, Geo.W);
  const CKK = C * geoAt(geo, Geo.KH) * geoAt(geo, Geo.KW);
  const L = geoAt(geo, Geo.OH) * geoAt(geo, Geo.OW);
  const OC = geoAt(geo, Geo.OC);
  const col = (scratch + 15) & ~<usize>15;
  const dcol = col + (<usize>(CKK * L) << 2);
  const pack = dcol + (<usize>(CKK * L) << 2);
  for (let n = n0; n < n1; n++) {
    const dyn = dy + (<usize>(n * OC * L) << 2);
    const image = <usize>(n * C * H * W) << 2;
    if (dw) {
      im2col(x + image, geo, col);
      gemm(false, true, OC, CKK, L, dyn, col, dw, true, pack, 0, CKK);
    }
    if (db) {
      for (let o = 0; o < OC; o++) {
        let s: f32 = 0;
        const row = dyn + (<usize>(o * L) << 2);
        for (let l = 0; l < L; l++) s += load<f32>(row + (<usize>l << 2));
        store<f32>(db + (<usize>o << 2), load<f32>(db + (<usize>o << 2)) + s);
      }
    }
    if (dx) {
      gemm(true, false, CKK, L, OC, w, dyn, dcol, false, pack, 0, L);
      col2im(dcol, geo, dx + image);
    }
  }
}
