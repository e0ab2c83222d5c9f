/**
 * Integer GEMM for int8 inference: C[M, N] = A[M, K]·B[N, K]ᵀ with exact int32 sums, the
 * product every quantized Linear computes (activations times weights, x·Wᵀ).
 * A holds activations minus their zero point (integers in [−255, 255], in an Int16Array);
 * B holds symmetric int8 weights in [−128, 127].
 */

/** Reference: plain integer loops, for reading and for the tests. */
export function gemmInt8Naive(M: number, N: number, K: number, A: Int16Array, B: Int8Array, C: Int32Array): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += A[i * K + k] * B[j * K + k];
      C[i * N + j] = acc;
    }
  }
}

/**
 * Two int8 weights share one float64: w₀ + 2²⁵·w₁. A multiply-add on the pair then does
 * two useful multiply-adds, and the sums stay exact integers as long as each half's sum is
 * below 2²⁴ in magnitude: 255·128·K < 2²⁴ holds for K ≤ 512, so K is cut into blocks of 512.
 */
const SHIFT = 2 ** 25;
const KB = 512;

/** Packs int8 weights B `[N, K]` into `[⌈N/2⌉, K]` float64 pairs (done once per layer). */
export function packInt8Pairs(B: Int8Array, N: number, K: number): Float64Array {
  const pairs = Math.ceil(N / 2);
  const out = new Float64Array(pairs * K);
  for (let p = 0; p < pairs; p++) {
    const j = 2 * p;
    for (let k = 0; k < K; k++) out[p * K + k] = B[j * K + k] + (j + 1 < N ? SHIFT * B[(j + 1) * K + k] : 0);
  }
  return out;
}

let rowsScratch = new Float64Array(0);

/** Splits a pair's exact sum into its two integer halves and adds them to C. */
function addPair(acc: number, C: Int32Array, at: number, second: boolean): void {
  const hi = Math.round(acc / SHIFT);
  C[at] += acc - hi * SHIFT;
  if (second) C[at + 1] += hi;
}

/**
 * Fast C = A·Bᵀ with B packed by `packInt8Pairs`: float64 dot products on 2 rows of A ×
 * 2 weight pairs at a time (8 outputs per step, 4 multiply-adds), which plain JavaScript
 * runs faster than int32 arithmetic: V8 has no integer multiply-add, and each double
 * multiply-add here does the work of two.
 */
export function gemmInt8Packed(M: number, N: number, K: number, A: Int16Array, packed: Float64Array, C: Int32Array): void {
  if (rowsScratch.length < 2 * K) rowsScratch = new Float64Array(2 * K);
  const a = rowsScratch;
  const pairs = Math.ceil(N / 2);
  C.fill(0, 0, M * N);
  for (let i = 0; i < M; i += 2) {
    const two = i + 1 < M;
    for (let k = 0; k < K; k++) {
      a[k] = A[i * K + k];
      a[K + k] = two ? A[(i + 1) * K + k] : 0;
    }
    for (let k0 = 0; k0 < K; k0 += KB) {
      const k1 = Math.min(K, k0 + KB);
      let p = 0;
      for (; p + 1 < pairs; p += 2) {
        const b0 = p * K,
          b1 = b0 + K;
        let s00 = 0,
          s01 = 0,
          s10 = 0,
          s11 = 0;
        for (let k = k0; k < k1; k++) {
          const x0 = a[k],
            x1 = a[K + k],
            w0 = packed[b0 + k],
            w1 = packed[b1 + k];
          s00 += x0 * w0;
          s01 += x0 * w1;
          s10 += x1 * w0;
          s11 += x1 * w1;
        }
        const j = 2 * p;
        addPair(s00, C, i * N + j, true);
        addPair(s01, C, i * N + j + 2, j + 3 < N);
        if (two) {
          addPair(s10, C, (i + 1) * N + j, true);
          addPair(s11, C, (i + 1) * N + j + 2, j + 3 < N);
        }
      }
      for (; p < pairs; p++) {
        const b0 = p * K;
        let s0 = 0,
          s1 = 0;
        for (let k = k0; k < k1; k++) {
          s0 += a[k] * packed[b0 + k];
          s1 += a[K + k] * packed[b0 + k];
        }
        addPair(s0, C, i * N + 2 * p, 2 * p + 1 < N);
        if (two) addPair(s1, C, (i + 1) * N + 2 * p, 2 * p + 1 < N);
      }
    }
  }
}

/**
 * int8 weights `[rows, cols]`, the one form every int8 layer and kernel holds them in: the
 * values, their scales (one, or one per row, the output channel: w ≈ scale·q), how the
 * activations they meet are quantized, and each backend's own layout of them, made on
 * first use and kept (weights do not change after quantization).
 */
export interface Int8Weight {
  /** The int8 values, row-major: row r is output channel r's weights. */
  readonly q: Int8Array;
  /** Output channels. */
  readonly rows: number;
  /** Inputs per output channel (a convolution's C·KH·KW). */
  readonly cols: number;
  /** One scale for the whole tensor, or one per row. */
  readonly scales: Float32Array;
  /**
   * Quantize the activations to 7 bits ([0, 127]) instead of 8, as PyTorch's dynamic
   * Linear does (`reduce_range=True` on fbgemm and onednn, which leaves headroom in the
   * int16 intermediate sums of their x86 kernels).
   */
  readonly reduceRange: boolean;
  /** Each backend's layout of the values (pairs, quads, resident copies), by backend and kind. */
  readonly packs: Map<string, unknown>;
}

/**
 * int8 weights `[rows, cols]` and their scales, after checking that they fit: rows·cols
 * values, 1 or `rows` scales, every scale finite and positive.
 * @example const w = int8Weight(Int8Array.of(1, -2, 3, 4), 2, 2, Float32Array.of(0.1, 0.2))
 */
export function int8Weight(
  q: Int8Array,
  rows: number,
  cols: number,
  scales: Float32Array = Float32Array.of(1),
  reduceRange = true,
): Int8Weight {
  if (!(Number.isInteger(rows) && rows >= 0 && Number.isInteger(cols) && cols >= 0) || q.length !== rows * cols) {
    throw new Error(`int8Weight: ${q.length} values do not fill [${rows}, ${cols}]`);
  }
  if (scales.length !== 1 && scales.length !== rows)
    throw new Error(`int8Weight: ${scales.length} scales for ${rows} output channels (expected 1 or ${rows})`);
  const bad = scales.findIndex((s) => !(Number.isFinite(s) && s > 0));
  if (bad >= 0) throw new Error(`int8Weight: scale ${bad} is ${scales[bad]}; scales must be finite and positive`);
  return { q, rows, cols, scales, reduceRange, packs: new Map() };
}

/** C = A·Wᵀ for quantized layers (the js backend's entry): packs W into float64 pairs once, then `gemmInt8Packed`. */
export function gemmInt8(M: number, A: Int16Array, w: Int8Weight, C: Int32Array): void {
  let packed = w.packs.get('js') as Float64Array | undefined;
  if (!packed) {
    packed = packInt8Pairs(w.q, w.rows, w.cols);
    w.packs.set('js', packed);
  }
  gemmInt8Packed(M, w.rows, w.cols, A, packed, C);
}

/** This file's entries of the kernel interface (interface.ts joins every file's). */
export const int8Kernels = { gemmInt8 };
