/** The tensor layer: Tensor, autograd, and every op. */

export { isGradEnabled, noGrad } from './autograd.js';
export { type Conv2dOptions, conv2d, conv2dMaxPool, type MaxPool2dOptions, maxPool2d } from './ops/conv.js';
export { add, div, exp, log, mul, neg, relu, sub, xlogx } from './ops/elementwise.js';
export { crossEntropy, crossEntropyComposed, type KlReduction, klDiv, klDivSoftTargets, logSoftmax, softmax } from './ops/loss.js';
export { linear, linearRelu, matmul } from './ops/matmul.js';
export { argmax, max, mean, sum } from './ops/reduce.js';
export { flatten, reshape, transpose } from './ops/view.js';
export { Rng } from './random.js';
export { fmt, type Shape, shapesEqual, sizeOf } from './shape.js';
export { Tensor, type TensorOptions } from './tensor.js';
