import { fmt, type Shape, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { TensorSet } from './tensor-set.js';

/**
 * A labelled dataset held in one array, as a DataLoader serves it and `fit` trains on it:
 * example i is `images[i·S, (i+1)·S)` with S the size of `sampleShape`, and its class is
 * `labels[i]`. An MNIST split is one; so is any set a script builds itself.
 * @example const tiny: Dataset = { images: new Float32Array(2 * 784), labels: [3, 7], count: 2 }
 */
export interface Dataset {
  /** `[count, ...sampleShape]`, row-major. */
  images: Float32Array;
  /** `count` class indices. */
  labels: ArrayLike<number>;
  /** The number of examples. */
  count: number;
  /** The shape of one example (default `[1, 28, 28]`, an MNIST image as the notebook's tensors). */
  sampleShape?: Shape;
}

/** The shape of one example of `set`: its own `sampleShape`, else an MNIST image's `[1, 28, 28]`. */
export function sampleShapeOf(set: Dataset): Shape {
  return set.sampleShape ?? [1, 28, 28];
}

/** Throws, naming `from`, unless `set` holds `count` examples of its sample shape and as many labels. */
export function checkDataset(set: Dataset, from: string): void {
  if (typeof set !== 'object' || set === null || !(set.images instanceof Float32Array)) {
    throw new Error(`${from}: expected a dataset { images: Float32Array, labels, count }, got ${describe(set)}`);
  }
  const shape = sampleShapeOf(set);
  if (!Number.isInteger(set.count) || set.count < 0) throw new Error(`${from}: count must be an integer ≥ 0, got ${set.count}`);
  if (set.images.length !== set.count * sizeOf(shape)) {
    throw new Error(`${from}: ${set.images.length} values do not hold ${set.count} examples of shape ${fmt(shape)}`);
  }
  if (set.labels?.length !== set.count) throw new Error(`${from}: ${set.labels?.length} labels for ${set.count} examples`);
}

/**
 * Examples `[start, end)` of `set` as a dataset of their own, sharing its storage: how a
 * script holds out a validation slice of the training set.
 * @example const validation = subset(train, 55_000, 60_000); const rest = subset(train, 0, 55_000)
 */
export function subset(set: Dataset, start: number, end: number): Dataset {
  checkDataset(set, 'subset');
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= set.count)) {
    throw new Error(`subset: [${start}, ${end}) is not a range of the ${set.count} examples`);
  }
  const sample = sizeOf(sampleShapeOf(set));
  const labels = set.labels as ArrayLike<number> & { subarray?: (a: number, b: number) => ArrayLike<number> };
  return {
    images: set.images.subarray(start * sample, end * sample),
    labels: typeof labels.subarray === 'function' ? labels.subarray(start, end) : Array.from(set.labels).slice(start, end),
    count: end - start,
    sampleShape: set.sampleShape,
  };
}

/** `set` as one tensor `[count, ...sampleShape]` and its labels, sharing storage: what evaluation and latency take. */
export function toTensorSet(set: Dataset | TensorSet, from = 'toTensorSet'): TensorSet {
  if (isTensorSet(set)) return set;
  checkDataset(set, from);
  const labels = set.labels instanceof Uint8Array || set.labels instanceof Int32Array ? set.labels : Int32Array.from(set.labels);
  return { x: new Tensor(set.images, [set.count, ...sampleShapeOf(set)]), labels };
}

function isTensorSet(set: unknown): set is TensorSet {
  return typeof set === 'object' && set !== null && (set as TensorSet).x instanceof Tensor;
}

function describe(v: unknown): string {
  if (v === null || typeof v !== 'object') return String(v);
  return `an object with keys [${Object.keys(v).join(', ')}]`;
}
