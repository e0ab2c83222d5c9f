import { join } from 'node:path';
import { saveModel } from '../nn/checkpoint.js';
import { MLP, TeacherNet } from '../nn/models.js';
import type { Module } from '../nn/module.js';
import { Rng } from '../tensor/random.js';
import { loadExperimentData, SIMPLE_NET_SIZES, trainClassifier, type EpochRow, type ExperimentConfig, type ExperimentData } from './common.js';

/** The notebook's models that `slimtensor train` trains. */
export const BASELINE_MODELS = {
  /** SimpleNet of sections 2–5: 784-512-256-128-10. */
  mlp: (rng: Rng): Module => new MLP(SIMPLE_NET_SIZES, rng),
  /** The distillation teacher of section 1. */
  cnn: (rng: Rng): Module => new TeacherNet(rng),
} as const;

export type BaselineModel = keyof typeof BASELINE_MODELS;

/** Settings of a baseline training run: which models, and the shared settings. */
export interface BaselineConfig extends ExperimentConfig {
  models: BaselineModel[];
  /** Called after every epoch, e.g. to print a row as soon as it exists. */
  onEpoch?: (row: BaselineRow) => void;
}

/** One epoch of one model, as the notebook prints it plus its size and throughput. */
export interface BaselineRow extends EpochRow {
  params: number;
}

/**
 * Trains each requested model with Adam and cross-entropy, evaluating after every epoch,
 * as the notebook's training loops do; every random choice comes from `seed`.
 */
export async function runBaseline(config: BaselineConfig, data?: ExperimentData): Promise<BaselineRow[]> {
  const d = data ?? (await loadExperimentData(config));
  const rows: BaselineRow[] = [];
  for (const name of config.models) {
    const model = BASELINE_MODELS[name](new Rng(config.seed));
    const params = model.numParameters();
    for (const row of trainClassifier(name, model, d, { ...config, log: undefined })) {
      rows.push({ ...row, params });
      config.onEpoch?.({ ...row, params });
    }
    if (config.out) await saveModel(model, join(config.out, `${name}.safetensors`), { model: name, seed: String(config.seed) });
  }
  return rows;
}
