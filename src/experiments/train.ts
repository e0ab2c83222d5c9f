import { join } from 'node:path';
import { SimpleNet, TeacherNet } from '../nn/models.js';
import type { Module } from '../nn/module.js';
import { saveModel } from '../node/files.js';
import { loadMnistData, type MnistData } from '../node/mnist.js';
import { Rng } from '../tensor/random.js';
import { type EpochRow, trainClassifier } from '../train/classifier.js';
import type { ExperimentConfig } from './config.js';

/** The notebook's models that `slimtensor train` trains. */
export const TRAIN_MODELS = {
  /** SimpleNet of sections 2–5: 784-512-256-128-10. */
  mlp: (rng: Rng): Module => new SimpleNet(rng),
  /** The distillation teacher of section 1. */
  cnn: (rng: Rng): Module => new TeacherNet(rng),
} as const;

export type TrainModel = keyof typeof TRAIN_MODELS;

/** Settings of a baseline training run: which models, and the shared settings. */
export interface TrainConfig extends ExperimentConfig {
  models: TrainModel[];
  /** Called after every epoch, e.g. to print a row as soon as it exists. */
  onEpoch?: (row: TrainRow) => void;
}

/** One epoch of one model, as the notebook prints it plus its size and throughput. */
export interface TrainRow extends EpochRow {
  params: number;
}

/**
 * Trains each requested model with Adam and cross-entropy, evaluating after every epoch,
 * as the notebook's training loops do; every random choice comes from `seed`.
 */
export async function runTrain(config: TrainConfig, data?: MnistData): Promise<TrainRow[]> {
  const d = data ?? (await loadMnistData(config));
  const rows: TrainRow[] = [];
  for (const name of config.models) {
    const model = TRAIN_MODELS[name](new Rng(config.seed));
    const params = model.numParameters();
    for (const row of trainClassifier(name, model, d, { ...config, log: undefined })) {
      rows.push({ ...row, params });
      config.onEpoch?.({ ...row, params });
    }
    if (config.out) await saveModel(model, join(config.out, `${name}.safetensors`), { model: name, seed: String(config.seed) });
  }
  return rows;
}
