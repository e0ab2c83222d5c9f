import { Tensor } from '../tensor/tensor.js';

/** A labelled set held as one tensor, ready to feed a model without a loader. */
export interface TensorSet {
  /** `[N, ...sample]`, e.g. `[10000, 1, 28, 28]`. */
  x: Tensor;
  /** One class index per row of `x`. */
  labels: Uint8Array | Int32Array;
}

/** Rows `[start, end)` of a batch-first tensor, sharing its storage. */
export function sliceRows(x: Tensor, start: number, end: number): Tensor {
  const row = x.size / x.shape[0];
  return new Tensor(x.data.subarray(start * row, end * row), [end - start, ...x.shape.slice(1)]);
}

/** The batches `[0, b)`, `[b, 2b)`, … of a batch-first tensor, as views (no copies). */
export function batchesOf(x: Tensor, batchSize: number): Tensor[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchesOf: batchSize must be a positive integer, got ${batchSize}`);
  const out: Tensor[] = [];
  for (let i = 0; i < x.shape[0]; i += batchSize) out.push(sliceRows(x, i, Math.min(x.shape[0], i + batchSize)));
  return out;
}
