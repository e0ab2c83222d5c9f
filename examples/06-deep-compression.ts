/**
 * Beyond the notebook: Deep Compression (Han, Mao & Dally, ICLR 2016) of LeNet-300-100,
 * step by step: train dense, prune with retraining, share weights by k-means and fine-tune
 * the centroids, then Huffman-code everything into one file, and load that file back.
 *
 *   npx tsx examples/06-deep-compression.ts            # full MNIST: 5 + 3 + 1 epochs (about 30 s)
 *   npx tsx examples/06-deep-compression.ts --quick    # 3,000 training and 1,000 test images, 1 + 1 + 1 epochs
 *   npx tsx examples/06-deep-compression.ts --out DIR  # keep the file in DIR
 *
 * The notebook has no such section; the steps follow the paper's, each quoted above
 * slimtensor's line. With the same seed the accuracies and the file's size equal
 * `slimtensor deep-compress`'s (and `npm start`'s last section).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEEP_COMPRESSION_MODELS,
  encodeDeepCompressed,
  evaluate,
  fit,
  LeNet300100,
  type Linear,
  pruneWithRetraining,
  Rng,
  removeDeadUnits,
  roundToFloat16,
  SharedWeights,
  SharedWeightsAdam,
} from 'slimtensor';
import { loadMnist, loadModel, writeFileAtomic } from 'slimtensor/node';

const quick = process.argv.includes('--quick');
const outAt = process.argv.indexOf('--out');
const SEED = 0;
const KB = 1000;
const trainset = await loadMnist('train', { limit: quick ? 3000 : undefined });
const testset = await loadMnist('test', { limit: quick ? 1000 : undefined });
const error = (accuracy: number): string => `${(100 * (1 - accuracy)).toFixed(2)}%`;

// The paper's settings for LeNet-300-100 (Tables 1 and 2): 8%, 9% and 26% of the weights
// kept in fc1, fc2, fc3, and 6 bits per shared weight.
const paper = DEEP_COMPRESSION_MODELS['lenet-300-100'];
const net = new LeNet300100(new Rng(SEED));
const [fc1, fc2, fc3] = net.layers as Linear[];

// 1. Train the dense network (the paper's baseline; here 5 epochs of Adam).
fit(net, trainset, { epochs: quick ? 1 : 5, seed: SEED, evalSet: testset, name: 'dense', log: console.log });
const dense = evaluate(net, testset);

// 2. "Pruning: learn the connectivity via normal network training, remove the small-weight
//    connections, retrain the remaining sparse connections." Each layer's sparsity rises to
//    its target on a cubic schedule over the first half, the masks held after every step.
const { pruner } = pruneWithRetraining(net, trainset, {
  final: { fc1: 1 - paper.keep[0], fc2: 1 - paper.keep[1], fc3: 1 - paper.keep[2] },
  epochs: quick ? 1 : 3,
  seed: SEED + 1,
  evalSet: testset,
  name: 'pruning',
  log: console.log,
});
// Units left with no input or no reader are folded into the next bias, exactly.
const dead = removeDeadUnits([
  [fc1, fc2],
  [fc2, fc3],
]);
const pruned = evaluate(net, testset);

// 3. "Trained quantization and weight sharing": k-means over each layer's surviving weights
//    (2^6 centroids, started evenly over [min, max]), then the centroids are trained, each by
//    the sum of its weights' gradients.
const shared = new SharedWeights(net, () => 6);
const clustered = evaluate(net, testset);
const others = net.parameters().filter((p) => !shared.layers.some((l) => l.weight === p)); // the biases
const optimizer = new SharedWeightsAdam(shared, others, { lr: 0.001 });
fit(net, trainset, { epochs: 1, seed: SEED + 2, optimizer, evalSet: testset, name: 'centroids', log: console.log });
// The file stores centroids and biases in float16: evaluate the model it will hold.
shared.roundCentroids(roundToFloat16);
for (const p of others) p.data.set(p.data.map(roundToFloat16));
const sharedAccuracy = evaluate(net, testset);

// 4. "Huffman coding" of the cluster indices and of the relative positions, into one file.
const { bytes, costs } = encodeDeepCompressed('lenet-300-100', shared.fileLayers('auto'));
const dir = outAt >= 0 ? process.argv[outAt + 1] : await mkdtemp(join(tmpdir(), 'slimtensor-example-'));
const file = join(dir, 'lenet-300-100.deep-compressed.safetensors');
await writeFileAtomic(file, bytes);
const fileBytes = (await stat(file)).size;
const decoded = await loadModel(file); // decodes the codes back into a LeNet-300-100
const decodedAccuracy = evaluate(decoded, testset);
if (outAt < 0) await rm(dir, { recursive: true, force: true });

// Table 1 of the paper, ours beside it.
const denseBytes = costs.reduce((n, c) => n + c.dense, 0) / 8;
const stage = (name: string, size: number, paperRatio: number, accuracy: number) => ({
  stage: name,
  KB: Number((size / KB).toFixed(1)),
  ratio: Number((denseBytes / size).toFixed(1)),
  'paper ratio': paperRatio,
  'error %': error(accuracy),
});
const sum = (key: 'pruned' | 'quantized' | 'huffman'): number => costs.reduce((n, c) => n + c[key], 0) / 8;
console.log();
console.table([
  stage('dense float32', denseBytes, 1, dense),
  stage('pruned', sum('pruned'), paper.paper.ratioPruned, pruned),
  stage('+ quantization', sum('quantized'), paper.paper.ratioBeforeHuffman, sharedAccuracy),
  stage('+ Huffman', sum('huffman'), paper.paper.ratio, sharedAccuracy),
  stage('the file on disk', fileBytes, paper.paper.ratio, decodedAccuracy),
]);
console.table(
  costs.map((c) => ({
    layer: c.name,
    weights: c.weights,
    'kept %': Number(((100 * c.kept) / c.weights).toFixed(1)),
    'weight bits': c.bits,
    'index bits': c.indexBits,
    'value bits/w': Number(c.valueBitsPerWeight.toFixed(2)),
    'index bits/w': Number(c.indexBitsPerWeight.toFixed(2)),
    KB: Number((c.huffman / 8 / KB).toFixed(2)),
  })),
);
console.log(
  `LeNet-300-100: ${(denseBytes / KB).toFixed(0)} KB → ${(fileBytes / KB).toFixed(1)} KB on disk, ` +
    `${(denseBytes / fileBytes).toFixed(1)}× ` +
    `(paper ${paper.paper.ratio}×); error ${error(dense)} dense → ${error(decodedAccuracy)} from the file; ` +
    `k-means alone ${error(clustered)}; ${dead.dead} dead and ${dead.unread} unread units folded away; ` +
    `${(100 * (1 - pruner.stats().at(-1)!.sparsity)).toFixed(1)}% of the weights kept.`,
);
