import type { Int8Weight } from '../../int8.js';
import type { Kernels } from '../../interface.js';
import { type ActivationQuant, dequantFactors, quantFromRange } from '../../quantize.js';
import { staticConv2dWith, staticLinearWith } from '../../static-int8.js';
import type { ExportTable } from '../exports.js';
import { roundUp, type ScratchFrame } from '../heap.js';
import { SPLIT_MIN_MACS, shareBounds, type WasmModule } from '../module.js';
import { GEMV_MAX_ROWS, GEMV_SPLIT_MIN } from './dense.js';

/** The exports of assembly/int8.ts and quant.ts that these calls use, each with its parameters by name and in order (see ../exports.ts). */
export const INT8_EXPORTS = {
  gemmI16: { params: ['M', 'N', 'Kp', 'a', 'w', 'c', 'j0', 'j1'], split: true },
  gemmU7I8: { params: ['M', 'N', 'Kp', 'a', 'w', 'c', 'j0', 'j1', 'z', 'rowSums'], split: true },
  rangeF32: { params: ['x', 'n', 'out'], split: false },
  quantizeI16: { params: ['x', 'M', 'K', 'Kp', 'inv', 'lo', 'hi', 'out'], split: false },
  quantizeU8: { params: ['x', 'M', 'K', 'Kp', 'inv', 'z', 'qmax', 'out'], split: false },
  dequantRows: { params: ['acc', 'M', 'N', 'factor', 'bias', 'relu', 'y'], split: false },
} as const satisfies ExportTable;

/** int8 weights widened to 16 bits and padded along K to a multiple of 8, as assembly/int8.ts reads them. */
interface WidePack {
  Kp: number;
  /** Their resident address, or null when resident space ran out (then copied per call). */
  at: number | null;
  wide: Int16Array;
}

/** Widens and pads `w` once, and keeps it resident for as long as `w` lives. */
function widePack(m: WasmModule, w: Int8Weight): WidePack {
  return m.packOf(w, 'wide', () => {
    const { rows: N, cols: K } = w;
    const Kp = (K + 7) & ~7;
    const wide = new Int16Array(N * Kp);
    for (let j = 0; j < N; j++) for (let k = 0; k < K; k++) wide[j * Kp + k] = w.q[j * K + k];
    return { Kp, at: m.heap.residentCopy(w, wide), wide };
  });
}

/** int8 weights padded along K to a multiple of 16, with each row's sum, as assembly/int8.ts gemmU7I8 reads them. */
interface BytePack {
  Kp: number;
  /** The resident address of the bytes, then (16-byte aligned) the int32 row sums; null when copied per call. */
  at: number | null;
  bytes: Int8Array;
  rowSums: Int32Array;
}

/** Pads `w` to 16-byte rows and sums each row, once, resident for as long as `w` lives. */
function bytePack(m: WasmModule, w: Int8Weight): BytePack {
  return m.packOf(w, 'u7', () => {
    const { rows: N, cols: K } = w;
    const Kp = roundUp(K, 16);
    const bytes = new Int8Array(N * Kp);
    const rowSums = new Int32Array(N);
    for (let j = 0; j < N; j++) {
      for (let k = 0; k < K; k++) rowSums[j] += bytes[j * Kp + k] = w.q[j * K + k];
    }
    const both = new Uint8Array(roundUp(bytes.byteLength, 16) + rowSums.byteLength);
    both.set(new Uint8Array(bytes.buffer));
    both.set(new Uint8Array(rowSums.buffer), roundUp(bytes.byteLength, 16));
    return { Kp, at: m.heap.residentCopy(w, both), bytes, rowSums };
  });
}

/**
 * The relaxed-SIMD build's int8 Linear product: x quantized to 7-bit unsigned bytes (q, not
 * q − z), then acc = Σ w·q − z·Σw by gemmU7I8, split by columns across the threads. The
 * same int32 sums as the 16-bit path, on half the bytes.
 */
function productU7(
  m: WasmModule,
  frame: ScratchFrame,
  pack: BytePack,
  M: number,
  N: number,
  K: number,
  xa: number,
  aq: ActivationQuant,
  acc: number,
): void {
  const q = frame.take(M * pack.Kp);
  m.call('quantizeU8', { x: xa, M, K, Kp: pack.Kp, inv: Math.fround(1 / aq.scale), z: aq.zeroPoint, qmax: aq.qmax, out: q });
  splitU7(m, frame, pack, M, N, q, aq.zeroPoint, acc);
}

/** acc `[M, N]` = (q − z)·Wᵀ by gemmU7I8, split by columns across the threads when large enough. */
function splitU7(m: WasmModule, frame: ScratchFrame, pack: BytePack, M: number, N: number, q: number, z: number, acc: number): void {
  const at = pack.at ?? frame.place(new Uint8Array(pack.bytes.buffer));
  const sums = pack.at === null ? frame.place(pack.rowSums) : pack.at + roundUp(pack.bytes.byteLength, 16);
  // A few rows are memory-bound like a GEMV: split once the weights are large, as dense.ts does.
  const large = M <= GEMV_MAX_ROWS ? N * pack.Kp >= GEMV_SPLIT_MIN : M * N * pack.Kp >= SPLIT_MIN_MACS;
  const parts = large ? Math.max(1, Math.min(m.threads, Math.floor(N / 8))) : 1;
  const bounds = shareBounds(N, parts, 8);
  m.split('gemmU7I8', parts, (p) => ({ M, N, Kp: pack.Kp, a: q, w: at, c: acc, j0: bounds[p], j1: bounds[p + 1], z, rowSums: sums }));
}

/**
 * C = (Q − z)·Wᵀ with Q `[M, K]` 7-bit activations (bytes in [0, 127]) and their zero point
 * z: the relaxed build's kernel alone (gemmU7I8), for benchmarks and tests; layers reach it
 * through `int8Linear`. Throws on the plain build, which has no i8 × i7 dot product.
 */
export function gemmInt8U7(m: WasmModule, M: number, Q: Uint8Array, z: number, w: Int8Weight, C: Int32Array): void {
  if (m.simd !== 'relaxed') throw new Error('gemmInt8U7: needs the relaxed-SIMD build');
  const { rows: N, cols: K } = w;
  const pack = bytePack(m, w);
  const frame = m.heap.frame();
  const q = frame.zeros(M * pack.Kp);
  const view = m.heap.view(Uint8Array, q, M * pack.Kp);
  for (let i = 0; i < M; i++) view.set(Q.subarray(i * K, (i + 1) * K), i * pack.Kp);
  const c = frame.output(C, false, M * N);
  splitU7(m, frame, pack, M, N, q, z, c);
  frame.finish();
}

/**
 * C = A·Wᵀ for int8 layers (same arguments as kernels/int8.ts gemmInt8): A `[M, K]`
 * activations minus their zero point, W int8 weights, exact int32 sums. Large products are
 * split by columns across the threads.
 */
export function gemmInt8(m: WasmModule, M: number, A: Int16Array, w: Int8Weight, C: Int32Array): void {
  const { rows: N, cols: K } = w;
  const pack = widePack(m, w);
  const Kp = pack.Kp;
  const frame = m.heap.frame();
  const a = frame.take(M * Kp * 2);
  const a16 = m.heap.view(Int16Array, a, M * Kp);
  if (Kp === K) a16.set(A.subarray(0, M * K));
  else
    for (let i = 0; i < M; i++) {
      a16.set(A.subarray(i * K, (i + 1) * K), i * Kp);
      a16.fill(0, i * Kp + K, (i + 1) * Kp);
    }
  const c = frame.output(C, false, M * N);
  integerProduct(m, frame, pack, M, N, a, c);
  frame.finish();
}

/** acc `[M, N]` int32 = a `[M, Kp]`·Wᵀ, split by columns across the threads when large enough. */
function integerProduct(m: WasmModule, frame: ScratchFrame, pack: WidePack, M: number, N: number, a: number, acc: number): void {
  const wa = pack.at ?? frame.place(pack.wide);
  const parts = M * N * pack.Kp >= SPLIT_MIN_MACS ? Math.max(1, Math.min(m.threads, Math.floor(N / 8))) : 1;
  const bounds = shareBounds(N, parts, 8);
  m.split('gemmI16', parts, (p) => ({ M, N, Kp: pack.Kp, a, w: wa, c: acc, j0: bounds[p], j1: bounds[p + 1] }));
}

/** The range of n floats at `at`, and the activation parameters it gives (kernels/quantize.ts quantFromRange). */
export function quantOf(m: WasmModule, frame: ScratchFrame, at: number, n: number, reduceRange: boolean): ActivationQuant {
  const range = frame.take(8);
  m.call('rangeF32', { x: at, n, out: range });
  const [lo, hi] = m.heap.view(Float32Array, range, 2);
  return quantFromRange(lo, hi, reduceRange);
}

/** Quantizes `[M, K]` floats at `x` into `[M, Kp]` int16 minus the zero point; returns their address. */
export function quantizeInto(m: WasmModule, frame: ScratchFrame, x: number, M: number, K: number, Kp: number, aq: ActivationQuant): number {
  const q = frame.take(M * Kp * 2);
  m.call('quantizeI16', { x, M, K, Kp, inv: Math.fround(1 / aq.scale), lo: aq.qmin - aq.zeroPoint, hi: aq.qmax - aq.zeroPoint, out: q });
  return q;
}

/**
 * A whole int8 Linear layer in wasm (same arguments as kernels/int8-layers.ts int8Linear): the
 * activations' range, their quantization, the integer GEMM on the resident weights, and
 * the dequantization with bias (and ReLU) all run in wasm memory; only x goes in and y out.
 */
export function int8Linear(
  m: WasmModule,
  x: Float32Array,
  M: number,
  w: Int8Weight,
  bias: Float32Array | null,
  relu: boolean,
  y: Float32Array,
): void {
  const { rows: N, cols: K } = w;
  // 7-bit activations fit relaxed SIMD's i8 × i7 dot product; otherwise both are widened to 16 bits.
  const bytes = m.simd === 'relaxed' && w.reduceRange ? bytePack(m, w) : null;
  const wide = bytes ? null : widePack(m, w);
  const frame = m.heap.frame();
  const xa = frame.place(x, M * K);
  const aq = quantOf(m, frame, xa, M * K, w.reduceRange);
  const acc = frame.take(M * N * 4);
  if (bytes) productU7(m, frame, bytes, M, N, K, xa, aq, acc);
  else integerProduct(m, frame, wide!, M, N, quantizeInto(m, frame, xa, M, K, wide!.Kp, aq), acc);
  const factor = frame.place(dequantFactors(aq.scale, w.scales, N));
  const ya = frame.output(y, false, M * N);
  m.call('dequantRows', { acc, M, N, factor, bias: bias ? frame.place(bias) : 0, relu: +relu, y: ya });
  frame.finish();
}

/** These calls as entries of the kernel interface, bound to module `m`. */
export function int8Calls(m: WasmModule) {
  return {
    gemmInt8: (...a) => gemmInt8(m, ...a),
    // Static int8: the same unfolding and epilogue as the TypeScript kernels, on this integer GEMM.
    staticLinear: (...a) => staticLinearWith((M, A, w, C) => gemmInt8(m, M, A, w, C), ...a),
    staticConv2d: (...a) => staticConv2dWith((M, A, w, C) => gemmInt8(m, M, A, w, C), ...a),
    int8Linear: (...a) => int8Linear(m, ...a),
  } satisfies Partial<Kernels>;
}
