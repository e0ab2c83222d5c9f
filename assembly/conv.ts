// Convolution fused with max pooling, in WebAssembly: the same computation as
// src/tensor/kernels/conv-pool.ts (convPoolForward), image by image. Each image is unfolded
// (im2col), multiplied by the filters with the SIMD GEMM (starting from the bias), and
// pooled straight away, so only the pooled maxima and their positions leave the module.
//
// The plain convolution (convForward, convBackward) is here too, for the whole batch in
// one call. The geometry arrives as 18 int32 at `geo` (assembly/geometry.ts).
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
  const pack = max(packBytes(OC, L, CKK), max(packBytes(OC, CKK, L), packBytes(CKK, L, OC)));
  return ((2 * CKK * L + OC * L) << 2) + pack + 32;
}

// kernels/conv.ts im2col: row (c, kh, kw) of `col` [C·KH·KW, OH·OW] holds the pixel each output position multiplies.
function im2col(x: usize, geo: usize, col: usize): void {
  const C = geoAt(geo, Geo.C), H = geoAt(geo, Geo.H), W = geoAt(geo, Geo.W), KH = geoAt(geo, Geo.KH), KW = geoAt(geo, Geo.KW);
  const SH = geoAt(geo, Geo.SH), SW = geoAt(geo, Geo.SW), PH = geoAt(geo, Geo.PH), PW = geoAt(geo, Geo.PW);
  const OH = geoAt(geo, Geo.OH), OW = geoAt(geo, Geo.OW);
  let out = col;
  for (let c = 0; c < C; c++) {
    const plane = x + (<usize>(c * H * W) << 2);
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * SH - PH + kh;
          if (ih < 0 || ih >= H) {
            memory.fill(out, 0, <usize>OW << 2);
            out += <usize>OW << 2;
            continue;
          }
          const row = plane + (<usize>(ih * W) << 2);
          if (SW == 1 && kw - PW >= 0 && OW - 1 + kw - PW < W) {
            memory.copy(out, row + (<usize>(kw - PW) << 2), <usize>OW << 2); // a whole row in bounds
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

// kernels/pool.ts maxPool2d over the OC planes of one image; ties keep the first, a NaN wins (the last NaN).
function maxPool(y: usize, geo: usize, out: usize, argmax: usize): void {
  const OH = geoAt(geo, Geo.OH), OW = geoAt(geo, Geo.OW), OC = geoAt(geo, Geo.OC);
  const KH = geoAt(geo, Geo.PKH), KW = geoAt(geo, Geo.PKW), SH = geoAt(geo, Geo.PSH), SW = geoAt(geo, Geo.PSW);
  const POH = geoAt(geo, Geo.POH), POW = geoAt(geo, Geo.POW);
  for (let p = 0; p < OC; p++) {
    const plane = p * OH * OW;
    for (let oh = 0; oh < POH; oh++) {
      for (let ow = 0; ow < POW; ow++) {
        let best: f32 = -Infinity;
        let bestIndex = plane + oh * SH * OW + ow * SW;
        for (let kh = 0; kh < KH; kh++) {
          const row = plane + (oh * SH + kh) * OW + ow * SW;
          for (let kw = 0; kw < KW; kw++) {
            const v = load<f32>(y + (<usize>(row + kw) << 2));
            if (v > best || v != v) {
              best = v;
              bestIndex = row + kw;
            }
          }
        }
        store<f32>(out, best);
        store<i32>(argmax, bestIndex);
        out += 4;
        argmax += 4;
      }
    }
  }
}

/**
 * Images n0 ≤ n < n1 of out = maxPool(conv2d(x, w) + bias), with `argmax` the index
 * o·OH·OW + oh·OW + ow of each winner within its image's conv output. x [N, C, H, W],
 * w [OC, C·KH·KW], bias [OC] (0 = none), out and argmax [N, OC, POH, POW]; byte
 * addresses in this module's memory, `scratch` convScratch(geo) bytes of this thread's own.
 */
export function convPool(geo: usize, x: usize, w: usize, bias: usize, out: usize, argmax: usize, scratch: usize, n0: i32, n1: i32): void {
  const C = geoAt(geo, Geo.C), H = geoAt(geo, Geo.H), W = geoAt(geo, Geo.W);
  const CKK = C * geoAt(geo, Geo.KH) * geoAt(geo, Geo.KW);
  const L = geoAt(geo, Geo.OH) * geoAt(geo, Geo.OW);
  const OC = geoAt(geo, Geo.OC);
  const P = OC * geoAt(geo, Geo.POH) * geoAt(geo, Geo.POW);
  const col = (scratch + 15) & ~<usize>15;
  const y = col + (<usize>(CKK * L) << 2);
  const pack = y + (<usize>(OC * L) << 2);
  for (let n = n0; n < n1; n++) {
    im2col(x + (<usize>(n * C * H * W) << 2), geo, col);
    for (let o = 0; o < OC; o++) {
      const b: f32 = bias ? load<f32>(bias + (<usize>o << 2)) : 0;
      const row = y + (<usize>(o * L) << 2);
      for (let l = 0; l < L; l++) store<f32>(row + (<usize>l << 2), b);
    }
    gemm(false, false, OC, L, CKK, w, col, y, true, pack, 0, L);
    maxPool(y, geo, out + (<usize>(n * P) << 2), argmax + (<usize>(n * P) << 2));
  }
}

/**
 * Images n0 ≤ n < n1 of the backward of `convPool` (kernels/conv-pool.ts convPoolBackward):
 * for each pooled gradient d at its winner, db[o] += d, dw[o, ·] += d·(the input patch),
 * dx (the input patch) += d·w[o, ·]. dout and argmax as convPool's out and argmax; dx
 * [N, C, H, W], dw [OC, C·KH·KW], db [OC], each 0 when not wanted. Threads working on
 * other images must be given their own dw and db.
 */
export function convPoolBackward(geo: usize, x: usize, w: usize, dout: usize, argmax: usize, dx: usize, dw: usize, db: usize, n0: i32, n1: i32): void {
  const C = geoAt(geo, Geo.C), H = geoAt(geo, Geo.H), W = geoAt(geo, Geo.W), KH = geoAt(geo, Geo.KH), KW = geoAt(geo, Geo.KW);
  const SH = geoAt(geo, Geo.SH), SW = geoAt(geo, Geo.SW), PH = geoAt(geo, Geo.PH), PW = geoAt(geo, Geo.PW);
  const OW = geoAt(geo, Geo.OW), L = geoAt(geo, Geo.OH) * OW, OC = geoAt(geo, Geo.OC);
  const Q = geoAt(geo, Geo.POH) * geoAt(geo, Geo.POW);
  for (let n = n0; n < n1; n++) {
    for (let o = 0; o < OC; o++) {
      for (let q = 0; q < Q; q++) {
        const i = <usize>((n * OC + o) * Q + q) << 2;
        const d = load<f32>(dout + i);
        if (d == 0) continue;
        const pos = load<i32>(argmax + i) - o * L;
        const oh = pos / OW, ow = pos - oh * OW;
        if (db) store<f32>(db + (<usize>o << 2), load<f32>(db + (<usize>o << 2)) + d);
        const kh0 = max(0, PH - oh * SH), kh1 = min(KH, H + PH - oh * SH);
        const kw0 = max(0, PW - ow * SW), kw1 = min(KW, W + PW - ow * SW);
        for (let c = 0; c < C; c++) {
          for (let kh = kh0; kh < kh1; kh++) {
            const xRow = x + (<usize>(((n * C + c) * H + oh * SH - PH + kh) * W + ow * SW - PW) << 2);
            const dxRow = dx + (xRow - x);
            const wRow = <usize>(((o * C + c) * KH + kh) * KW) << 2;
            for (let kw = kw0; kw < kw1; kw++) {
              const k = <usize>kw << 2;
              if (dw) store<f32>(dw + wRow + k, load<f32>(dw + wRow + k) + d * load<f32>(xRow + k));
              if (dx) store<f32>(dxRow + k, load<f32>(dxRow + k) + d * load<f32>(w + wRow + k));
            }
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
export function convBackward(geo: usize, x: usize, w: usize, dy: usize, dx: usize, dw: usize, db: usize, scratch: usize, n0: i32, n1: i32): void {
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
