import { join } from 'node:path';
import { CsrMatrix, toSparse } from '../compress/csr.js';
import { forwardLatency, speedUpOver } from '../compress/metrics.js';
import { accuracyOn } from '../train/evaluate.js';
import { MagnitudePruner, type PruneScope } from '../compress/prune.js';
import { saveModel } from '../nn/checkpoint.js';
import type { MLP } from '../nn/models.js';
import {
  copySimpleNet, percent, SectionClock, trainClassifier, trainedSimpleNet, writeJson, type EpochRow, type ExperimentConfig, type ExperimentData,
  type SectionSeconds, type TrainedNet,
} from './common.js';

/** Settings of section 2. */
export interface ZeroPruningConfig extends ExperimentConfig {
  /** λ values, applied cumulatively to one network (the notebook: 0, 0.01, …, 0.1). */
  thresholds: number[];
  /** Target sparsities of the prune → fine-tune rounds (empty: no fine-tuning run). */
  fineTuneSchedule: number[];
  /** Epochs of fine-tuning after each round (default 1). */
  fineTuneEpochs: number;
  /** Learning rate while fine-tuning (default half the training rate). */
  fineTuneLr?: number;
  /** How the rounds rank weights (default global). */
  scope: PruneScope;
  /** Start from this trained SimpleNet instead of training one. */
  modelPath?: string;
  /** Start from this SimpleNet (shared by the sections of one run). */
  net?: TrainedNet;
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
  /** The same for the dense model (weights with zeros in them). */
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
  /** The dense unpruned network's time ÷ the CSR one's, at batch 1 and 64, timed side by side (`speedUpOver`). */
  speedup1: number;
  speedup64: number;
}

/** What section 2 returns. */
export interface ZeroPruningResult {
  training: EpochRow[];
  baseAccuracy: number;
  sweep: ThresholdRow[];
  fineTune: FineTuneRow[];
  /** The sparsest fine-tuned round within 0.5 point of the unpruned accuracy (null if none). */
  bestWithinHalfPoint: FineTuneRow | null;
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
export async function runZeroPruning(config: ZeroPruningConfig, data: ExperimentData): Promise<ZeroPruningResult> {
  const clock = new SectionClock();
  const { net, epochs: training, accuracy: baseAccuracy } = await trainedSimpleNet('simple-net', config, data);
  const x = data.testSet.x;
  const denseLatency1 = forwardLatency(net, x, 1);
  const denseLatency64 = forwardLatency(net, x, 64);

  const swept = copySimpleNet(net);
  const pruner = new MagnitudePruner(swept);
  const sweep: ThresholdRow[] = [];
  for (const threshold of config.thresholds) {
    pruner.pruneByThreshold(threshold);
    const total = pruner.stats().at(-1)!;
    const sizes = csrSizes(swept);
    const sparse = toSparse(copySimpleNet(swept));
    const row: ThresholdRow = {
      threshold, accuracy: accuracyOn(swept, data.testSet), weights: total.weights, zeros: total.zeros, zeroPercent: total.sparsity * 100,
      ...sizes, compression: sizes.denseBytes / sizes.csrBytesNarrow,
      sparseLatency1: forwardLatency(sparse, x, 1), sparseLatency64: forwardLatency(sparse, x, 64), denseLatency1, denseLatency64,
    };
    sweep.push(row);
    config.log?.(`λ=${threshold}: accuracy ${percent(row.accuracy)}, ${row.zeroPercent.toFixed(1)}% zeros`);
  }

  clock.mark('notebook');
  const fineTune: FineTuneRow[] = [];
  let best: { row: FineTuneRow; net: MLP } | null = null;
  const tuned = copySimpleNet(net);
  const rounds = new MagnitudePruner(tuned);
  for (const [i, target] of config.fineTuneSchedule.entries()) {
    rounds.pruneToSparsity(target, { scope: config.scope });
    const accuracyPruned = accuracyOn(tuned, data.testSet);
    const log = trainClassifier(`fine-tune ${(target * 100).toFixed(0)}%`, tuned, data, { ...config, epochs: config.fineTuneEpochs },
      { afterStep: () => rounds.apply(), lr: config.fineTuneLr ?? config.lr / 2, seed: config.seed + 1000 + i });
    const sparsity = rounds.stats().at(-1)!.sparsity;
    const speed = speedUpOver(net, toSparse(copySimpleNet(tuned)), x);
    const row: FineTuneRow = {
      round: i + 1, targetSparsity: target, sparsity, accuracyPruned, accuracy: log.at(-1)!.accuracy, reduction: 1 / (1 - sparsity),
      csrBytes: csrSizes(tuned).csrBytesNarrow, sparseLatency1: speed.latency1, sparseLatency64: speed.latency64,
      speedup1: speed.speedup1, speedup64: speed.speedup64,
    };
    fineTune.push(row);
    if (row.accuracy >= baseAccuracy - 0.005 && (!best || row.sparsity > best.row.sparsity)) best = { row, net: copySimpleNet(tuned) };
  }
  const bestWithinHalfPoint = best?.row ?? null;

  clock.mark('extras');
  const result = { training, baseAccuracy, sweep, fineTune, bestWithinHalfPoint, seconds: clock.seconds };
  if (config.out) {
    await writeJson(config.out, 'zero-pruning.json', result);
    if (best) {
      // The sparsest network within half a point, stored as CSR (reload with loadCompressedModel).
      await saveModel(toSparse(best.net), join(config.out, 'pruned-sparse.safetensors'),
        { model: 'simple-net', method: 'magnitude pruning + fine-tuning', sparsity: best.row.sparsity.toFixed(4) });
    }
  }
  return result;
}
