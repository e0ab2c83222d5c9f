import { Linear } from '../nn/layers.js';
import { Module, type StateEntry } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import type { CsrWeights, IndexArray } from '../tensor/kernels/sparse.js';
import { sparseLinear } from '../tensor/ops/sparse.js';
import { fmt } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { CompressedLayer, LayerCodec } from './codec.js';

/** Bytes of each array of a CSR matrix, and their total. */
export interface CsrBytes {
  /** The non-zeros, float32. */
  values: number;
  /** One column index per non-zero, at the index width. */
  colIndices: number;
  /** rows + 1 int32 row starts. */
  rowPtr: number;
  /** All three. */
  total: number;
}

/**
 * A sparse matrix `[rows, cols]` in CSR form: the non-zeros row by row (`values`), the
 * column of each (`colIndices`), and where each row starts (`rowPtr`, rows + 1 entries).
 * @example const w = CsrMatrix.fromDense(fc1.weight.data, 512, 784); w.bytes().total
 */
export class CsrMatrix implements CsrWeights {
  /**
   * Each backend's copy of the arrays, made on first use (the arrays never change).
   * @internal
   */
  readonly packs = new Map<string, unknown>();

  /**
   * Checks the three arrays against each other (lengths, increasing row pointers, columns
   * in range) and keeps them; see `fromDense` to build them from a dense matrix.
   * @param rows Rows of the matrix.
   * @param cols Columns of the matrix.
   * @param values The non-zeros, row by row.
   * @param colIndices The column of each non-zero (8, 16 or 32 bits).
   * @param rowPtr Where each row's non-zeros start in `values`; rows + 1 entries, the last = nnz.
   */
  constructor(
    readonly rows: number,
    readonly cols: number,
    readonly values: Float32Array,
    readonly colIndices: IndexArray,
    readonly rowPtr: Int32Array,
  ) {
    if (!(Number.isInteger(rows) && rows >= 0 && Number.isInteger(cols) && cols >= 0))
      throw new Error(`CsrMatrix: [${rows}, ${cols}] is not a matrix shape`);
    if (rowPtr.length !== rows + 1 || rowPtr[0] !== 0 || rowPtr[rows] !== values.length || colIndices.length !== values.length) {
      throw new Error(
        `CsrMatrix: inconsistent arrays for [${rows}, ${cols}]: ${values.length} values, ${colIndices.length} column indices, ` +
          `${rowPtr.length} row pointers ending at ${rowPtr[rows]}`,
      );
    }
    for (let r = 0; r < rows; r++) {
      if (!(rowPtr[r + 1] >= rowPtr[r]))
        throw new Error(`CsrMatrix: row pointers decrease at row ${r}: ${rowPtr[r]} then ${rowPtr[r + 1]}`);
    }
    for (let p = 0; p < colIndices.length; p++) {
      if (!(colIndices[p] >= 0 && colIndices[p] < cols))
        throw new Error(`CsrMatrix: column index ${colIndices[p]} at entry ${p} is outside [0, ${cols})`);
    }
  }

  /**
   * The non-zeros of a dense row-major matrix. Column indices use the narrowest
   * unsigned type that holds `cols − 1` (8, 16 or 32 bits) unless `indexBytes` says which.
   */
  static fromDense(dense: Float32Array, rows: number, cols: number, indexBytes: 1 | 2 | 4 = indexWidth(cols)): CsrMatrix {
    if (dense.length !== rows * cols) throw new Error(`CsrMatrix.fromDense: ${dense.length} values do not fill [${rows}, ${cols}]`);
    if (indexBytes < indexWidth(cols)) throw new Error(`CsrMatrix.fromDense: ${indexBytes}-byte indices cannot address ${cols} columns`);
    let nnz = 0;
    for (let i = 0; i < dense.length; i++) if (dense[i] !== 0) nnz++;
    const values = new Float32Array(nnz);
    const colIndices = indexBytes === 1 ? new Uint8Array(nnz) : indexBytes === 2 ? new Uint16Array(nnz) : new Int32Array(nnz);
    const rowPtr = new Int32Array(rows + 1);
    let p = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = dense[r * cols + c];
        if (v !== 0) {
          values[p] = v;
          colIndices[p++] = c;
        }
      }
      rowPtr[r + 1] = p;
    }
    return new CsrMatrix(rows, cols, values, colIndices, rowPtr);
  }

  /** Number of stored (non-zero) entries. */
  get nnz(): number {
    return this.values.length;
  }

  /** Fraction of entries that are zero. */
  get sparsity(): number {
    return 1 - this.nnz / (this.rows * this.cols);
  }

  /** The matrix as a dense row-major Float32Array. */
  toDense(): Float32Array {
    const out = new Float32Array(this.rows * this.cols);
    for (let r = 0; r < this.rows; r++) {
      for (let p = this.rowPtr[r]; p < this.rowPtr[r + 1]; p++) out[r * this.cols + this.colIndices[p]] = this.values[p];
    }
    return out;
  }

  /** Bytes of every array: values, column indices and row pointers (the notebook counted only the first). */
  bytes(): CsrBytes {
    const values = this.values.byteLength,
      colIndices = this.colIndices.byteLength,
      rowPtr = this.rowPtr.byteLength;
    return { values, colIndices, rowPtr, total: values + colIndices + rowPtr };
  }
}

/** Narrowest unsigned index width in bytes (1, 2 or 4) that addresses `cols` columns. */
export function indexWidth(cols: number): 1 | 2 | 4 {
  return cols <= 256 ? 1 : cols <= 65536 ? 2 : 4;
}

/**
 * Density (fraction of non-zeros) below which CSR is smaller than the dense float32
 * matrix: nnz·(4 + indexBytes) + 4·(rows + 1) < 4·rows·cols. With int32 indices it is
 * just under 50%; with 16-bit indices about 67%.
 * @example breakEvenDensity(512, 784, 2) // 0.66: CSR with 16-bit indices is smaller below 66% non-zeros
 */
export function breakEvenDensity(rows: number, cols: number, indexBytes: number): number {
  return (4 * rows * cols - 4 * (rows + 1)) / ((4 + indexBytes) * rows * cols);
}

/**
 * A Linear layer whose weight is stored in CSR: y = x·Wᵀ + b with only the non-zeros
 * stored and multiplied. For inference (no gradient); fine-tune the dense masked layer
 * (see `prune.ts`), then convert. x `[N, in]` → `[N, out]`.
 * @example model.fc1 = SparseLinear.fromLinear(model.fc1)
 */
export class SparseLinear extends Module implements CompressedLayer {
  /** The weight `[out, in]`, its non-zeros only. */
  weight: CsrMatrix;
  /** `[out]`, or null. */
  bias: Tensor | null;

  /**
   * @param weight The CSR weight `[out, in]`.
   * @param bias `[out]`, or null.
   */
  constructor(weight: CsrMatrix, bias: Tensor | null) {
    super();
    if (bias && (bias.rank !== 1 || bias.shape[0] !== weight.rows)) {
      throw new Error(`SparseLinear: bias ${fmt(bias.shape)} does not match weight [${weight.rows}, ${weight.cols}]`);
    }
    this.weight = weight;
    this.bias = bias;
  }

  /** `[out, in]`, the shape of the dense weight this layer stands for. */
  get denseShape(): readonly number[] {
    return [this.weight.rows, this.weight.cols];
  }

  /** The sparse twin of a (pruned) Linear: its zeros are dropped, its bias copied. */
  static fromLinear(linear: Linear, indexBytes?: 1 | 2 | 4): SparseLinear {
    const w = CsrMatrix.fromDense(linear.weight.data, linear.outFeatures, linear.inFeatures, indexBytes);
    return new SparseLinear(w, linear.bias ? Tensor.from(linear.bias.data) : null);
  }

  /** Size of each input row. */
  get inFeatures(): number {
    return this.weight.cols;
  }

  /** Size of each output row. */
  get outFeatures(): number {
    return this.weight.rows;
  }

  /** Stored weights plus bias (what `numParameters` reports for a sparse model). */
  override ownParameterCount(): number {
    return this.weight.nnz + (this.bias?.size ?? 0);
  }

  forward(x: Tensor): Tensor {
    return this.run(x, false);
  }

  /**
   * This layer as a link of a chain of sparse layers (see `plan` and `sparseChain`).
   * @internal
   */
  csrStage(): { weight: CsrMatrix; bias: Tensor | null } {
    return { weight: this.weight, bias: this.bias };
  }

  /** relu(forward(x)), the ReLU applied by the kernel as it stores each sum. */
  forwardRelu(x: Tensor): Tensor {
    return this.run(x, true);
  }

  private run(x: Tensor, relu: boolean): Tensor {
    if (x.rank !== 2 || x.shape[1] !== this.inFeatures) {
      throw new Error(`SparseLinear: input ${fmt(x.shape)} does not match weight [${this.outFeatures}, ${this.inFeatures}]`);
    }
    return sparseLinear(x, this.weight, this.bias, relu);
  }

  /** Saves `weight.values`, `weight.col_indices`, `weight.row_ptr`, `weight.cols` (and the bias). */
  protected override ownState(): [string, StateEntry][] {
    const w = this.weight;
    const idx = w.colIndices;
    const dtype = idx instanceof Uint8Array ? 'U8' : idx instanceof Uint16Array ? 'U16' : 'I32';
    const state: [string, StateEntry][] = [
      ['weight.values', { dtype: 'F32', shape: [w.nnz], data: w.values }],
      ['weight.col_indices', { dtype, shape: [w.nnz], data: idx }],
      ['weight.row_ptr', { dtype: 'I32', shape: [w.rows + 1], data: w.rowPtr }],
      ['weight.cols', { dtype: 'I32', shape: [1], data: Int32Array.of(w.cols) }],
    ];
    if (this.bias) state.push(['bias', { dtype: 'F32', shape: this.bias.shape, data: this.bias.data }]);
    return state;
  }
}

/**
 * Swaps every Linear of `model` (at any depth) for a SparseLinear, in place, and returns
 * the model. Layers sparser than `minSparsity` only (default 0: all of them).
 * @example const sparse = toSparse(prunedNet) // every Linear with zeros becomes a SparseLinear
 */
export function toSparse<M extends Module>(model: M, options: { minSparsity?: number } = {}): M {
  const min = options.minSparsity ?? 0;
  if (!(min >= 0 && min <= 1)) throw new Error(`toSparse: minSparsity must lie in [0, 1], got ${min}`);
  if (!(model instanceof Module)) throw new Error(`toSparse: expected a Module, got ${String(model)}`);
  if (!model.namedModules().some(([, m]) => m instanceof Linear))
    throw new Error(`toSparse: a ${model.constructor.name} has no Linear layer to store as CSR`);
  noGrad(() => {
    for (const [, parent] of model.namedModules()) {
      for (const [name, child] of parent.namedChildren()) {
        if (!(child instanceof Linear)) continue;
        const sparse = SparseLinear.fromLinear(child);
        if (sparse.weight.sparsity >= min) parent.setChild(name, sparse);
      }
    }
  });
  return model;
}

/** Rebuilds a SparseLinear from its saved entries (see `loadCompressedModel`). */
export const sparseLinearCodec: LayerCodec = {
  marker: 'weight.values',
  decode(entries) {
    const values = entries.get('weight.values')!;
    const cols = entries.get('weight.cols');
    const idx = entries.get('weight.col_indices');
    const ptr = entries.get('weight.row_ptr');
    if (!idx || !ptr || !cols)
      throw new Error("a sparse layer needs 'weight.values', 'weight.col_indices', 'weight.row_ptr' and 'weight.cols'");
    if (values.dtype !== 'F32' || ptr.dtype !== 'I32' || cols.dtype !== 'I32' || !['U8', 'U16', 'I32'].includes(idx.dtype)) {
      throw new Error(`a sparse layer's arrays have dtypes ${values.dtype}, ${idx.dtype}, ${ptr.dtype}; expected F32, U8|U16|I32, I32`);
    }
    const rows = ptr.data.length - 1;
    const w = new CsrMatrix(rows, cols.data[0], values.data as Float32Array, idx.data as IndexArray, ptr.data as Int32Array);
    const bias = entries.get('bias');
    return new SparseLinear(w, bias ? new Tensor(Float32Array.from(bias.data), [rows]) : null);
  },
};
