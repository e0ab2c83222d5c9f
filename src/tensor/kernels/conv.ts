import { gemmBlocked } from './gemm.js';

/**
 * Convolution pieces over one image, and the whole convolution over a batch built from
 * them, pure functions on typed arrays.
 *
 * Geometry shared by all of them: an image [C, H, W], a KH×KW kernel moved with strides
 * SH, SW over the image padded by PH, PW zeros on each side, giving an OH×OW output where
 * OH = floor((H + 2·PH − KH) / SH) + 1 (likewise OW).
 */
export interface ConvGeometry {
  C: number;
  H: number;
  W: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  PH: number;
  PW: number;
  OH: number;
  OW: number;
}

/**
 * im2col: unfolds one image [C, H, W] into columns [C·KH·KW, OH·OW], so that a
 * convolution becomes one GEMM: out[OC, OH·OW] = weight[OC, C·KH·KW] · col.
 * Row (c, kh, kw) of `col` holds, for every output position, the input pixel that kernel
 * tap multiplies (0 in the padding).
 */
export function im2col(x: Float32Array, xOffset: number, g: ConvGeometry, col: Float32Array): void {
  const { C, H, W, KH, KW, SH, SW, PH, PW, OH, OW } = g;
  let r = 0;
  for (let c = 0; c < C; c++) {
    const plane = xOffset + c * H * W;
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++, r++) {
        let k = r * OH * OW;
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * SH - PH + kh;
          if (ih < 0 || ih >= H) {
            col.fill(0, k, k + OW);
            k += OW;
            continue;
          }
          const row = plane + ih * W;
          for (let ow = 0; ow < OW; ow++, k++) {
            const iw = ow * SW - PW + kw;
            col[k] = iw >= 0 && iw < W ? x[row + iw] : 0;
          }
        }
      }
    }
  }
}

/**
 * col2im: the adjoint of im2col. Adds every entry of `col` [C·KH·KW, OH·OW] back onto the
 * image pixel it was copied from, accumulating into dx [C, H, W] (padding is dropped).
 */
export function col2im(col: Float32Array, g: ConvGeometry, dx: Float32Array, dxOffset: number): void {
  const { C, H, W, KH, KW, SH, SW, PH, PW, OH, OW } = g;
  let r = 0;
  for (let c = 0; c < C; c++) {
    const plane = dxOffset + c * H * W;
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++, r++) {
        let k = r * OH * OW;
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * SH - PH + kh;
          if (ih < 0 || ih >= H) {
            k += OW;
            continue;
          }
          const row = plane + ih * W;
          for (let ow = 0; ow < OW; ow++, k++) {
            const iw = ow * SW - PW + kw;
            if (iw >= 0 && iw < W) dx[row + iw] += col[k];
          }
        }
      }
    }
  }
}

/**
 * conv2d over a batch by im2col + GEMM per image: out = w·col + bias for each image.
 * x [N, C, H, W], w [OC, C·KH·KW], bias [OC] or null, out [N, OC, OH, OW] (overwritten).
 */
export function conv2dForward(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  N: number,
  OC: number,
  g: ConvGeometry,
  out: Float32Array,
): void {
  const CKK = g.C * g.KH * g.KW,
    L = g.OH * g.OW;
  const col = new Float32Array(CKK * L);
  for (let n = 0; n < N; n++) {
    im2col(x, n * g.C * g.H * g.W, g, col);
    const y = out.subarray(n * OC * L, (n + 1) * OC * L);
    for (let o = 0; o < OC; o++) y.fill(bias ? bias[o] : 0, o * L, (o + 1) * L);
    gemmBlocked(false, false, OC, L, CKK, w, col, y, true);
  }
}

/**
 * Backward of `conv2dForward`, image by image, accumulating into what is there:
 * dw += dy·colᵀ (the image unfolded again), db += Σ dy, dx += col2im(wᵀ·dy).
 * Any of dx, dw, db may be null (not wanted).
 */
export function conv2dBackward(
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  N: number,
  OC: number,
  g: ConvGeometry,
  dx: Float32Array | null,
  dw: Float32Array | null,
  db: Float32Array | null,
): void {
  const CKK = g.C * g.KH * g.KW,
    L = g.OH * g.OW,
    image = g.C * g.H * g.W;
  const col = new Float32Array(CKK * L);
  for (let n = 0; n < N; n++) {
    const dyn = dy.subarray(n * OC * L, (n + 1) * OC * L);
    if (dw) {
      im2col(x, n * image, g, col);
      gemmBlocked(false, true, OC, CKK, L, dyn, col, dw, true);
    }
    if (db) for (let o = 0; o < OC; o++) for (let l = 0; l < L; l++) db[o] += dyn[o * L + l];
    if (dx) {
      gemmBlocked(true, false, CKK, L, OC, w, dyn, col, false);
      col2im(col, g, dx, n * image);
    }
  }
}

/**
 * Reference convolution by direct loops, written to be read:
 * out[n, o, oh, ow] = bias[o] + Σ_c,kh,kw x[n, c, oh·SH − PH + kh, ow·SW − PW + kw] · w[o, c, kh, kw].
 * x [N, C, H, W], w [OC, C, KH, KW], bias [OC] or null, out [N, OC, OH, OW].
 */
export function conv2dDirect(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  N: number,
  OC: number,
  g: ConvGeometry,
  out: Float32Array,
): void {
  const { C, H, W, KH, KW, SH, SW, PH, PW, OH, OW } = g;
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < OC; o++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let s = bias ? bias[o] : 0;
          for (let c = 0; c < C; c++) {
            for (let kh = 0; kh < KH; kh++) {
              for (let kw = 0; kw < KW; kw++) {
                const ih = oh * SH - PH + kh;
                const iw = ow * SW - PW + kw;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                s += x[((n * C + c) * H + ih) * W + iw] * w[((o * C + c) * KH + kh) * KW + kw];
              }
            }
          }
          out[((n * OC + o) * OH + oh) * OW + ow] = s;
        }
      }
    }
  }
}

/** This file's entries of the kernel interface (interface.ts joins every file's). */
export const convKernels = { conv2dForward, conv2dBackward };
