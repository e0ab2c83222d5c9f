import { join } from 'node:path';
import { CsrMatrix, toSparse } from '../compress/csr.js';
import { forwardMedians } from '../compress/measure.js';
import { Pruner, type PruneScope } from '../compress/prune.js';
import type { MnistData } from '../data/mnist.js';
import type { MLP } from '../nn/models.js';
import { saveModel } from '../node/files.js';
import type { Tensor } from '../tensor/tensor.js';
import { type EpochRow, trainClassifier } from '../train/classifier.js';
import { evaluate } from '../train/evaluate.js';
import { percent, SectionClock, type SectionSeconds, writeJson } from './config.js';
import type { SectionConfig, SectionContext } from './section.js';
import { trainedSimpleNet } from './simple-net.js';

/** Settings of section 2. */
export interface PruneOptions {
  /** λ values, applied cumulatively to one network (the notebook: 0, 0.01, …, 0.1). */
  thresholds: number[];
  /** Target sparsities of the prune → fine-tune rounds (empty: no fine-tuning run). */
  fineTuneSchedule: number[];
  /** Epochs of fine-tuning after each round. */
  fineTuneEpochs: number;
  /** Learning rate while fine-tuning (default half the training rate). */
  fineTuneLr?: number;
  /** How the rounds rank weights. */
  scope: PruneScope;
}

/** The notebook's λ sweep. */
export const NOTEBOOK_THRESHOLDS = Array.from({ length: 11 }, (_, i) => i / 100);

/** One λ of the sweep: the notebook's columns plus honest sizes and model-only latency. */
export interface ThresholdRow {
  threshold: number;
  accuracy: number;
  /** Weights of all Linear layers (biases excluded, as the notebook counts). */
  weights: number;
  zeros: number;
  zeroPercent: number;
  /** float32 weights, dense. */
  denseBytes: number;
  /** Only the CSR values: the notebook's figure. */
  csrValueBytes: number;
  /** CSR values + int32 column indices + int32 row pointers (scipy's layout). */
  csrBytes: number;
  /** The same with the narrowest column index type (16-bit here). */
  csrBytesNarrow: number;
  /** denseBytes ÷ csrBytesNarrow. */
  compression: number;
  /** Seconds of one forward pass of the sparse (CSR) model at batch 1 and 64 (medians). */
  sparseLatency1: number;
  sparseLatency64: number;
  /** The same for the dense unpruned network, timed beside it in the same calls. */
  denseLatency1: number;
  denseLatency64: number;
}

/** One prune → fine-tune round. */
export interface FineTuneRow {
  round: number;
  targetSparsity: number;
  sparsity: number;
  /** Accuracy right after pruning, before fine-tuning. */
  accuracyPruned: number;
  /** Accuracy after fine-tuning with the masks held. */
  accuracy: number;
  /** Stored weights ÷ original weights, inverted: 10 means 10× fewer. */
  reduction: number;
  /** Bytes of the Linear weights as CSR with the narrowest indices (biases not included). */
  csrBytes: number;
  /** Seconds of one forward pass of the round's network run as CSR, at batch 1 and 64 (medians). */
  sparseLatency1: number;
  sparseLatency64: number;
  /** The same for the dense unpruned network, timed beside it in the same calls. */
  denseLatency1: number;
  denseLatency64: number;
  /** denseLatency ÷ sparseLatency, at batch 1 and 64. */
  speedup1: number;
  speedup64: number;
}

/** The dense network and the sparse one timed side by side at batch 1 and 64. */
function pairedSpeed(
  dense: MLP,
  sparse: MLP,
  x: Tensor,
): Pick<FineTuneRow, 'denseLatency1' | 'denseLatency64' | 'sparseLatency1' | 'sparseLatency64'> {
  const [denseLatency1, sparseLatency1] = forwardMedians([dense, sparse], x, { batchSize: 1 });
  const [denseLatency64, sparseLatency64] = forwardMedians([dense, sparse], x, { batchSize: 64 });
  return { denseLatency1, denseLatency64, sparseLatency1, sparseLatency64 };
}

/** What section 2 returns. */
export interface PruneResult {
  training: EpochRow[];
  baseAccuracy: number;
  sweep: ThresholdRow[];
  fineTune: FineTuneRow[];
  /** The sparsest fine-tuned round within 0.5 point of the unpruned accuracy (null if none). */
  bestWithinHalfPoint: FineTuneRow | null;
  /** Bytes of the network's float32 biases, which every CSR size below leaves out and the report adds. */
  biasBytes: number;
  seconds: SectionSeconds;
}

/** CSR sizes of a model's Linear weights, summed. */
function csrSizes(net: MLP): Pick<ThresholdRow, 'denseBytes' | 'csrValueBytes' | 'csrBytes' | 'csrBytesNarrow'> {
  const sizes = { denseBytes: 0, csrValueBytes: 0, csrBytes: 0, csrBytesNarrow: 0 };
  for (const [name, p] of net.namedParameters()) {
    if (!name.endsWith('weight')) continue;
    const [rows, cols] = p.shape;
    const wide = CsrMatrix.fromDense(p.data, rows, cols, 4).bytes();
    const narrow = CsrMatrix.fromDense(p.data, rows, cols).bytes();
    sizes.denseBytes += p.data.byteLength;
    sizes.csrValueBytes += wide.values;
    sizes.csrBytes += wide.total;
    sizes.csrBytesNarrow += narrow.total;
  }
  return sizes;
}

/**
 * Section 2: train SimpleNet, then prune |w| < λ for each λ in turn on the same network
 * (cumulative, as the notebook does), measuring accuracy, honest CSR sizes, and the
 * latency of the network run as CSR against the dense one. Then, from the unpruned network,
 * prune in rounds toward high sparsity with fine-tuning between rounds (Han et al. 2015).
 */
export async function runPrune(config: SectionConfig<PruneOptions>, data: MnistData, context: SectionContext = {}): Promise<PruneResult> {
  const clock = new SectionClock();
  const { net, epochs: training, accuracy: baseAccuracy } = await trainedSimpleNet(config, data, context.net);
  const x = data.testSet.x;

  const swept = net.clone();
  const pruner = new Pruner(swept);
  const sweep: ThresholdRow[] = [];
  for (const threshold of config.thresholds) {
    pruner.pruneByThreshold(threshold);
    const total = pruner.stats().at(-1)!;
    const sizes = csrSizes(swept);
    const sparse = toSparse(swept.clone());
    const row: ThresholdRow = {
      threshold,
      accuracy: evaluate(swept, data.testSet),
      weights: total.weights,
      zeros: total.zeros,
      zeroPercent: total.sparsity * 100,
      ...sizes,
      compression: sizes.denseBytes / sizes.csrBytesNarrow,
      ...pairedSpeed(net, sparse, x),
    };
    sweep.push(row);
    config.log?.(`λ=${threshold}: accuracy ${percent(row.accuracy)}, ${row.zeroPercent.toFixed(1)}% zeros`);
  }

  clock.mark('notebook');
  const fineTune: FineTuneRow[] = [];
  let best: { row: FineTuneRow; net: MLP } | null = null;
  const tuned = net.clone();
  const rounds = new Pruner(tuned);
  for (const [i, target] of config.fineTuneSchedule.entries()) {
    rounds.pruneToSparsity(target, { scope: config.scope });
    const accuracyPruned = evaluate(tuned, data.testSet);
    const log = trainClassifier(
      `fine-tune ${(target * 100).toFixed(0)}%`,
      tuned,
      data,
      { ...config, epochs: config.fineTuneEpochs },
      { afterStep: () => rounds.apply(), lr: config.fineTuneLr ?? config.lr / 2, seed: config.seed + 1000 + i },
    );
    const sparsity = rounds.stats().at(-1)!.sparsity;
    const speed = pairedSpeed(net, toSparse(tuned.clone()), x);
    const row: FineTuneRow = {
      round: i + 1,
      targetSparsity: target,
      sparsity,
      accuracyPruned,
      accuracy: log.at(-1)!.accuracy,
      reduction: 1 / (1 - sparsity),
      csrBytes: csrSizes(tuned).csrBytesNarrow,
      ...speed,
      speedup1: speed.denseLatency1 / speed.sparseLatency1,
      speedup64: speed.denseLatency64 / speed.sparseLatency64,
    };
    fineTune.push(row);
    if (row.accuracy >= baseAccuracy - 0.005 && (!best || row.sparsity > best.row.sparsity)) best = { row, net: tuned.clone() };
  }
  const bestWithinHalfPoint = best?.row ?? null;

  clock.mark('extras');
  const biasBytes = net
    .namedParameters()
    .filter(([name]) => name.endsWith('bias'))
    .reduce((n, [, p]) => n + p.data.byteLength, 0);
  const result = { training, baseAccuracy, sweep, fineTune, bestWithinHalfPoint, biasBytes, seconds: clock.seconds };
  if (config.out) {
    await writeJson(config.out, 'prune.json', result);
    if (best) {
      // The sparsest network within half a point, stored as CSR (reload with loadCompressedModel).
      await saveModel(toSparse(best.net), join(config.out, 'pruned-sparse.safetensors'), {
        model: 'simple-net',
        method: 'magnitude pruning + fine-tuning',
        sparsity: best.row.sparsity.toFixed(4),
      });
    }
  }
  return result;
}
