import type { ConvGeometry } from './conv.js';
import type { PoolWindow } from './conv-pool.js';
import { gemmInt8, type Int8Weight } from './int8.js';
import { roundHalfEven } from './quantize.js';

/**
 * Static int8, the TypeScript reference: activations stay uint8 from layer to layer, each
 * with the scale and zero point calibration fixed (x ≈ s·(q − z)). A layer multiplies its
 * uint8 input, less the input's zero point, by its int8 weights with exact int32 sums, then
 * requantizes each sum straight to the next uint8 in its epilogue, the bias and ReLU with
 * it, as fbgemm's `ReQuantizeOutput` does (float bias):
 *   q_out = clamp(round((acc + b/(sₓ·s_w)) · (sₓ·s_w/s_out)) + z_out, relu ? z_out : 0, 255 or quantMax),
 * each product and sum rounded to float32, round to nearest with ties to even. Nothing goes
 * back to float between layers; only the logits are dequantized at the end.
 *
 * The integer product is a parameter (`IntegerProduct`): this file's kernels use the
 * TypeScript one (int8.ts), the wasm backend hands in its own, so both run the same
 * unfolding and the same epilogue and give the same bits.
 */

/** C `[M, N]` = A `[M, K]`·Wᵀ in exact int32: a backend's integer GEMM (kernels/int8.ts gemmInt8 or wasm's). */
export type IntegerProduct = (M: number, A: Int16Array, w: Int8Weight, C: Int32Array) => void;

/** A uint8 tensor's scale and zero point: x ≈ scale·(q − zeroPoint). */
export interface U8Params {
  /** The step between two integers, in the float values' units. */
  scale: number;
  /** The integer that stands for 0, in [0, 255]. */
  zeroPoint: number;
  /**
   * The largest integer (default 255, where PyTorch's kernels clamp whatever range the
   * observer chose); a QAT model keeps the grid it trained on, 15 for 4-bit activations.
   */
  quantMax?: number;
}

const f = Math.fround;

/** q = clamp(round(x·f32(1/scale)) + zeroPoint, 0, quantMax): float to uint8, as PyTorch's `quantize_per_tensor`. */
export function quantizeU8(x: Float32Array, { scale, zeroPoint, quantMax = 255 }: U8Params, out: Uint8Array): void {
  const inv = f(1 / scale);
  for (let i = 0; i < x.length; i++) out[i] = Math.min(quantMax, Math.max(0, roundHalfEven(f(x[i] * inv)) + zeroPoint));
}

/** x = f32((q − zeroPoint)·scale): uint8 back to float. */
export function dequantizeU8(q: Uint8Array, { scale, zeroPoint }: U8Params, out: Float32Array): void {
  for (let i = 0; i < q.length; i++) out[i] = f((q[i] - zeroPoint) * scale);
}

/** The per-output-channel factors of the epilogue: sₓ·s_w, (sₓ·s_w)/s_out and the bias over sₓ·s_w, each float32. */
function epilogue(inScale: number, w: Int8Weight, bias: Float32Array | null, outScale: number) {
  const N = w.rows;
  const act = new Float32Array(N),
    mult = new Float32Array(N),
    b = new Float32Array(N);
  for (let j = 0; j < N; j++) {
    act[j] = f(inScale * w.scales[w.scales.length > 1 ? j : 0]);
    mult[j] = f(act[j] / outScale);
    b[j] = bias ? f(bias[j] / act[j]) : 0;
  }
  return { mult, b };
}

/** One int32 sum requantized to uint8, clamped to [low, high]. */
function requantize(acc: number, mult: number, b: number, zeroPoint: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, roundHalfEven(f(f(acc + b) * mult)) + zeroPoint));
}

let aScratch = new Int16Array(0);
let accScratch = new Int32Array(0);

function scratch(activations: number, sums: number): { a: Int16Array; acc: Int32Array } {
  if (aScratch.length < activations) aScratch = new Int16Array(activations);
  if (accScratch.length < sums) accScratch = new Int32Array(sums);
  return { a: aScratch.subarray(0, activations), acc: accScratch.subarray(0, sums) };
}

/**
 * A static int8 Linear: q `[M, K]` uint8 (params `input`) → out `[M, N]` uint8 (params
 * `output`), with int8 weights `[N, K]` and a float bias; `relu` clamps at the output's zero point.
 */
export function staticLinearWith(
  product: IntegerProduct,
  q: Uint8Array,
  M: number,
  input: U8Params,
  w: Int8Weight,
  bias: Float32Array | null,
  output: U8Params,
  relu: boolean,
  out: Uint8Array,
): void {
  const { rows: N, cols: K } = w;
  const { a, acc } = scratch(M * K, M * N);
  for (let i = 0; i < M * K; i++) a[i] = q[i] - input.zeroPoint;
  product(M, a, w, acc);
  const { mult, b } = epilogue(input.scale, w, bias, output.scale);
  const low = relu ? output.zeroPoint : 0,
    high = output.quantMax ?? 255;
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) out[i * N + j] = requantize(acc[i * N + j], mult[j], b[j], output.zeroPoint, low, high);
}

/**
 * A static int8 convolution: q `[N, C, H, W]` uint8 → out `[N, OC, OH, OW]` uint8, each image
 * unfolded into one row of (input − zero point) per output position, the padding 0 (the
 * input's zero point, as PyTorch pads), multiplied by the int8 GEMM and requantized.
 */
export function staticConv2dWith(
  product: IntegerProduct,
  q: Uint8Array,
  N: number,
  input: U8Params,
  w: Int8Weight,
  bias: Float32Array | null,
  g: ConvGeometry,
  output: U8Params,
  relu: boolean,
  out: Uint8Array,
): void {
  const { C, H, W, KH, KW, SH, SW, PH, PW, OH, OW } = g;
  const OC = w.rows,
    L = OH * OW,
    size = C * H * W;
  const { a: rows, acc } = scratch(L * w.cols, L * OC);
  const { mult, b } = epilogue(input.scale, w, bias, output.scale);
  const low = relu ? output.zeroPoint : 0,
    high = output.quantMax ?? 255;
  for (let n = 0; n < N; n++) {
    let r = 0;
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let c = 0; c < C; c++)
          for (let kh = 0; kh < KH; kh++) {
            const ih = oh * SH - PH + kh;
            for (let kw = 0; kw < KW; kw++) {
              const iw = ow * SW - PW + kw;
              rows[r++] = ih >= 0 && ih < H && iw >= 0 && iw < W ? q[n * size + (c * H + ih) * W + iw] - input.zeroPoint : 0;
            }
          }
    product(L, rows, w, acc);
    for (let o = 0; o < OC; o++)
      for (let l = 0; l < L; l++) out[(n * OC + o) * L + l] = requantize(acc[l * OC + o], mult[o], b[o], output.zeroPoint, low, high);
  }
}

/**
 * Max pooling of uint8 planes `[N·C, H, W]` → `[N·C, pool.OH, pool.OW]`: the largest integer
 * is the largest value (the scale is positive).
 */
export function maxPoolU8(q: Uint8Array, planes: number, H: number, W: number, pool: PoolWindow, out: Uint8Array): void {
  for (let p = 0; p < planes; p++)
    for (let ph = 0; ph < pool.OH; ph++)
      for (let pw = 0; pw < pool.OW; pw++) {
        let best = 0;
        for (let kh = 0; kh < pool.KH; kh++)
          for (let kw = 0; kw < pool.KW; kw++) best = Math.max(best, q[p * H * W + (ph * pool.SH + kh) * W + pw * pool.SW + kw]);
        out[(p * pool.OH + ph) * pool.OW + pw] = best;
      }
}

/** max(q, zeroPoint): a ReLU on uint8 values (0 is the zero point). */
export function reluU8(q: Uint8Array, zeroPoint: number): void {
  for (let i = 0; i < q.length; i++) if (q[i] < zeroPoint) q[i] = zeroPoint;
}

/** `staticLinearWith` on the TypeScript integer GEMM. */
export const staticLinear = (...a: DropFirst<Parameters<typeof staticLinearWith>>): void => staticLinearWith(gemmInt8, ...a);

/** `staticConv2dWith` on the TypeScript integer GEMM. */
export const staticConv2d = (...a: DropFirst<Parameters<typeof staticConv2dWith>>): void => staticConv2dWith(gemmInt8, ...a);

type DropFirst<T extends unknown[]> = T extends [unknown, ...infer R] ? R : never;

/** This file's entries of the kernel interface (interface.ts joins every file's). */
export const staticInt8Kernels = { staticLinear, staticConv2d };
