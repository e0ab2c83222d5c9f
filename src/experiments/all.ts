import { cpus, totalmem } from 'node:os';
import { backendInfo } from '../tensor/kernels/index.js';
import type { TeacherNet } from '../nn/models.js';
import { runActivationPruning, NOTEBOOK_ACTIVATION_THRESHOLDS, type ActivationPruningResult } from './activation-pruning.js';
import { loadExperimentData, trainedSimpleNet, type ExperimentConfig, type SectionSeconds } from './common.js';
import { runDistillation, type DistillationResult } from './distillation.js';
import { NOTEBOOK_RANKS, runLowRank, type LowRankResult } from './low-rank.js';
import { runQuantization, type QuantizationResult } from './quantization.js';
import { NOTEBOOK_THRESHOLDS, runZeroPruning, type ZeroPruningResult } from './zero-pruning.js';

/** The notebook's sections, in its order. */
export const SECTIONS = ['distill', 'prune', 'activation-prune', 'low-rank', 'quantize'] as const;
export type SectionName = (typeof SECTIONS)[number];

/** Settings of a whole run. */
export interface AllConfig extends ExperimentConfig {
  sections: SectionName[];
  /** A first look: a slice of the data, 1 epoch, shorter extra experiments. */
  quick: boolean;
}

/** What the run did: every section's result and the time it took. */
export interface AllResult {
  machine: Record<string, string | number>;
  seed: number;
  quick: boolean;
  epochs: number;
  trainImages: number;
  testImages: number;
  /** Training the SimpleNet that sections 2–5 share. */
  simpleNetSeconds: number;
  sections: Partial<{
    distill: DistillationResult;
    prune: ZeroPruningResult;
    'activation-prune': ActivationPruningResult;
    'low-rank': LowRankResult;
    quantize: QuantizationResult;
  }>;
  /** Wall time of each section: the notebook's own work and the extra experiments. */
  seconds: Partial<Record<SectionName | 'data' | 'simple-net', SectionSeconds>>;
  totalSeconds: number;
}

/** Machine and runtime facts recorded with a run. */
export function machine(): Record<string, string | number> {
  return {
    cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version, v8: process.versions.v8, backend: backendInfo().name, threads: backendInfo().threads, simd: backendInfo().simd, platform: `${process.platform} ${process.arch}`,
  };
}

/** The settings of the quick look: 3,000 training and 1,000 test images, 1 epoch. */
export const QUICK = { trainLimit: 3000, testLimit: 1000, epochs: 1 };

/**
 * Every section of the notebook in its order, on one copy of MNIST: distillation trains
 * the teacher (which quantization reuses), and sections 2–5 share one trained SimpleNet
 * (the notebook retrains an identical one in each; with one seed that is the same network).
 */
export async function runAll(config: AllConfig): Promise<AllResult> {
  const start = performance.now();
  const seconds: AllResult['seconds'] = {};
  const timed = async <T>(key: keyof AllResult['seconds'], fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await fn();
    const wall = (performance.now() - t0) / 1000;
    const split = (out as { seconds?: SectionSeconds }).seconds;
    seconds[key] = split ?? { notebook: wall, extras: 0 };
    return out;
  };
  const data = await timed('data', () => loadExperimentData(config));
  const sections: AllResult['sections'] = {};
  let teacher: TeacherNet | undefined;
  const q = config.quick;

  if (config.sections.includes('distill')) {
    config.log?.('\n== section 1: knowledge distillation ==');
    sections.distill = await timed('distill', () => runDistillation({ ...config, temperature: 4, alpha: 0.5, keepTeacher: (t) => (teacher = t) }, data));
  }
  const compression = config.sections.filter((s) => s !== 'distill');
  let simpleNetSeconds = 0;
  if (compression.length > 0) {
    config.log?.('\n== SimpleNet 784-512-256-128-10, shared by sections 2–5 ==');
    const net = await timed('simple-net', () => trainedSimpleNet('simple-net', config, data));
    simpleNetSeconds = seconds['simple-net']!.notebook;
    const shared = { ...config, net };
    if (compression.includes('prune')) {
      config.log?.('\n== section 2: zero pruning ==');
      sections.prune = await timed('prune', () => runZeroPruning({
        ...shared, thresholds: NOTEBOOK_THRESHOLDS, fineTuneSchedule: q ? [0.5, 0.9] : [0.6, 0.8, 0.9, 0.95], fineTuneEpochs: 1, scope: 'global',
      }, data));
    }
    if (compression.includes('activation-prune')) {
      config.log?.('\n== section 3: activation pruning ==');
      sections['activation-prune'] = await timed('activation-prune', () => runActivationPruning({
        ...shared, thresholds: NOTEBOOK_ACTIVATION_THRESHOLDS, score: 'mean', fineTune: q ? [] : [0.4, 0.6], fineTuneEpochs: 1,
      }, data));
    }
    if (compression.includes('low-rank')) {
      config.log?.('\n== section 4: low-rank factorization ==');
      sections['low-rank'] = await timed('low-rank', () => runLowRank({
        ...shared, ranks: NOTEBOOK_RANKS, energies: q ? [0.9] : [0.8, 0.9, 0.95], fineTuneEpochs: q ? 0 : 1, largeBatch: q ? 1000 : 10000,
      }, data));
    }
    if (compression.includes('quantize')) {
      config.log?.('\n== section 5: dynamic int8 quantization ==');
      sections.quantize = await timed('quantize', () => runQuantization({ ...shared, teacher, skipTeacher: teacher === undefined }, data));
    }
  }
  return {
    machine: machine(), seed: config.seed, quick: config.quick, epochs: config.epochs, trainImages: data.train.count, testImages: data.test.count,
    simpleNetSeconds, sections, seconds, totalSeconds: (performance.now() - start) / 1000,
  };
}

