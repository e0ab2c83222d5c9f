/**
 * Max pooling over `planes` independent H×W planes (N·C of them), no padding:
 * out[p, oh, ow] = max over the KH×KW window at (oh·SH, ow·SW). `argmax` records, for each
 * output, the flat index into `x` of the winner, so the backward pass is a scatter. As
 * PyTorch: the first of equal maxima wins, and a NaN wins its window (the last NaN, when
 * there are several), so a NaN is never hidden.
 */
export function maxPool2d(
  x: Float32Array,
  planes: number,
  H: number,
  W: number,
  KH: number,
  KW: number,
  SH: number,
  SW: number,
  OH: number,
  OW: number,
  out: Float32Array,
  argmax: Int32Array,
): void {
  let o = 0;
  for (let p = 0; p < planes; p++) {
    const plane = p * H * W;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, o++) {
        let best = -Infinity;
        let bestIndex = plane + oh * SH * W + ow * SW;
        for (let kh = 0; kh < KH; kh++) {
          const row = plane + (oh * SH + kh) * W + ow * SW;
          for (let kw = 0; kw < KW; kw++) {
            const v = x[row + kw];
            if (v > best || Number.isNaN(v)) {
              best = v;
              bestIndex = row + kw;
            }
          }
        }
        out[o] = best;
        argmax[o] = bestIndex;
      }
    }
  }
}

/** Backward of max pooling: dx[argmax[i]] += dy[i]; dx must start zeroed. */
export function maxPool2dBackward(dy: Float32Array, argmax: Int32Array, dx: Float32Array): void {
  for (let i = 0; i < dy.length; i++) dx[argmax[i]] += dy[i];
}

/** This file's entries of the kernel interface (interface.ts joins every file's). */
export const poolKernels = { maxPool2d, maxPool2dBackward };
