import type { ConvGeometry } from './conv.js';
import type { PoolWindow } from './conv-pool.js';
import { gemmInt8, type Int8Weight } from './int8.js';
import { activationQuant, dequantFactors, dequantOne, quantizeActivations } from './quantize.js';

/**
 * The int8 layers as the TypeScript reference computes them: activations quantized
 * (quantize.ts), multiplied in int32 by the int8 weights (int8.ts), scaled back to float.
 */

let actScratch = new Int16Array(0);
let accScratch = new Int32Array(0);

function scratch(activations: number, sums: number): { a: Int16Array; acc: Int32Array } {
  if (actScratch.length < activations) actScratch = new Int16Array(activations);
  if (accScratch.length < sums) accScratch = new Int32Array(sums);
  return { a: actScratch.subarray(0, activations), acc: accScratch.subarray(0, sums) };
}

/**
 * A whole int8 Linear layer: y `[M, N]` = x `[M, K]`·Wᵀ + b with int8 weights (and their
 * scales) and the activations quantized from their own range; `relu` applies max(0, ·).
 */
export function int8Linear(x: Float32Array, M: number, w: Int8Weight, bias: Float32Array | null, relu: boolean, y: Float32Array): void {
  const { rows: N, cols: K } = w;
  const { a, acc } = scratch(M * K, M * N);
  const aq = activationQuant(x.subarray(0, M * K), w.reduceRange);
  quantizeActivations(x, aq, a, M, K);
  gemmInt8(M, a, w, acc);
  const factor = dequantFactors(aq.scale, w.scales, N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) y[i * N + j] = dequantOne(acc[i * N + j], factor[j], bias ? bias[j] : null, relu);
  }
}

/**
 * A whole int8 convolution: x `[N, C, H, W]` → y `[N, OC, OH, OW]` with int8 filters
 * `[OC, C·KH·KW]` (and their scales). The batch is quantized once from its range; each
 * image is unfolded into one row of quantized inputs per output position (0 in the
 * padding, which is exact), multiplied by the int8 GEMM, and dequantized. With `pool`,
 * each pooling window's largest sum is dequantized instead, giving y `[N, OC, POH, POW]`:
 * exactly the max-pool of the dequantized convolution, since scaling by a positive factor
 * and adding the bias keep the order.
 */
export function int8Conv2d(
  x: Float32Array,
  N: number,
  w: Int8Weight,
  bias: Float32Array | null,
  g: ConvGeometry,
  pool: PoolWindow | null,
  y: Float32Array,
): void {
  const { C, H, W, KH, KW, SH, SW, PH, PW, OH, OW } = g;
  const OC = w.rows,
    CKK = w.cols,
    L = OH * OW,
    size = C * H * W;
  const q = new Int16Array(N * size);
  const aq = activationQuant(x.subarray(0, N * size), w.reduceRange);
  quantizeActivations(x, aq, q, 1, N * size);
  const factor = dequantFactors(aq.scale, w.scales, OC);
  const { a: rows, acc } = scratch(L * CKK, L * OC);
  for (let n = 0; n < N; n++) {
    let r = 0;
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let c = 0; c < C; c++) {
          for (let kh = 0; kh < KH; kh++) {
            const ih = oh * SH - PH + kh;
            for (let kw = 0; kw < KW; kw++) {
              const iw = ow * SW - PW + kw;
              rows[r++] = ih >= 0 && ih < H && iw >= 0 && iw < W ? q[n * size + (c * H + ih) * W + iw] : 0;
            }
          }
        }
      }
    }
    gemmInt8(L, rows, w, acc);
    if (pool) {
      // The largest sum of each window, then scaled: the order is kept, so this is the max-pool of the scaled values.
      const P = pool.OH * pool.OW;
      for (let o = 0; o < OC; o++) {
        for (let ph = 0; ph < pool.OH; ph++) {
          for (let pw = 0; pw < pool.OW; pw++) {
            let best = -Infinity;
            for (let kh = 0; kh < pool.KH; kh++) {
              for (let kw = 0; kw < pool.KW; kw++) best = Math.max(best, acc[((ph * pool.SH + kh) * OW + pw * pool.SW + kw) * OC + o]);
            }
            y[(n * OC + o) * P + ph * pool.OW + pw] = dequantOne(best, factor[o], bias ? bias[o] : null, false);
          }
        }
      }
      continue;
    }
    for (let o = 0; o < OC; o++) {
      for (let l = 0; l < L; l++) y[(n * OC + o) * L + l] = dequantOne(acc[l * OC + o], factor[o], bias ? bias[o] : null, false);
    }
  }
}

/** This file's entries of the kernel interface (interface.ts joins every file's). */
export const int8LayerKernels = { int8Linear, int8Conv2d };
