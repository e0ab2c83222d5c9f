/**
 * Convolution fused with max pooling, over a batch: pure functions on typed arrays.
 *
 * Max pooling throws away all but one value per window, and in the backward pass every
 * value it threw away gets a zero gradient. The composed ops pay for those zeros in full:
 * conv2d's backward multiplies the whole [OC, OH·OW] gradient (the teacher at batch 64:
 * 1.2M values, 24 of every 25 zero) by the unfolded image. The fused pair keeps only the
 * pooled maxima and where they came from, and its backward visits those alone: for the
 * teacher, 576 / 16 = 36× fewer multiply-adds for the weight gradient, and no
 * [N, OC, OH, OW] array at all.
 */
import { type ConvGeometry, im2col } from './conv.js';
import { gemmBlocked } from './gemm.js';
import { maxPool2d } from './pool.js';

/** A max-pooling window over the convolution's OH×OW output, no padding. */
export interface PoolWindow {
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  /** Pooled height and width: floor((OH − KH) / SH) + 1, likewise for OW. */
  OH: number;
  OW: number;
}

/**
 * out = maxPool(conv2d(x, w) + bias), one image at a time through im2col + GEMM.
 * x [N, C, H, W], w [OC, C, KH, KW], bias [OC] or null → out [N, OC, pool.OH, pool.OW].
 * `argmax` (same size as `out`) records, for each pooled value, the index o·OH·OW + oh·OW + ow
 * of the winning convolution output within its image; ties go to the first, as PyTorch.
 */
export function convPoolForward(
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  N: number,
  OC: number,
  g: ConvGeometry,
  pool: PoolWindow,
  out: Float32Array,
  argmax: Int32Array,
): void {
  const CKK = g.C * g.KH * g.KW,
    L = g.OH * g.OW,
    P = OC * pool.OH * pool.OW;
  const col = new Float32Array(CKK * L);
  const y = new Float32Array(OC * L);
  for (let n = 0; n < N; n++) {
    im2col(x, n * g.C * g.H * g.W, g, col);
    // Start from the bias and accumulate: bias + w·col in one pass over y.
    for (let o = 0; o < OC; o++) y.fill(bias ? bias[o] : 0, o * L, (o + 1) * L);
    gemmBlocked(false, false, OC, L, CKK, w, col, y, true);
    maxPool2d(
      y,
      OC,
      g.OH,
      g.OW,
      pool.KH,
      pool.KW,
      pool.SH,
      pool.SW,
      pool.OH,
      pool.OW,
      out.subarray(n * P, (n + 1) * P),
      argmax.subarray(n * P, (n + 1) * P),
    );
  }
}

/**
 * Backward of `convPoolForward`, visiting only the pooled winners. For each pooled
 * gradient d at winner (n, o, oh, ow):
 *   db[o] += d;  dw[o, c, kh, kw] += d · x[n, c, ih, iw];  dx[n, c, ih, iw] += d · w[o, c, kh, kw]
 * with ih = oh·SH − PH + kh, iw = ow·SW − PW + kw (taps in the padding skipped).
 * Any of dx, dw, db may be null (not wanted); the others are accumulated into.
 */
export function convPoolBackward(
  x: Float32Array,
  w: Float32Array,
  dout: Float32Array,
  argmax: Int32Array,
  N: number,
  OC: number,
  g: ConvGeometry,
  pool: PoolWindow,
  dx: Float32Array | null,
  dw: Float32Array | null,
  db: Float32Array | null,
): void {
  const { C, H, W, KH, KW, SH, SW, PH, PW, OW } = g;
  const L = g.OH * OW,
    Q = pool.OH * pool.OW;
  let i = 0;
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < OC; o++) {
      for (let q = 0; q < Q; q++, i++) {
        const d = dout[i];
        if (d === 0) continue; // e.g. a ReLU after the pooling cut it off
        const pos = argmax[i] - o * L;
        const oh = Math.floor(pos / OW),
          ow = pos - oh * OW;
        if (db) db[o] += d;
        // The taps of the window that fall inside the image (not in the padding).
        const kh0 = Math.max(0, PH - oh * SH),
          kh1 = Math.min(KH, H + PH - oh * SH);
        const kw0 = Math.max(0, PW - ow * SW),
          kw1 = Math.min(KW, W + PW - ow * SW);
        for (let c = 0; c < C; c++) {
          for (let kh = kh0; kh < kh1; kh++) {
            const xRow = ((n * C + c) * H + oh * SH - PH + kh) * W + ow * SW - PW;
            const wRow = ((o * C + c) * KH + kh) * KW;
            if (dw) for (let kw = kw0; kw < kw1; kw++) dw[wRow + kw] += d * x[xRow + kw];
            if (dx) for (let kw = kw0; kw < kw1; kw++) dx[xRow + kw] += d * w[wRow + kw];
          }
        }
      }
    }
  }
}

/** This file's entries of the kernel interface (interface.ts joins every file's). */
export const convPoolKernels = { convPoolForward, convPoolBackward };
