import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DeadUnits, removeDeadUnits } from '../compress/dead-units.js';
import { encodeDeepCompressed, type LayerCost } from '../compress/deep-compression-file.js';
import { DEEP_COMPRESSION_MODELS, type DeepCompressionModel } from '../compress/deep-compression-models.js';
import { pruneWithRetraining } from '../compress/prune-schedule.js';
import { SharedWeights, SharedWeightsAdam } from '../compress/weight-sharing.js';
import type { MnistData } from '../data/mnist.js';
import { batchesOf } from '../data/tensor-set.js';
import { roundToFloat16 } from '../io/float16.js';
import { type Linear, weightedLayers } from '../nn/layers.js';
import type { Module } from '../nn/module.js';
import { runPlanned } from '../nn/plan.js';
import { writeFileAtomic } from '../node/atomic.js';
import { loadDeepCompressed } from '../node/files.js';
import { noGrad } from '../tensor/autograd.js';
import { Rng } from '../tensor/random.js';
import { type EpochRow, trainClassifier } from '../train/classifier.js';
import { evaluate } from '../train/evaluate.js';
import { percent, SectionClock, type SectionSeconds, writeJson } from './config.js';
import type { SectionConfig } from './section.js';

/** The gap widths `--index-bits` takes. */
export const INDEX_BITS = ['auto', '1', '2', '3', '4', '5', '6', '7', '8'] as const;
export type IndexBits = (typeof INDEX_BITS)[number];

/** Settings of the Deep Compression experiment. */
export interface DeepCompressOptions {
  model: DeepCompressionModel;
  /** Fraction of weights each layer keeps, in layer order (default: the paper's). */
  keep?: number[];
  /** Bits per weight (cluster index) of each layer, in layer order (default: the paper's). */
  bits?: number[];
  /** Bits per relative position: `auto` (default) picks each layer's smallest-coding width; the paper uses 5. */
  indexBits: IndexBits;
  /** Epochs of pruning with retraining: the sparsity rises over the first half, the rest retrains at the final masks. */
  pruneEpochs: number;
  /** Epochs of centroid fine-tuning after k-means. */
  clusterEpochs: number;
}

/** Accuracy after each stage, in [0, 1]. */
export interface StageAccuracy {
  dense: number;
  pruned: number;
  /** Right after k-means, before the centroids are fine-tuned. */
  clustered: number;
  /** After centroid fine-tuning: the model the file encodes. */
  shared: number;
  /** The model decoded from the file. */
  decoded: number;
}

/** What the experiment returns. */
export interface DeepCompressResult {
  model: DeepCompressionModel;
  indexBits: IndexBits;
  training: EpochRow[];
  /** Epochs of each training phase. */
  trainingEpochs: { dense: number; pruning: number; centroids: number };
  accuracy: StageAccuracy;
  layers: LayerCost[];
  /** Units that pruning left dead or unread, folded away exactly before clustering. */
  deadUnits: DeadUnits;
  /** Bytes of the file on disk (what the ratio is taken on). */
  fileBytes: number;
  /** The decoded model's logits equal the shared-weight model's on the test images, bit for bit. */
  decodedMatches: boolean;
  /** The file, when written to the run folder. */
  file?: string;
  seconds: SectionSeconds;
}

/**
 * Deep Compression (Han, Mao & Dally, ICLR 2016) end to end on one model: train it dense;
 * prune each layer to its target with retraining, the sparsity rising on a polynomial
 * schedule and the masks held through training; cluster each layer's surviving weights
 * by k-means and fine-tune the centroids; Huffman-code cluster indices and relative
 * positions into one file; decode that file into a fresh model and evaluate it.
 */
export async function runDeepCompress(config: SectionConfig<DeepCompressOptions>, data: MnistData): Promise<DeepCompressResult> {
  const clock = new SectionClock();
  const spec = DEEP_COMPRESSION_MODELS[config.model];
  const net = spec.create(new Rng(config.seed));
  const names = weightedLayers(net).map(([n]) => n);
  const keep = perLayer(config.keep ?? spec.keep, names, 'keep');
  const bits = perLayer(config.bits ?? spec.bits, names, 'bits');
  const log = config.log;
  const training = trainClassifier(config.model, net, data, config);
  const dense = training.at(-1)!.accuracy;

  const { epochs: pruning, pruner } = pruneWithRetraining(net, data.train, {
    ...config,
    epochs: config.pruneEpochs,
    seed: config.seed + 1,
    name: `${config.model} pruning`,
    evalSet: data.testSet,
    final: Object.fromEntries(names.map((n, i) => [n, 1 - keep[i]])),
  });
  training.push(...(pruning as EpochRow[]));
  const layerByName = new Map(weightedLayers(net));
  const deadUnits = removeDeadUnits(spec.reluPairs.map(([a, b]) => [layerByName.get(a) as Linear, layerByName.get(b) as Linear]));
  log?.(`${config.model}: ${deadUnits.dead} dead and ${deadUnits.unread} unread units removed (${deadUnits.weights} weights)`);
  const pruned = evaluate(net, data.testSet);
  log?.(`${config.model}: pruned to ${percent(1 - pruner.stats().at(-1)!.sparsity)} of the weights kept, accuracy ${percent(pruned)}`);

  const shared = new SharedWeights(net, (name) => bits[names.indexOf(name)]);
  const clustered = evaluate(net, data.testSet);
  const others = net.parameters().filter((p) => !shared.layers.some((l) => l.weight === p));
  const optimizer = new SharedWeightsAdam(shared, others, { lr: config.lr });
  training.push(
    ...trainClassifier(
      `${config.model} centroids`,
      net,
      data,
      { ...config, epochs: config.clusterEpochs },
      { seed: config.seed + 2, optimizer },
    ),
  );
  // The file stores centroids and biases in float16: the model evaluated is the rounded one.
  shared.roundCentroids(roundToFloat16);
  for (const p of others) p.data.set(p.data.map(roundToFloat16));
  const sharedAccuracy = evaluate(net, data.testSet);
  clock.mark('extras');

  const { bytes, costs } = encodeDeepCompressed(
    config.model,
    shared.fileLayers(config.indexBits === 'auto' ? 'auto' : Number(config.indexBits)),
  );
  const { file, fileBytes, decoded } = await writeAndLoad(bytes, config.out, `${config.model}.deep-compressed.safetensors`);
  const decodedMatches = batchesOf(data.testSet.x, 1000).every((x) =>
    noGrad(() => {
      const a = runPlanned(net, x).data;
      const b = runPlanned(decoded, x).data;
      return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
    }),
  );
  const accuracy: StageAccuracy = { dense, pruned, clustered, shared: sharedAccuracy, decoded: evaluate(decoded, data.testSet) };
  log?.(
    `${config.model}: ${fileBytes} bytes on disk (${(costs.reduce((a, c) => a + c.dense, 0) / 8 / fileBytes).toFixed(1)}× smaller), ` +
      `accuracy ${percent(accuracy.decoded)}`,
  );
  clock.mark('extras');
  const result: DeepCompressResult = {
    model: config.model,
    indexBits: config.indexBits,
    training,
    trainingEpochs: { dense: config.epochs, pruning: config.pruneEpochs, centroids: config.clusterEpochs },
    accuracy,
    layers: costs,
    deadUnits,
    fileBytes,
    decodedMatches,
    ...(config.out ? { file } : {}),
    seconds: clock.seconds,
  };
  await writeJson(config.out, 'deep-compress.json', result);
  return result;
}

/** Writes the file to the run folder (or a temporary one, removed after) and loads it back. */
async function writeAndLoad(
  bytes: Uint8Array,
  out: string | undefined,
  name: string,
): Promise<{ file: string; fileBytes: number; decoded: Module }> {
  const dir = out ?? (await fs.mkdtemp(join(tmpdir(), 'slimtensor-deepc-')));
  const file = join(dir, name);
  try {
    await writeFileAtomic(file, bytes);
    return { file, fileBytes: (await fs.stat(file)).size, decoded: await loadDeepCompressed(file) };
  } finally {
    if (!out) await fs.rm(dir, { recursive: true, force: true });
  }
}

/** A per-layer setting checked against the model's layers. */
function perLayer(values: readonly number[], names: string[], what: string): number[] {
  if (values.length !== names.length)
    throw new Error(`deep-compress: --${what} needs one value per layer (${names.join(', ')}), got ${values.length}`);
  return [...values];
}
