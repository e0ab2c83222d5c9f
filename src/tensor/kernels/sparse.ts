/**
 * CSR (compressed sparse row) kernels. A CSR matrix W `[rows, cols]` keeps only its
 * non-zeros: `values[p]` sits at column `colIndices[p]`, and row r owns the entries
 * `rowPtr[r] .. rowPtr[r+1]-1`. Column indices may be any integer array that fits `cols`
 * (Uint8Array, Uint16Array or Int32Array), so the smallest width can be stored.
 */

/** Integer arrays a CSR matrix may keep its column indices in. */
export type IndexArray = Uint8Array | Uint16Array | Int32Array;

/**
 * Reference: y[n, r] = Σ_p values[p]·x[n, colIndices[p]] over row r's entries, i.e.
 * y = x·Wᵀ for x `[N, cols]` and y `[N, rows]`. Written for reading.
 */
export function csrLinearNaive(
  rows: number, rowPtr: Int32Array, colIndices: IndexArray, values: Float32Array, x: Float32Array, N: number, cols: number, y: Float32Array,
): void {
  for (let n = 0; n < N; n++) {
    for (let r = 0; r < rows; r++) {
      let acc = 0;
      for (let p = rowPtr[r]; p < rowPtr[r + 1]; p++) acc += values[p] * x[n * cols + colIndices[p]];
      y[n * rows + r] = acc;
    }
  }
}

/**
 * Fast y = x·Wᵀ with W in CSR, x `[N, cols]`, y `[N, rows]`; `scratch` holds at least
 * N·(rows + cols) floats. With more than one input row it works on transposes: xᵀ puts
 * the N values of one input feature side by side, so each stored weight updates a
 * contiguous run of N outputs (yᵀ[r, :] += w·xᵀ[c, :]), a loop V8 compiles tightly. Each
 * non-zero costs 2·N flops and the weight is read once for all N inputs. For N = 1 that
 * transpose is pointless and it gathers directly.
 */
export function csrLinear(
  rows: number, rowPtr: Int32Array, colIndices: IndexArray, values: Float32Array, x: Float32Array, N: number, cols: number, y: Float32Array,
  scratch: Float32Array = new Float32Array(N * (rows + cols)),
): void {
  if (N === 1) {
    for (let r = 0; r < rows; r++) {
      let acc = 0;
      for (let p = rowPtr[r], end = rowPtr[r + 1]; p < end; p++) acc += values[p] * x[colIndices[p]];
      y[r] = acc;
    }
    return;
  }
  const xT = scratch.subarray(0, cols * N);
  const yT = scratch.subarray(cols * N, cols * N + rows * N);
  for (let n = 0; n < N; n++) for (let c = 0; c < cols; c++) xT[c * N + n] = x[n * cols + c];
  yT.fill(0);
  for (let r = 0; r < rows; r++) {
    const out = r * N;
    for (let p = rowPtr[r], end = rowPtr[r + 1]; p < end; p++) {
      const w = values[p];
      const src = colIndices[p] * N;
      for (let n = 0; n < N; n++) yT[out + n] += w * xT[src + n];
    }
  }
  for (let r = 0; r < rows; r++) for (let n = 0; n < N; n++) y[n * rows + r] = yT[r * N + n];
}
