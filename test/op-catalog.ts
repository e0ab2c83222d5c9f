import * as T from '../src/tensor/index.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';

/**
 * One catalog of every differentiable op (minitorch's idea): how to make random inputs of
 * a random seeded shape, the function under test, and an input that must be refused with
 * an error naming the op. The gradient, error and value tests all iterate this list.
 */
export interface OpCase {
  name: string;
  inputs: (rng: Rng) => Tensor[];
  fn: (...xs: Tensor[]) => Tensor;
  /** Calls the op with bad input; must throw an error whose message matches `badMessage`. */
  bad?: () => unknown;
  badMessage?: RegExp;
}

const dim = (rng: Rng, lo = 1, hi = 5): number => lo + rng.int(hi - lo + 1);
const randn = (shape: number[], rng: Rng): Tensor => Tensor.randn(shape, rng);
/** Values kept away from 0, for ops with a kink or a pole there. */
const awayFromZero = (shape: number[], rng: Rng): Tensor => {
  const t = Tensor.randn(shape, rng);
  t.data.forEach((v, i) => {
    t.data[i] = (v >= 0 ? 1 : -1) * (0.1 + Math.abs(v));
  });
  return t;
};
const positive = (shape: number[], rng: Rng): Tensor => Tensor.uniform(shape, 0.2, 2, rng);
/** Distinct values spaced well beyond the finite-difference step, so maxima are unambiguous. */
const distinct = (shape: number[], rng: Rng): Tensor => {
  const t = Tensor.zeros(shape);
  const perm = rng.permutation(t.size);
  perm.forEach((p, i) => {
    t.data[i] = (p - t.size / 2) * 0.05;
  });
  return t;
};
const labelsFor = (n: number, c: number, rng: Rng): Int32Array => Int32Array.from({ length: n }, () => rng.int(c));

const binary = (name: string, fn: (a: Tensor, b: Tensor) => Tensor, make = randn): OpCase[] => [
  {
    name,
    inputs: (r) => {
      const s = [dim(r), dim(r)];
      return [randn(s, r), make(s, r)];
    },
    fn,
    bad: () => fn(Tensor.zeros([2, 3]), Tensor.zeros([4])),
    badMessage: new RegExp(`${name}: shapes \\[2, 3\\] and \\[4\\]`),
  },
  {
    name: `${name} (row broadcast)`,
    inputs: (r) => {
      const n = dim(r),
        c = dim(r);
      return [randn([n, c], r), make([c], r)];
    },
    fn,
  },
  {
    name: `${name} (column broadcast)`,
    inputs: (r) => {
      const n = dim(r),
        c = dim(r);
      return [randn([n, c], r), make([n, 1], r)];
    },
    fn,
  },
  { name: `${name} (scalar on the left)`, inputs: (r) => [make([], r), make([dim(r), dim(r)], r)], fn },
];

export const OP_CATALOG: OpCase[] = [
  ...binary('add', T.add),
  ...binary('sub', T.sub),
  ...binary('mul', T.mul),
  ...binary('div', T.div, positive),
  { name: 'neg', inputs: (r) => [randn([dim(r), dim(r)], r)], fn: T.neg },
  { name: 'exp', inputs: (r) => [randn([dim(r), dim(r)], r)], fn: T.exp },
  { name: 'log', inputs: (r) => [positive([dim(r), dim(r)], r)], fn: T.log },
  { name: 'xlogx', inputs: (r) => [positive([dim(r), dim(r)], r)], fn: T.xlogx },
  { name: 'relu', inputs: (r) => [awayFromZero([dim(r), dim(r), dim(r)], r)], fn: T.relu },
  { name: 'sum (all)', inputs: (r) => [randn([dim(r), dim(r)], r)], fn: (x) => T.sum(x) },
  {
    name: 'sum (axis 1, keepDim)',
    inputs: (r) => [randn([dim(r), dim(r), dim(r)], r)],
    fn: (x) => T.sum(x, 1, true),
    bad: () => T.sum(Tensor.zeros([2, 3]), 2),
    badMessage: /sum: axis 2 is out of range for a tensor of rank 2/,
  },
  { name: 'mean (all)', inputs: (r) => [randn([dim(r), dim(r)], r)], fn: (x) => T.mean(x) },
  {
    name: 'mean (axis 0)',
    inputs: (r) => [randn([dim(r), dim(r)], r)],
    fn: (x) => T.mean(x, 0),
    bad: () => T.mean(Tensor.zeros([2, 3]), -3),
    badMessage: /mean: axis -3 is out of range/,
  },
  { name: 'max (all)', inputs: (r) => [distinct([dim(r), dim(r)], r)], fn: (x) => T.max(x) },
  {
    name: 'max (axis -1)',
    inputs: (r) => [distinct([dim(r), dim(r), dim(r)], r)],
    fn: (x) => T.max(x, -1),
    bad: () => T.max(Tensor.zeros([2]), 1),
    badMessage: /max: axis 1 is out of range/,
  },
  {
    name: 'reshape',
    inputs: (r) => [randn([dim(r, 2, 4), 6], r)],
    fn: (x) => T.mul(T.reshape(x, [-1, 3, 2]), T.reshape(x, [-1, 3, 2])),
    bad: () => T.reshape(Tensor.zeros([2, 3]), [4, 2]),
    badMessage: /reshape: cannot reshape \[2, 3\] \(6 values\) to \[4, 2\]/,
  },
  { name: 'flatten', inputs: (r) => [randn([dim(r), dim(r), dim(r)], r)], fn: (x) => T.exp(T.flatten(x)) },
  {
    name: 'transpose',
    inputs: (r) => [randn([dim(r), dim(r)], r)],
    fn: T.transpose,
    bad: () => T.transpose(Tensor.zeros([2, 3, 4])),
    badMessage: /transpose: expects a 2-D tensor, got \[2, 3, 4\]/,
  },
  {
    name: 'matmul',
    inputs: (r) => {
      const m = dim(r),
        k = dim(r, 1, 9),
        n = dim(r);
      return [randn([m, k], r), randn([k, n], r)];
    },
    fn: T.matmul,
    bad: () => T.matmul(Tensor.zeros([64, 784]), Tensor.zeros([512, 784])),
    badMessage: /matmul: inner dimensions differ: \[64, 784\] x \[512, 784\]/,
  },
  {
    name: 'linear',
    inputs: (r) => {
      const n = dim(r),
        i = dim(r, 1, 9),
        o = dim(r);
      return [randn([n, i], r), randn([o, i], r), randn([o], r)];
    },
    fn: (x, w, b) => T.linear(x, w, b),
    bad: () => T.linear(Tensor.zeros([64, 784]), Tensor.zeros([512, 700])),
    badMessage: /linear: input \[64, 784\] does not match weight \[512, 700\]/,
  },
  {
    name: 'linear (no bias)',
    inputs: (r) => [randn([3, 4], r), randn([2, 4], r)],
    fn: (x, w) => T.linear(x, w),
    bad: () => T.linear(Tensor.zeros([2, 4]), Tensor.zeros([3, 4]), Tensor.zeros([4])),
    badMessage: /linear: bias \[4\] does not match weight \[3, 4\]/,
  },
  {
    name: 'linearRelu',
    inputs: (r) => {
      const n = dim(r),
        i = dim(r, 1, 9),
        o = dim(r);
      return [randn([n, i], r), randn([o, i], r), randn([o], r)];
    },
    fn: (x, w, b) => T.linearRelu(x, w, b),
    bad: () => T.linearRelu(Tensor.zeros([64, 784]), Tensor.zeros([512, 700])),
    badMessage: /linearRelu: input \[64, 784\] does not match weight \[512, 700\]/,
  },
  {
    name: 'conv2d',
    inputs: (r) => [randn([2, 2, 6, 5], r), randn([3, 2, 3, 2], r), randn([3], r)],
    fn: (x, w, b) => T.conv2d(x, w, b),
    bad: () => T.conv2d(Tensor.zeros([1, 3, 8, 8]), Tensor.zeros([4, 1, 3, 3])),
    badMessage: /conv2d: input \[1, 3, 8, 8\] has 3 channels but weight \[4, 1, 3, 3\] expects 1/,
  },
  {
    name: 'conv2d (stride 2, padding 1)',
    inputs: (r) => [randn([2, 1, 7, 6], r), randn([2, 1, 3, 3], r), randn([2], r)],
    fn: (x, w, b) => T.conv2d(x, w, b, { stride: 2, padding: 1 }),
    bad: () => T.conv2d(Tensor.zeros([1, 1, 3, 3]), Tensor.zeros([1, 1, 5, 5])),
    badMessage: /conv2d: kernel 5x5 is larger than the padded input 3x3/,
  },
  {
    name: 'maxPool2d',
    inputs: (r) => [distinct([2, 3, 6, 7], r)],
    fn: (x) => T.maxPool2d(x, { kernelSize: 2 }),
    bad: () => T.maxPool2d(Tensor.zeros([3, 8, 8]), { kernelSize: 2 }),
    badMessage: /maxPool2d: expects input \[N, C, H, W\], got \[3, 8, 8\]/,
  },
  {
    name: 'maxPool2d (kernel 3, stride 2)',
    inputs: (r) => [distinct([1, 2, 7, 7], r)],
    fn: (x) => T.maxPool2d(x, { kernelSize: 3, stride: 2 }),
    bad: () => T.maxPool2d(Tensor.zeros([1, 1, 4, 4]), { kernelSize: 5 }),
    badMessage: /maxPool2d: pooling kernel 5x5 is larger than the 4x4 planes of \[1, 1, 4, 4\]/,
  },
  {
    name: 'conv2dMaxPool',
    inputs: (r) => [randn([2, 2, 7, 6], r), randn([3, 2, 3, 2], r), randn([3], r)],
    fn: (x, w, b) => T.conv2dMaxPool(x, w, b, {}, { kernelSize: 2 }),
    bad: () => T.conv2dMaxPool(Tensor.zeros([1, 1, 6, 6]), Tensor.zeros([2, 1, 3, 3]), null, {}, { kernelSize: 5 }),
    badMessage: /conv2dMaxPool: pooling kernel 5x5 is larger than the 4x4 planes of \[1, 2, 4, 4\]/,
  },
  {
    name: 'conv2dMaxPool (padding 1, pool 3 stride 2)',
    inputs: (r) => [randn([2, 1, 6, 7], r), randn([2, 1, 3, 3], r), randn([2], r)],
    fn: (x, w, b) => T.conv2dMaxPool(x, w, b, { padding: 1 }, { kernelSize: 3, stride: 2 }),
    bad: () => T.conv2dMaxPool(Tensor.zeros([1, 3, 8, 8]), Tensor.zeros([4, 1, 3, 3]), null, {}, { kernelSize: 2 }),
    badMessage: /conv2dMaxPool: input \[1, 3, 8, 8\] has 3 channels but weight \[4, 1, 3, 3\] expects 1/,
  },
  {
    name: 'logSoftmax',
    inputs: (r) => [randn([dim(r), dim(r, 2, 6)], r)],
    fn: (x) => T.logSoftmax(x),
    bad: () => T.logSoftmax(Tensor.zeros([2, 3]), 4),
    badMessage: /max: axis 4 is out of range/,
  },
  { name: 'softmax', inputs: (r) => [randn([dim(r), dim(r, 2, 6)], r)], fn: (x) => T.softmax(x) },
  ...(() => {
    const labels = labelsFor(4, 5, new Rng(99));
    return [
      {
        name: 'crossEntropy',
        inputs: (r: Rng) => [randn([4, 5], r)],
        fn: (x: Tensor) => T.crossEntropy(x, labels),
        bad: () => T.crossEntropy(Tensor.zeros([4, 5]), [1, 2, 3]),
        badMessage: /crossEntropy: 3 labels for logits \[4, 5\] \(expected 4\)/,
      },
      {
        name: 'crossEntropyComposed',
        inputs: (r: Rng) => [randn([4, 5], r)],
        fn: (x: Tensor) => T.crossEntropyComposed(x, labels),
        bad: () => T.crossEntropyComposed(Tensor.zeros([2, 5]), [1, 5]),
        badMessage: /crossEntropyComposed: label 5 at position 1 is not a class index in \[0, 5\)/,
      },
    ];
  })(),
  ...[1, 3].map((temperature) => ({
    name: `klDivSoftTargets (T = ${temperature})`,
    inputs: (r: Rng) => [randn([3, 4], r)],
    fn: (x: Tensor) => T.klDivSoftTargets(x, Tensor.from([2, -1, 0.5, 0, 1, 1, -3, 2, 0, 0, 0, 4], [3, 4]), temperature),
    bad: () => T.klDivSoftTargets(Tensor.zeros([3, 4]), Tensor.zeros([3, 5])),
    badMessage: /klDivSoftTargets: student logits \[3, 4\] and teacher logits \[3, 5\] must both be \[N, C\] and equal/,
  })),
  {
    name: 'klDiv',
    inputs: (r) => [T.logSoftmax(randn([3, 4], r)).detach(), T.softmax(randn([3, 4], r)).detach()],
    fn: (x, t) => T.klDiv(x, t),
    bad: () => T.klDiv(Tensor.zeros([3, 4]), Tensor.zeros([3, 5])),
    badMessage: /klDiv: input \[3, 4\] and target \[3, 5\] must have the same shape/,
  },
];
