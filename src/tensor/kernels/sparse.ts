/**
 * CSR (compressed sparse row) kernels. A CSR matrix W `[rows, cols]` keeps only its
 * non-zeros: `values[p]` sits at column `colIndices[p]`, and row r owns the entries
 * `rowPtr[r] .. rowPtr[r+1]-1`. Column indices may be any integer array that fits `cols`
 * (Uint8Array, Uint16Array or Int32Array), so the smallest width can be stored.
 */

import { biasRelu } from './elementwise.js';

/** Integer arrays a CSR matrix may keep its column indices in. */
export type IndexArray = Uint8Array | Uint16Array | Int32Array;

/**
 * A CSR weight `[rows, cols]` as a kernel sees it: its three arrays, and each backend's
 * copy or packed form of them, made on first use and kept (the arrays must not change
 * after the first product; compress/csr.ts CsrMatrix never changes them).
 */
export interface CsrWeights {
  readonly rows: number;
  readonly cols: number;
  readonly rowPtr: Int32Array;
  readonly colIndices: IndexArray;
  readonly values: Float32Array;
  readonly packs: Map<string, unknown>;
}

/**
 * Reference: y[n, r] = Σ_p values[p]·x[n, colIndices[p]] over row r's entries, i.e.
 * y = x·Wᵀ for x `[N, cols]` and y `[N, rows]`. Written for reading.
 */
export function csrLinearNaive(w: CsrWeights, x: Float32Array, N: number, y: Float32Array): void {
  const { rows, cols, rowPtr, colIndices, values } = w;
  for (let n = 0; n < N; n++) {
    for (let r = 0; r < rows; r++) {
      let acc = 0;
      for (let p = rowPtr[r]; p < rowPtr[r + 1]; p++) acc += values[p] * x[n * cols + colIndices[p]];
      y[n * rows + r] = acc;
    }
  }
}

let scratch = new Float32Array(0);

/**
 * Fast y = x·Wᵀ (+ bias `[rows]`, then max(y, 0) when `relu`: the layer's epilogue, fused
 * by the wasm kernel) with W in CSR, x `[N, cols]`, y `[N, rows]`. It first transposes x, so the N values of one input feature sit side by
 * side; then, for each row of W and each group of 8 inputs, it keeps 8 sums in registers
 * and walks the row's non-zeros once: every stored weight and its column index is loaded
 * once per 8 outputs, and nothing is stored until the row is done. For N = 1 there is
 * nothing to group and it gathers directly.
 */
export function csrLinear(
  w: CsrWeights,
  x: Float32Array,
  N: number,
  y: Float32Array,
  bias: Float32Array | null = null,
  relu = false,
): void {
  csrProduct(w, x, N, y);
  biasRelu(y, bias, N, w.rows, relu);
}

/** y = x·Wᵀ, the product part of csrLinear. */
function csrProduct(w: CsrWeights, x: Float32Array, N: number, y: Float32Array): void {
  const { rows, cols, rowPtr, colIndices, values } = w;
  if (N === 1) {
    for (let r = 0; r < rows; r++) {
      let acc = 0;
      for (let p = rowPtr[r], end = rowPtr[r + 1]; p < end; p++) acc += values[p] * x[colIndices[p]];
      y[r] = acc;
    }
    return;
  }
  if (scratch.length < cols * N) scratch = new Float32Array(cols * N);
  const xT = scratch;
  for (let n = 0; n < N; n++) for (let c = 0; c < cols; c++) xT[c * N + n] = x[n * cols + c];
  const full = N - (N % 8);
  for (let r = 0; r < rows; r++) {
    const start = rowPtr[r],
      end = rowPtr[r + 1];
    for (let n = 0; n < full; n += 8) {
      let a0 = 0,
        a1 = 0,
        a2 = 0,
        a3 = 0,
        a4 = 0,
        a5 = 0,
        a6 = 0,
        a7 = 0;
      for (let p = start; p < end; p++) {
        const v = values[p];
        const k = colIndices[p] * N + n;
        a0 += v * xT[k];
        a1 += v * xT[k + 1];
        a2 += v * xT[k + 2];
        a3 += v * xT[k + 3];
        a4 += v * xT[k + 4];
        a5 += v * xT[k + 5];
        a6 += v * xT[k + 6];
        a7 += v * xT[k + 7];
      }
      const o = n * rows + r;
      y[o] = a0;
      y[o + rows] = a1;
      y[o + 2 * rows] = a2;
      y[o + 3 * rows] = a3;
      y[o + 4 * rows] = a4;
      y[o + 5 * rows] = a5;
      y[o + 6 * rows] = a6;
      y[o + 7 * rows] = a7;
    }
    for (let n = full; n < N; n++) {
      let acc = 0;
      for (let p = start; p < end; p++) acc += values[p] * xT[colIndices[p] * N + n];
      y[n * rows + r] = acc;
    }
  }
}

/** One layer of a chain of sparse layers: y = x·Wᵀ + b, then max(y, 0) when `relu`. */
export interface CsrStage {
  weight: CsrWeights;
  bias: Float32Array | null;
  relu: boolean;
}

/**
 * Sparse layers one after another, x `[N, cols of the first]` → y `[N, rows of the last]`:
 * here simply csrLinear stage by stage. A fast backend keeps the batch transposed from the
 * first layer to the last, so it is transposed once, not once per layer.
 */
export function csrChain(stages: readonly CsrStage[], x: Float32Array, N: number, y: Float32Array): void {
  stageByStage(stages, x, N, y, csrLinear);
}

/** Runs each stage through `layer` (a csrLinear), the output of one the input of the next; the last writes y. */
export function stageByStage(stages: readonly CsrStage[], x: Float32Array, N: number, y: Float32Array, layer: typeof csrLinear): void {
  let h = x;
  stages.forEach((s, i) => {
    const out = i + 1 === stages.length ? y : new Float32Array(N * s.weight.rows);
    layer(s.weight, h, N, out, s.bias, s.relu);
    h = out;
  });
}

/** This file's entries of the kernel interface (interface.ts joins every file's). */
export const sparseKernels = { csrLinear, csrChain };
