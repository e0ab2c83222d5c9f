/** The tensor layer: Tensor, autograd, and every op. */
export { Tensor, type TensorOptions } from './tensor.js';
export { noGrad, isGradEnabled } from './autograd.js';
export { Rng } from './random.js';
export { type Shape, sizeOf, shapesEqual, fmt } from './shape.js';
export { add, sub, mul, div, neg, exp, log, xlogx, relu } from './ops/elementwise.js';
export { sum, mean, max, argmax } from './ops/reduce.js';
export { reshape, flatten, transpose } from './ops/view.js';
export { matmul, linear, linearRelu } from './ops/matmul.js';
export { conv2d, conv2dMaxPool, maxPool2d, type Conv2dOptions, type MaxPool2dOptions } from './ops/conv.js';
export { logSoftmax, softmax, crossEntropy, crossEntropyComposed, klDiv, klDivSoftTargets, type KlReduction } from './ops/loss.js';
