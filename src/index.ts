/**
 * slimtensor: a from-scratch tensor engine with hand-written kernels, and the model
 * compression methods of the notebook it reproduces, in PyTorch's vocabulary. This is the
 * core entry, which runs wherever the engine does; files (models, MNIST) are in
 * `slimtensor/node`, and `slimtensor/compress` lists the compression part alone.
 * @example
 * import { SimpleNet, Rng, fit, evaluate } from 'slimtensor';
 * import { loadMnist } from 'slimtensor/node';
 * const [train, test] = [await loadMnist('train'), await loadMnist('test')];
 * const net = new SimpleNet(new Rng(0));
 * fit(net, train, { epochs: 5, evalSet: test, log: console.log });
 * @packageDocumentation
 */

// Compression, models as bytes, and measurement.
export * from './compress/index.js';
// Data, training and evaluation.
export { type Dataset, subset } from './data/dataset.js';
export { type Batch, DataLoader, type DataLoaderOptions } from './data/loader.js';
export { type MnistData, type MnistSplit, type MnistSplitName, mnistData } from './data/mnist.js';
export type { TensorSet } from './data/tensor-set.js';
export { exportOnnx, type OnnxOptions } from './interop/onnx.js';
export { manualSeed } from './nn/init.js';
export { Conv2d, type Conv2dLayerOptions, Flatten, type LayerOptions, Linear, MaxPool2d, ReLU, Sequential } from './nn/layers.js';
export { LeNet5, LeNet300100, MLP, SimpleNet, StudentNet, TeacherNet } from './nn/models.js';
// nn: layers, containers and the notebook's models.
export { Module, type StateDict, type StateEntry, type Step } from './nn/module.js';
export { type FusesMaxPool, type FusesRelu, plan, runPlanned, type Stage } from './nn/plan.js';
export { decodeSafetensors, encodeSafetensors, type Safetensors } from './nn/safetensors.js';
export { Adam, type AdamOptions } from './optim/adam.js';
// optim.
export { Optimizer } from './optim/optimizer.js';
export { SGD, type SgdOptions } from './optim/sgd.js';
export { isGradEnabled, noGrad } from './tensor/autograd.js';
// The engine: start it (optional in Node), see what runs.
export { type BackendInfo, backendInfo, type InitOptions, init } from './tensor/kernels/index.js';
export { type Conv2dOptions, conv2d, conv2dMaxPool, type MaxPool2dOptions, maxPool2d } from './tensor/ops/conv.js';
export { add, div, exp, log, mul, neg, type Operand, relu, sub } from './tensor/ops/elementwise.js';
export { crossEntropy, type KlReduction, klDiv, klDivSoftTargets, logSoftmax, softmax } from './tensor/ops/loss.js';
export { linear, linearRelu, matmul } from './tensor/ops/matmul.js';
export { argmax, max, mean, sum } from './tensor/ops/reduce.js';
export { flatten, reshape, transpose } from './tensor/ops/view.js';
export { Rng } from './tensor/random.js';
export type { Shape } from './tensor/shape.js';
// Tensors, autograd and ops.
export { Tensor, type TensorOptions } from './tensor/tensor.js';
export { evaluate } from './train/evaluate.js';
export { type EpochStats, type FitEpoch, type FitOptions, fit, type LossFn, type TrainEpochOptions, trainEpoch } from './train/fit.js';
