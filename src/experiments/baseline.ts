import { join } from 'node:path';
import { DataLoader } from '../data/loader.js';
import { loadMnist, type MnistSplit } from '../data/mnist.js';
import { saveModel } from '../nn/checkpoint.js';
import { MLP, TeacherNet } from '../nn/models.js';
import type { Module } from '../nn/module.js';
import { Adam } from '../optim/adam.js';
import { Rng } from '../tensor/random.js';
import { evaluate, trainEpoch } from '../train/fit.js';

/** The notebook's models that the foundation trains. */
export const BASELINE_MODELS = {
  /** SimpleNet of sections 2–5: 784-512-256-128-10. */
  mlp: (rng: Rng): Module => new MLP([784, 512, 256, 128, 10], rng),
  /** The distillation teacher of section 1. */
  cnn: (rng: Rng): Module => new TeacherNet(rng),
} as const;

export type BaselineModel = keyof typeof BASELINE_MODELS;

/** Settings of a baseline training run (the notebook's by default). */
export interface BaselineConfig {
  models: BaselineModel[];
  epochs: number;
  seed: number;
  batchSize: number;
  lr: number;
  /** Train on the first N training images only. */
  trainLimit?: number;
  /** Evaluate on the first N test images only. */
  testLimit?: number;
  /** Folder to save each trained model in (as `<model>.safetensors`). */
  out?: string;
  /** Show a progress bar (on a terminal). */
  progress?: boolean;
  /** Called after every epoch, e.g. to print a row as soon as it exists. */
  onEpoch?: (row: BaselineRow) => void;
}

/** One epoch of one model, as the notebook prints it plus throughput. */
export interface BaselineRow {
  model: BaselineModel;
  epoch: number;
  /** Mean training loss over the epoch's batches. */
  loss: number;
  /** Test accuracy after the epoch, in [0, 1]. */
  accuracy: number;
  params: number;
  seconds: number;
  imagesPerSecond: number;
}

/**
 * Trains each requested model with Adam and cross-entropy, evaluating after every epoch,
 * as the notebook's training loops do; every random choice comes from `seed`.
 */
export async function runBaseline(config: BaselineConfig, data?: { train: MnistSplit; test: MnistSplit }): Promise<BaselineRow[]> {
  const train = data?.train ?? (await loadMnist('train', { limit: config.trainLimit }));
  const test = data?.test ?? (await loadMnist('test', { limit: config.testLimit }));
  const rows: BaselineRow[] = [];
  for (const name of config.models) {
    const model = BASELINE_MODELS[name](new Rng(config.seed));
    const optimizer = new Adam(model.parameters(), { lr: config.lr });
    const shuffle = new Rng(config.seed + 1);
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const loader = new DataLoader(train, { batchSize: config.batchSize, shuffle: true, seed: shuffle.nextUint32(), limit: config.trainLimit });
      const stats = trainEpoch(model, loader, optimizer, { progress: config.progress ? `${name} epoch ${epoch}` : undefined });
      const accuracy = evaluate(model, new DataLoader(test, { batchSize: 1000, limit: config.testLimit }));
      const row: BaselineRow = {
        model: name, epoch, loss: stats.loss, accuracy, params: model.numParameters(),
        seconds: stats.seconds, imagesPerSecond: stats.images / stats.seconds,
      };
      rows.push(row);
      config.onEpoch?.(row);
    }
    if (config.out) await saveModel(model, join(config.out, `${name}.safetensors`), { model: name, seed: String(config.seed) });
  }
  return rows;
}
