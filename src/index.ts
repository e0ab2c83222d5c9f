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

// The engine: start it (optional in Node), see what runs.
export { init, backendInfo, type InitOptions, type BackendInfo } from './tensor/kernels/index.js';

// Tensors, autograd and ops.
export { Tensor, type TensorOptions } from './tensor/tensor.js';
export { noGrad, isGradEnabled } from './tensor/autograd.js';
export { Rng } from './tensor/random.js';
export type { Shape } from './tensor/shape.js';
export { add, sub, mul, div, neg, exp, log, relu, type Operand } from './tensor/ops/elementwise.js';
export { sum, mean, max, argmax } from './tensor/ops/reduce.js';
export { reshape, flatten, transpose } from './tensor/ops/view.js';
export { matmul, linear, linearRelu } from './tensor/ops/matmul.js';
export { conv2d, conv2dMaxPool, maxPool2d, type Conv2dOptions, type MaxPool2dOptions } from './tensor/ops/conv.js';
export { logSoftmax, softmax, crossEntropy, klDiv, klDivSoftTargets, type KlReduction } from './tensor/ops/loss.js';
export { fakeQuantize, type FakeQuantGrid } from './tensor/ops/fake-quant.js';

// nn: layers, containers and the notebook's models.
export { Module, type StateDict, type StateEntry, type Step } from './nn/module.js';
export { plan, runPlanned, type Stage, type FusesRelu, type FusesMaxPool } from './nn/plan.js';
export { Linear, Conv2d, MaxPool2d, ReLU, Flatten, Sequential, type LayerOptions, type Conv2dLayerOptions } from './nn/layers.js';
export { MLP, SimpleNet, StudentNet, TeacherNet, LeNet300100, LeNet5 } from './nn/models.js';
export { manualSeed } from './nn/init.js';
export { encodeSafetensors, decodeSafetensors, type Safetensors } from './nn/safetensors.js';

// optim.
export { Optimizer } from './optim/optimizer.js';
export { Adam, type AdamOptions } from './optim/adam.js';
export { SGD, type SgdOptions } from './optim/sgd.js';

// Data, training and evaluation.
export { subset, type Dataset } from './data/dataset.js';
export { DataLoader, type Batch, type DataLoaderOptions } from './data/loader.js';
export type { TensorSet } from './data/tensor-set.js';
export { mnistData, mnistSplit, type MnistData, type MnistSplit, type MnistSplitName, type MnistSplitOptions } from './data/mnist.js';
export { decodeIdx, IdxError, type IdxArray } from './data/idx.js';
export {
  fit,
  trainEpoch,
  type FitOptions,
  type FitEpoch,
  type LossFn,
  type EpochStats,
  type TrainEpochOptions,
  type TrainStep,
} from './train/fit.js';
export { evaluate } from './train/evaluate.js';

// Compression, models as bytes, and measurement.
export * from './compress/index.js';
export { exportOnnx, type OnnxOptions } from './interop/onnx.js';
