import { join } from 'node:path';
import type { MnistData } from '../data/mnist.js';
import { SimpleNet } from '../nn/models.js';
import { loadWeights, saveModel } from '../node/files.js';
import { Rng } from '../tensor/random.js';
import { type EpochRow, trainClassifier } from '../train/classifier.js';
import { evaluate } from '../train/evaluate.js';
import { type ExperimentConfig, percent } from './config.js';

/** A trained SimpleNet and how it got there. */
export interface TrainedNet {
  net: SimpleNet;
  /** Its training log (empty when it was loaded or shared). */
  epochs: EpochRow[];
  /** Test accuracy, in [0, 1]. */
  accuracy: number;
  /** The file it came from, when loaded. */
  loadedFrom?: string;
}

/**
 * The SimpleNet a compression section starts from: `shared` when given (the sections of
 * one run share it; it must not be changed), loaded from `modelPath` when given (a user's
 * own run), else trained for `config.epochs` and saved as `<out>/simple-net.safetensors`.
 */
export async function trainedSimpleNet(
  config: ExperimentConfig & { modelPath?: string },
  data: MnistData,
  shared?: TrainedNet,
): Promise<TrainedNet> {
  if (shared) return { ...shared, epochs: [] };
  const net = new SimpleNet(new Rng(config.seed));
  if (config.modelPath) {
    await loadWeights(net, config.modelPath);
    const accuracy = evaluate(net, data.testSet);
    config.log?.(`simple-net: loaded ${config.modelPath}, accuracy ${percent(accuracy)}`);
    return { net, epochs: [], accuracy, loadedFrom: config.modelPath };
  }
  const epochs = trainClassifier('simple-net', net, data, config);
  if (config.out) await saveModel(net, join(config.out, 'simple-net.safetensors'), { model: 'simple-net', seed: String(config.seed) });
  return { net, epochs, accuracy: epochs.at(-1)!.accuracy };
}
