import type { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';

/**
 * The window ops as their definitions, plain loops in float64: the references the property
 * tests hold the kernels (and onnxruntime) to.
 */

/** Cross-correlation with zero padding, straight from its definition. */
export function naiveConv(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  [SH, SW]: number[],
  [PH, PW]: number[],
): { data: number[]; shape: number[] } {
  const [N, C, H, W] = x.shape;
  const [OC, , KH, KW] = weight.shape;
  const OH = Math.floor((H + 2 * PH - KH) / SH) + 1;
  const OW = Math.floor((W + 2 * PW - KW) / SW) + 1;
  const data: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < OC; o++) {
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          let s = bias ? bias.data[o] : 0;
          for (let c = 0; c < C; c++) {
            for (let a = 0; a < KH; a++) {
              for (let b = 0; b < KW; b++) {
                const r = i * SH + a - PH,
                  q = j * SW + b - PW;
                if (r < 0 || r >= H || q < 0 || q >= W) continue;
                s += x.data[((n * C + c) * H + r) * W + q] * weight.data[((o * C + c) * KH + a) * KW + b];
              }
            }
          }
          data.push(s);
        }
      }
    }
  }
  return { data, shape: [N, OC, OH, OW] };
}

/** Max pooling without padding, from its definition. */
export function naivePool(
  data: ArrayLike<number>,
  [N, C, H, W]: number[],
  [KH, KW]: number[],
  [SH, SW]: number[],
): { data: number[]; shape: number[] } {
  const OH = Math.floor((H - KH) / SH) + 1;
  const OW = Math.floor((W - KW) / SW) + 1;
  const out: number[] = [];
  for (let p = 0; p < N * C; p++) {
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        let m = -Infinity;
        for (let a = 0; a < KH; a++) for (let b = 0; b < KW; b++) m = Math.max(m, data[(p * H + i * SH + a) * W + j * SW + b]);
        out.push(m);
      }
    }
  }
  return { data: out, shape: [N, C, OH, OW] };
}

/** Distinct values spaced far beyond the finite-difference step, so every window's maximum is unambiguous. */
export function distinct(shape: number[], rng: Rng): Tensor {
  const t = Tensor.zeros(shape);
  rng.permutation(t.size).forEach((p, i) => {
    t.data[i] = (p - t.size / 2) * 0.05;
  });
  return t;
}
