import { join } from 'node:path';
import { breakEvenRank, energyKept, FactorizedLinear, matrixChainOrder, rankForEnergy } from '../compress/low-rank.js';
import { forwardMedians, SET_TIMING, TIMING_BATCH } from '../compress/measure.js';
import { svd } from '../compress/svd.js';
import type { MnistData } from '../data/mnist.js';
import type { Linear } from '../nn/layers.js';
import type { MLP } from '../nn/models.js';
import type { Module } from '../nn/module.js';
import { saveModel } from '../node/files.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { type EpochRow, trainClassifier } from '../train/classifier.js';
import { evaluate } from '../train/evaluate.js';
import { percent, SectionClock, type SectionSeconds, writeJson } from './config.js';
import type { SectionConfig, SectionContext } from './section.js';
import { trainedSimpleNet } from './simple-net.js';

/** Settings of section 4. */
export interface LowRankOptions {
  /** Ranks of the sweep on fc3 (the notebook: 128, 100, 90, …, 1). */
  ranks: number[];
  /** Energy targets for factorizing every hidden layer (e.g. 0.9, 0.95, 0.99). */
  energies: number[];
  /** Epochs of fine-tuning each energy-factorized net (0: none). */
  fineTuneEpochs: number;
  /** The large batch of the layer timing (10000, the test set). */
  largeBatch: number;
}

/** The notebook's ranks. */
export const NOTEBOOK_RANKS = [128, 100, 90, 80, 60, 50, 40, 30, 20, 10, 5, 2, 1];

/** The batch size in the notebook's operation count. */
const NOTEBOOK_CHAIN_BATCH = 32;

/** One rank of the fc3 sweep. */
export interface RankRow {
  rank: number;
  accuracy: number;
  /** fc3's weights, dense: 128·256. */
  originalParams: number;
  /** Stored weights of the factorized fc3: r·(128 + 256). */
  newParams: number;
  /** The notebook's figure: 128r + r² + 256r (the diagonal counted as r²). */
  notebookParams: number;
  /** The notebook's "operations": chain X·V·S·Uᵀ at batch 32 (dense X·Wᵀ at full rank). */
  notebookOperations: number;
  /** Multiplications of what we run at batch 32: X·V then ·(UΣ)ᵀ, by the DP chain order. */
  operations: number;
  /** Fraction of Σσ² kept. */
  energy: number;
  /** Seconds of fc3 alone (median), dense vs factorized, at batch 64 and 10000 (`largeBatch`). */
  layerDense64: number;
  layerFactorized64: number;
  layerDense10k: number;
  layerFactorized10k: number;
  /** Seconds of one forward pass of the whole net with this fc3, at batch 1 and 64 (medians). */
  netLatency1: number;
  netLatency64: number;
  /** The dense net's, timed beside it in the same calls. */
  denseLatency1: number;
  denseLatency64: number;
  /** denseLatency ÷ netLatency, at batch 1 and 64. */
  speedup1: number;
  speedup64: number;
}

/** One energy target applied to every hidden layer. */
export interface EnergyRow {
  energy: number;
  /** Rank per hidden layer (null where the rank is above break-even and the layer stays dense). */
  ranks: (number | null)[];
  params: number;
  /** Floating-point operations per image (2 per multiply-add). */
  flops: number;
  accuracy: number;
  fineTuned?: number;
  /** Seconds of a pass over the whole test set in batches of 64, and the dense net's beside it. */
  netLatency: number;
  denseLatencySet: number;
  /** Seconds of one forward pass at batch 1 and 64, the dense net's beside them, and dense ÷ these. */
  netLatency1: number;
  netLatency64: number;
  denseLatency1: number;
  denseLatency64: number;
  speedup1: number;
  speedup64: number;
}

/** What section 4 returns. */
export interface LowRankResult {
  training: EpochRow[];
  baseAccuracy: number;
  /** fc3's singular values, descending. */
  spectrum: number[];
  breakEven: number;
  sweep: RankRow[];
  original: { params: number; flops: number; netLatency: number; netLatency1: number; netLatency64: number };
  energy: EnergyRow[];
  seconds: SectionSeconds;
}

function flopsPerImage(net: MLP): number {
  return net.layers.reduce(
    (f, l) => f + 2 * (l instanceof FactorizedLinear ? l.macsPerRow : (l as Linear).inFeatures * (l as Linear).outFeatures),
    0,
  );
}

/** The whole test set through `trial` and through the dense `net`, side by side. */
function setRow(net: MLP, trial: MLP, x: Tensor): Pick<EnergyRow, 'netLatency' | 'denseLatencySet'> {
  const [denseLatencySet, netLatency] = forwardMedians([net, trial], x, { batchSize: TIMING_BATCH, wholeSet: true }, SET_TIMING);
  return { netLatency, denseLatencySet };
}

/**
 * fc3 dense and factorized, side by side (alternating rounds after a warm-up): one fc3 call at batch 64 takes well under 0.1 ms, where a
 * single drift would decide.
 */
function layerTimes(
  dense: Module,
  factorized: Module,
  x64: Tensor,
  x10k: Tensor,
): Pick<RankRow, 'layerDense64' | 'layerFactorized64' | 'layerDense10k' | 'layerFactorized10k'> {
  const [layerDense64, layerFactorized64] = forwardMedians([dense, factorized], x64, { batchSize: 64 });
  const [layerDense10k, layerFactorized10k] = forwardMedians([dense, factorized], x10k, { batchSize: x10k.shape[0] }, SET_TIMING);
  return { layerDense64, layerFactorized64, layerDense10k, layerFactorized10k };
}

/**
 * Section 4: train SimpleNet, decompose fc3 (256 → 128) once with our SVD, and for each
 * rank swap in a real FactorizedLinear (two GEMMs, never the rebuilt dense matrix),
 * measuring accuracy, honest parameters and operations beside the notebook's, and the
 * latency of the layer and the net. Then factorize every hidden layer to an energy target.
 */
export async function runLowRank(
  config: SectionConfig<LowRankOptions>,
  data: MnistData,
  context: SectionContext = {},
): Promise<LowRankResult> {
  const clock = new SectionClock();
  const { net, epochs: training, accuracy: baseAccuracy } = await trainedSimpleNet(config, data, context.net);
  const fc3 = net.layers[2] as Linear;
  const d = svd(fc3.weight.data, fc3.outFeatures, fc3.inFeatures);
  const rng = new Rng(config.seed + 3000);
  const x64 = Tensor.uniform([64, fc3.inFeatures], 0, 1, rng);
  const x10k = Tensor.uniform([config.largeBatch, fc3.inFeatures], 0, 1, rng);
  const x = data.testSet.x;
  const [netLatency] = forwardMedians([net], x, { batchSize: TIMING_BATCH, wholeSet: true }, SET_TIMING);
  const [netLatency1] = forwardMedians([net], x, { batchSize: 1 });
  const [netLatency64] = forwardMedians([net], x, { batchSize: TIMING_BATCH });
  const original = { params: net.numParameters(), flops: flopsPerImage(net), netLatency, netLatency1, netLatency64 };
  const speedRow = (
    trial: MLP,
  ): Pick<RankRow, 'netLatency1' | 'netLatency64' | 'denseLatency1' | 'denseLatency64' | 'speedup1' | 'speedup64'> => {
    const [denseLatency1, trial1] = forwardMedians([net, trial], x, { batchSize: 1 });
    const [denseLatency64, trial64] = forwardMedians([net, trial], x, { batchSize: TIMING_BATCH });
    return {
      netLatency1: trial1,
      netLatency64: trial64,
      denseLatency1,
      denseLatency64,
      speedup1: denseLatency1 / trial1,
      speedup64: denseLatency64 / trial64,
    };
  };

  const sweep: RankRow[] = [];
  for (const rank of config.ranks) {
    const factorized = FactorizedLinear.fromLinear(fc3, { rank }, d);
    const trial = net.clone();
    trial.setLayer(2, factorized);
    const [m, n] = [fc3.outFeatures, fc3.inFeatures];
    const row: RankRow = {
      rank,
      accuracy: evaluate(trial, data.testSet),
      originalParams: m * n,
      newParams: rank * (m + n),
      notebookParams: m * rank + rank * rank + rank * n,
      notebookOperations: rank === m ? NOTEBOOK_CHAIN_BATCH * n * m : matrixChainOrder([NOTEBOOK_CHAIN_BATCH, n, rank, rank, m]).cost,
      operations: matrixChainOrder([NOTEBOOK_CHAIN_BATCH, n, rank, m]).cost,
      energy: energyKept(d.S, rank),
      ...layerTimes(fc3, factorized, x64, x10k),
      ...speedRow(trial),
    };
    sweep.push(row);
    config.log?.(`rank ${rank}: accuracy ${percent(row.accuracy)}, ${row.newParams} weights (notebook counts ${row.notebookParams})`);
  }

  clock.mark('notebook');
  const energy: EnergyRow[] = [];
  const hidden = net.layers.slice(0, -1) as Linear[];
  const decompositions = config.energies.length > 0 ? hidden.map((l) => svd(l.weight.data, l.outFeatures, l.inFeatures)) : [];
  for (const target of config.energies) {
    const trial = net.clone();
    const ranks = hidden.map((layer, i) => {
      const r = rankForEnergy(decompositions[i].S, target);
      if (r >= breakEvenRank(layer.outFeatures, layer.inFeatures)) return null;
      trial.setLayer(i, FactorizedLinear.fromLinear(layer, { rank: r }, decompositions[i]));
      return r;
    });
    const row: EnergyRow = {
      energy: target,
      ranks,
      params: trial.numParameters(),
      flops: flopsPerImage(trial),
      accuracy: evaluate(trial, data.testSet),
      ...setRow(net, trial, x),
      ...speedRow(trial),
    };
    if (config.fineTuneEpochs > 0) {
      row.fineTuned = trainClassifier(
        `fine-tune ${target * 100}%`,
        trial,
        data,
        { ...config, epochs: config.fineTuneEpochs },
        { seed: config.seed + 3000 },
      ).at(-1)!.accuracy;
    }
    if (config.out) await saveModel(trial, join(config.out, `low-rank-energy-${target}.safetensors`), { ranks: ranks.join(',') });
    energy.push(row);
    config.log?.(`energy ${target}: ranks [${ranks.map((r) => r ?? 'dense').join(', ')}], accuracy ${percent(row.accuracy)}`);
  }
  clock.mark('extras');
  const result = {
    training,
    baseAccuracy,
    spectrum: [...d.S],
    breakEven: breakEvenRank(fc3.outFeatures, fc3.inFeatures),
    sweep,
    original,
    energy,
    seconds: clock.seconds,
  };
  await writeJson(config.out, 'low-rank.json', result);
  return result;
}
