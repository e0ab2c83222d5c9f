import { cpus, totalmem } from 'node:os';
import { loadMnistData } from '../node/mnist.js';
import { backendInfo } from '../tensor/kernels/index.js';
import type { ExperimentConfig, SectionSeconds } from './config.js';
import type { SectionConfig, SectionContext } from './section.js';
import { SECTIONS, type SectionName, type SectionResults } from './sections.js';
import { trainedSimpleNet } from './simple-net.js';

/** Settings of a whole run. */
export interface AllConfig extends ExperimentConfig {
  sections: SectionName[];
  /** A first look: a slice of the data, 1 epoch, each section's shortcuts. */
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
  sections: Partial<SectionResults>;
  /** Wall time of each part: the notebook's own work and the extra experiments. */
  seconds: Partial<Record<SectionName | 'data' | 'simple-net', SectionSeconds>>;
  totalSeconds: number;
}

/**
 * The time of the notebook's same work, for a fair comparison with the notebook (or
 * PyTorch running it): the sections' own work, plus the SimpleNet trainings the notebook
 * does and slimtensor shares (one per section that trains its own, less the one done).
 * Null when the run holds no more than one such section.
 */
export function equivalentWork(seconds: Partial<Record<string, SectionSeconds>>): { seconds: number; trainings: number } | null {
  const trainings = SECTIONS.filter((s) => s.notebookTrainsSimpleNet && seconds[s.name] !== undefined).length;
  const simpleNet = seconds['simple-net']?.notebook;
  if (trainings < 2 || simpleNet === undefined) return null;
  const own = Object.values(seconds).reduce((a, v) => a + (v?.notebook ?? 0), 0);
  return { seconds: own + (trainings - 1) * simpleNet, trainings };
}

/** Machine and runtime facts recorded with a run. */
export function machine(): Record<string, string | number> {
  const b = backendInfo();
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    v8: process.versions.v8,
    backend: b.name,
    threads: b.threads,
    simd: b.simd,
    platform: `${process.platform} ${process.arch}`,
  };
}

/**
 * Every selected section in the notebook's order, on one copy of MNIST, each at its
 * defaults (and its quick shortcuts with `quick`). Distillation's teacher goes on to
 * quantization, and sections 2–5 share one trained SimpleNet (the notebook retrains an
 * identical one in each; with one seed that is the same network).
 */
export async function runAll(config: AllConfig): Promise<AllResult> {
  const start = performance.now();
  const seconds: AllResult['seconds'] = {};
  const timed = async <T>(key: keyof AllResult['seconds'], fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await fn();
    seconds[key] = (out as { seconds?: SectionSeconds }).seconds ?? { notebook: (performance.now() - t0) / 1000, extras: 0 };
    return out;
  };
  const data = await timed('data', () => loadMnistData(config));
  const results: Partial<SectionResults> = {};
  const context: SectionContext = { teacher: null };
  for (const section of SECTIONS) {
    if (!config.sections.includes(section.name)) continue;
    if (section.usesSimpleNet && !context.net) {
      config.log?.('\n== SimpleNet 784-512-256-128-10, shared by sections 2–5 ==');
      context.net = await timed('simple-net', () => trainedSimpleNet(config, data));
    }
    config.log?.(`\n== section ${section.title} ==`);
    const sectionConfig = { ...config, ...section.defaults, ...(config.quick ? section.quick : {}) } as SectionConfig<object>;
    const run = section.run as (c: SectionConfig<object>, d: typeof data, x: SectionContext) => Promise<unknown>;
    (results as Record<string, unknown>)[section.name] = await timed(section.name, () => run(sectionConfig, data, context));
  }
  return {
    machine: machine(),
    seed: config.seed,
    quick: config.quick,
    epochs: config.epochs,
    trainImages: data.train.count,
    testImages: data.test.count,
    simpleNetSeconds: seconds['simple-net']?.notebook ?? 0,
    sections: results,
    seconds,
    totalSeconds: (performance.now() - start) / 1000,
  };
}
