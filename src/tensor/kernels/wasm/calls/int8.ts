import type { ConvGeometry } from '../../conv.js';
import type { PoolWindow } from '../../conv-pool.js';
import type { Int8Weights } from '../../int8.js';
import { dequantFactors, quantFromRange, type ActivationQuant } from '../../quant.js';
import { roundUp, type ScratchFrame } from '../heap.js';
import { POOL_MIN_MACS, shareBounds, type WasmModule } from '../module.js';
import { geometryWords } from './conv.js';

/** int8 weights widened to 16 bits and padded along K to a multiple of 8, as assembly/int8.ts reads them. */
interface WidePack {
  Kp: number;
  /** Their resident address, or null when resident space ran out (then copied per call). */
  at: number | null;
  wide: Int16Array;
}

/** Widens and pads `w` once, and keeps it resident for as long as `w` lives. */
function widePack(m: WasmModule, w: Int8Weights): WidePack {
  const cached = w.packs.get('wasm') as WidePack | undefined;
  if (cached) return cached;
  const { N, K } = w;
  const Kp = (K + 7) & ~7;
  const wide = new Int16Array(N * Kp);
  for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) wide[j * Kp + k] = w.q[j * K + k];
  const pack = { Kp, at: m.heap.residentCopy(w, wide), wide };
  w.packs.set('wasm', pack);
  return pack;
}

/**
 * C = A·Wᵀ for int8 layers (same arguments as kernels/int8.ts gemmInt8): A `[M, K]`
 * activations minus their zero point, W int8 weights, exact int32 sums. Large products are
 * split by columns across the threads.
 */
export function gemmInt8(m: WasmModule, M: number, A: Int16Array, w: Int8Weights, C: Int32Array): void {
  const { N, K } = w;
  const pack = widePack(m, w);
  const Kp = pack.Kp;
  const frame = m.heap.frame();
  const a = frame.take(M * Kp * 2);
  const a16 = m.heap.view(Int16Array, a, M * Kp);
  if (Kp === K) a16.set(A.subarray(0, M * K));
  else for (let i = 0; i < M; i++) { a16.set(A.subarray(i * K, (i + 1) * K), i * Kp); a16.fill(0, i * Kp + K, (i + 1) * Kp); }
  const c = frame.output(C, false, M * N);
  integerProduct(m, frame, pack, M, N, a, c);
  frame.finish();
}

/** acc `[M, N]` int32 = a `[M, Kp]`·Wᵀ, split by columns across the threads when large enough. */
function integerProduct(m: WasmModule, frame: ScratchFrame, pack: WidePack, M: number, N: number, a: number, acc: number): void {
  const wa = pack.at ?? frame.place(pack.wide);
  const parts = M * N * pack.Kp >= POOL_MIN_MACS ? Math.max(1, Math.min(m.threads, Math.floor(N / 8))) : 1;
  const bounds = shareBounds(N, parts, 8);
  m.split('gemmI16', parts, (p) => [M, N, pack.Kp, a, wa, acc, bounds[p], bounds[p + 1]]);
}

/** The range of n floats at `at`, and the activation parameters it gives (kernels/quant.ts quantFromRange). */
function quantOf(m: WasmModule, frame: ScratchFrame, at: number, n: number, reduceRange: boolean): ActivationQuant {
  const range = frame.take(8);
  m.exports.rangeF32(at, n, range);
  const [lo, hi] = m.heap.view(Float32Array, range, 2);
  return quantFromRange(lo, hi, reduceRange);
}

/** Quantizes `[M, K]` floats at `x` into `[M, Kp]` int16 minus the zero point; returns their address. */
function quantizeInto(m: WasmModule, frame: ScratchFrame, x: number, M: number, K: number, Kp: number, aq: ActivationQuant): number {
  const q = frame.take(M * Kp * 2);
  m.exports.quantizeI16(x, M, K, Kp, Math.fround(1 / aq.scale), aq.qmin - aq.zeroPoint, aq.qmax - aq.zeroPoint, q);
  return q;
}

/**
 * A whole int8 Linear layer in wasm (same arguments as kernels/quant.ts int8Linear): the
 * activations' range, their quantization, the integer GEMM on the resident weights, and
 * the dequantization with bias (and ReLU) all run in wasm memory; only x goes in and y out.
 */
export function int8Linear(m: WasmModule, x: Float32Array, M: number, w: Int8Weights, bias: Float32Array | null, relu: boolean, y: Float32Array): void {
  const { N, K } = w;
  const pack = widePack(m, w);
  const frame = m.heap.frame();
  const xa = frame.place(x, M * K);
  const aq = quantOf(m, frame, xa, M * K, w.reduceRange);
  const a = quantizeInto(m, frame, xa, M, K, pack.Kp, aq);
  const acc = frame.take(M * N * 4);
  integerProduct(m, frame, pack, M, N, a, acc);
  const factor = frame.place(dequantFactors(aq.scale, w.scales, N));
  const ya = frame.output(y, false, M * N);
  m.exports.dequantRows(acc, M, N, factor, bias ? frame.place(bias) : 0, +relu, ya);
  frame.finish();
}

/** int8 filters `[OC, K]` packed for assembly/quant.ts convI16: by pairs of taps, `[Kp/2][OCp][2]` int16, zeros past the real ones. */
interface ConvPack {
  Kp: number;
  OCp: number;
  at: number | null;
  pairs: Int16Array;
}

function convPack(m: WasmModule, w: Int8Weights): ConvPack {
  const cached = w.packs.get('wasm-conv') as ConvPack | undefined;
  if (cached) return cached;
  const Kp = (w.K + 1) & ~1, OCp = (w.N + 31) & ~31;
  const pairs = new Int16Array(Kp * OCp);
  for (let o = 0; o < w.N; o++) for (let k = 0; k < w.K; k++) pairs[((k >> 1) * OCp + o) * 2 + (k & 1)] = w.q[o * w.K + k];
  const pack = { Kp, OCp, at: m.heap.residentCopy(w, pairs), pairs };
  w.packs.set('wasm-conv', pack);
  return pack;
}

/**
 * A whole int8 convolution in wasm (same arguments as kernels/quant.ts int8Conv2d): the
 * batch is quantized once, then each thread takes a share of the images and, image by
 * image, multiplies each output position's patch by the resident filters (32 channels at
 * a time) and scales the sums back straight into `[N, OC, OH, OW]`, max-pooling them
 * first when `pool` is given.
 */
export function int8Conv2d(
  m: WasmModule, x: Float32Array, N: number, w: Int8Weights, bias: Float32Array | null, g: ConvGeometry, pool: PoolWindow | null, y: Float32Array,
): void {
  const OC = w.N, L = g.OH * g.OW, size = g.C * g.H * g.W, outSize = OC * (pool ? pool.OH * pool.OW : L);
  const pack = convPack(m, w);
  const frame = m.heap.frame();
  const xa = frame.place(x, N * size);
  const aq = quantOf(m, frame, xa, N * size, w.reduceRange);
  const q = quantizeInto(m, frame, xa, 1, N * size, roundUp(N * size, 8), aq);
  const geo = frame.place(geometryWords(OC, g, pool));
  const wa = pack.at ?? frame.place(pack.pairs);
  const factor = frame.place(dequantFactors(aq.scale, w.scales, OC));
  const ba = bias ? frame.place(bias) : 0;
  const ya = frame.output(y, false, N * outSize);
  const parts = N * L * pack.OCp * pack.Kp >= POOL_MIN_MACS ? Math.min(m.threads, N) : 1;
  const scratchBytes = m.exports.convI16Scratch(geo, pack.Kp, pack.OCp);
  const scratch = Array.from({ length: parts }, () => frame.take(scratchBytes));
  const bounds = shareBounds(N, parts);
  m.split('convI16', parts, (p) => [q, geo, wa, pack.Kp, pack.OCp, factor, ba, ya, outSize * 4, scratch[p], bounds[p], bounds[p + 1]]);
  frame.finish();
}
