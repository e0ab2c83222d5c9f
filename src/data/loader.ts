import { Rng } from '../tensor/random.js';
import { type Shape, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkDataset, type Dataset, sampleShapeOf } from './dataset.js';

/** One batch: inputs as one tensor, labels as class indices. */
export interface Batch {
  /** `[size, ...sampleShape]`. */
  x: Tensor;
  /** `size` class indices. */
  labels: Int32Array;
  /** Where each example sits in the dataset (for per-example data kept beside it, e.g. teacher logits). */
  indices: Int32Array;
  /** Examples in this batch (the last one may be smaller). */
  size: number;
}

/** Options of a DataLoader. */
export interface DataLoaderOptions {
  /** Examples per batch (default 64). */
  batchSize?: number;
  /** The shape of one example inside a batch (default: the dataset's `sampleShape`, else `[1, 28, 28]` as the notebook's tensors). */
  sampleShape?: Shape;
  /** Reshuffle at every pass (default false). */
  shuffle?: boolean;
  /** Seed of the shuffle; pass k uses the k-th permutation drawn from it. */
  seed?: number;
  /** Use only the first `limit` examples. */
  limit?: number;
  /** Drop a last batch smaller than `batchSize` (default false). */
  dropLast?: boolean;
}

/**
 * Serves a dataset in batches, as PyTorch's DataLoader: each iteration is one pass (an
 * epoch). Every batch is one Float32Array copied from the dataset's big array; there
 * are no per-image objects. Shuffling draws from a seeded generator, so the same seed
 * gives the same batches.
 * @example for (const { x, labels } of new DataLoader(train, { batchSize: 64, shuffle: true, seed: 1 })) ...
 */
export class DataLoader implements Iterable<Batch> {
  /** Examples per batch. */
  readonly batchSize: number;
  /** The shape of one example inside a batch. */
  readonly sampleShape: Shape;
  /** Examples served per pass (the dataset's, or `limit`). */
  readonly count: number;
  private readonly rng: Rng | null;
  private readonly dropLast: boolean;

  /**
   * @param dataset The examples to serve.
   * @param options Batch size, shuffling and its seed, a limit.
   */
  constructor(
    readonly dataset: Dataset,
    options: DataLoaderOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 64;
    this.sampleShape = options.sampleShape ?? sampleShapeOf(dataset);
    this.dropLast = options.dropLast ?? false;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1)
      throw new Error(`DataLoader: batchSize must be a positive integer, got ${this.batchSize}`);
    checkDataset({ ...dataset, sampleShape: this.sampleShape }, 'DataLoader');
    const limit = options.limit ?? dataset.count;
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`DataLoader: limit must be a positive integer, got ${options.limit}`);
    this.count = Math.min(limit, dataset.count);
    this.rng = options.shuffle ? new Rng(options.seed ?? 0) : null;
  }

  /** Number of batches in one pass. */
  get length(): number {
    return this.dropLast ? Math.floor(this.count / this.batchSize) : Math.ceil(this.count / this.batchSize);
  }

  /** One pass over the dataset, batch by batch (reshuffled each pass when `shuffle` is set). */
  *[Symbol.iterator](): Iterator<Batch> {
    const order = this.rng ? this.rng.permutation(this.count) : null;
    const sample = sizeOf(this.sampleShape);
    const { images, labels } = this.dataset;
    for (let b = 0; b < this.length; b++) {
      const start = b * this.batchSize;
      const size = Math.min(this.batchSize, this.count - start);
      const x = new Float32Array(size * sample);
      const y = new Int32Array(size);
      const indices = new Int32Array(size);
      for (let i = 0; i < size; i++) {
        const k = order ? order[start + i] : start + i;
        x.set(images.subarray(k * sample, (k + 1) * sample), i * sample);
        y[i] = labels[k];
        indices[i] = k;
      }
      yield { x: new Tensor(x, [size, ...this.sampleShape]), labels: y, indices, size };
    }
  }
}
