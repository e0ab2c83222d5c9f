import { join } from 'node:path';
import { distillationLoss, precomputeLogits, teacherRows } from '../compress/distill.js';
import { modelBytes } from '../compress/latency.js';
import { forwardMedians, SET_TIMING, TIMING_BATCH } from '../compress/measure.js';
import type { Batch } from '../data/loader.js';
import type { MnistData } from '../data/mnist.js';
import { StudentNet, TeacherNet } from '../nn/models.js';
import type { Module } from '../nn/module.js';
import { saveModel } from '../node/files.js';
import { CORRECTIONS, NOTEBOOK } from '../report/notebook.js';
import { type Column, formatMarkdown, formatTable } from '../report/table.js';
import { crossEntropy } from '../tensor/ops/loss.js';
import { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { EPOCH_COLUMNS, type EpochRow, trainClassifier } from '../train/classifier.js';
import { SectionClock, type SectionSeconds, writeJson } from './config.js';
import { defineSection, type SectionConfig, type SectionContext } from './section.js';

/** Settings of section 1. */
export interface DistillOptions {
  /** Temperature of the proper KD student (default 4). */
  temperature: number;
  /** Weight of the hard-label term of the proper KD student (default 0.5). */
  alpha: number;
  /** Extra KD students, one per temperature, at `alpha` (none by default). */
  sweepTemperatures: number[];
}

/** One trained model of section 1, as the summary table shows it. */
export interface DistillRow {
  model: string;
  /** How it was trained, e.g. `KD T=4 α=0.5`. */
  method: string;
  params: number;
  /** Test accuracy after the last epoch, in [0, 1]. */
  accuracy: number;
  /** Bytes of its weights in memory. */
  bytes: number;
  /** The batch size of `latencyBatch` and `latencySet` (`TIMING_BATCH`). */
  batchSize: number;
  /** Model-only forward time of one batch of `batchSize`, seconds (median). */
  latencyBatch: number;
  /** Seconds of one forward pass at batch 1 (median). */
  latency1: number;
  /**
   * The teacher's time ÷ this model's, per batch and at batch 1: the speed distillation buys. Every model of the section is timed in one
   * call per batch size, so these are ratios of the latencies in the same rows.
   */
  speedupBatch: number;
  speedup1: number;
  /** Model-only forward time of the whole test set in batches of `batchSize`, seconds (median). */
  latencySet: number;
}

/** What section 1 returns: every epoch of every model, and the summary. */
export interface DistillResult {
  epochs: EpochRow[];
  models: DistillRow[];
  /** Accuracy of the proper KD student minus the labels-only student, in points. */
  kdGainPoints: number;
  /** Images of the test set the latencies ran over. */
  testImages: number;
  seconds: SectionSeconds;
}

/**
 * Section 1: trains the teacher CNN, then the student MLP three ways with the same
 * initialization and the same batches: by the notebook's loss (KL at T = 1), by the proper
 * loss (α·CE + (1−α)·T²·KL), and from the labels alone, the baseline the notebook never
 * ran, so the table can say whether distillation helped.
 */
export async function runDistill(
  config: SectionConfig<DistillOptions>,
  data: MnistData,
  context: SectionContext = {},
): Promise<DistillResult> {
  const epochs: EpochRow[] = [];
  const trained: [string, string, Module][] = [];

  const clock = new SectionClock();
  const teacher = new TeacherNet(new Rng(config.seed));
  epochs.push(...trainClassifier('teacher', teacher, data, config));
  trained.push(['teacher', 'labels (cross-entropy)', teacher]);
  context.teacher = teacher;
  const teacherLogits = precomputeLogits(teacher, data.train);
  clock.mark('notebook');

  const students: [string, string, (logits: Tensor, batch: Batch) => Tensor][] = [
    ['student-kd-notebook', 'KD T=1 α=0 (the notebook)', (s, b) => distillationLoss(s, teacherRows(teacherLogits, b), null)],
    [
      `student-kd`,
      `KD T=${config.temperature} α=${config.alpha}`,
      (s, b) => distillationLoss(s, teacherRows(teacherLogits, b), b.labels, { temperature: config.temperature, alpha: config.alpha }),
    ],
    ['student-labels', 'labels only (no teacher)', (s, b) => crossEntropy(s, b.labels)],
  ];
  for (const T of config.sweepTemperatures) {
    students.push([
      `student-kd-T${T}`,
      `KD T=${T} α=${config.alpha}`,
      (s, b) => distillationLoss(s, teacherRows(teacherLogits, b), b.labels, { temperature: T, alpha: config.alpha }),
    ]);
  }
  for (const [name, method, loss] of students) {
    // Same init seed and same shuffle seed for every student: only the loss differs.
    const student = new StudentNet(new Rng(config.seed + 100));
    epochs.push(...trainClassifier(name, student, data, config, { loss, seed: config.seed + 100 }));
    clock.mark(name === 'student-kd-notebook' ? 'notebook' : 'extras');
    trained.push([name, method, student]);
  }

  // Every model side by side, once per workload: the teacher (first) is every ratio's base.
  const nets = trained.map(([, , model]) => model);
  const x = data.testSet.x;
  const at1 = forwardMedians(nets, x, { batchSize: 1 });
  const atBatch = forwardMedians(nets, x, { batchSize: TIMING_BATCH });
  const atSet = forwardMedians(nets, x, { batchSize: TIMING_BATCH, wholeSet: true }, SET_TIMING);
  const models = trained.map(
    ([name, method, model], i): DistillRow => ({
      model: name,
      method,
      params: model.numParameters(),
      accuracy: epochs.filter((e) => e.model === name).at(-1)!.accuracy,
      bytes: modelBytes(model),
      batchSize: TIMING_BATCH,
      latency1: at1[i],
      latencyBatch: atBatch[i],
      latencySet: atSet[i],
      speedup1: at1[0] / at1[i],
      speedupBatch: atBatch[0] / atBatch[i],
    }),
  );
  clock.mark('notebook');
  const accuracyOf = (name: string): number => models.find((m) => m.model === name)!.accuracy;
  const result = {
    epochs,
    models,
    testImages: x.shape[0],
    kdGainPoints: (accuracyOf('student-kd') - accuracyOf('student-labels')) * 100,
    seconds: clock.seconds,
  };

  if (config.out) {
    for (const [name, method, model] of trained) {
      await saveModel(model, join(config.out, `${name}.safetensors`), { model: name, method, seed: String(config.seed) });
    }
    await writeJson(config.out, 'distill.json', result);
  }
  return result;
}

/**
 * The summary table: every model of the section with its size, accuracy and speed (`batch` the run's batch size, `set` the test set's
 * size).
 */
export function distillColumns(batch: number, set: number): Column<DistillRow>[] {
  return [
    { header: 'model', value: (r) => r.model },
    { header: 'trained by', value: (r) => r.method },
    { header: 'params', value: (r) => r.params },
    { header: 'accuracy %', value: (r) => r.accuracy * 100, digits: 2 },
    { header: 'KiB', value: (r) => r.bytes / 1024, digits: 1 },
    { header: 'ms b1', value: (r) => r.latency1 * 1000, significant: 3 },
    { header: 'vs teacher b1', value: (r) => `${r.speedup1.toFixed(2)}×` },
    { header: `ms / batch ${batch}`, value: (r) => r.latencyBatch * 1000, significant: 3 },
    { header: `vs teacher b${batch}`, value: (r) => `${r.speedupBatch.toFixed(2)}×` },
    { header: `ms / ${set} images`, value: (r) => r.latencySet * 1000, significant: 3 },
  ];
}

const gainLine = (r: DistillResult, temperature: number, alpha: number): string =>
  `KD (T=${temperature}, α=${alpha}) minus labels only: ${r.kdGainPoints >= 0 ? '+' : ''}${r.kdGainPoints.toFixed(2)} points` +
  ` (${r.kdGainPoints > 0 ? 'distillation helped' : r.kdGainPoints < 0 ? 'distillation did worse' : 'no difference'} on this seed).`;

/** The panel a model of this section sits in: the teacher CNN's, or the student MLP's. */
const baseOf = (m: DistillRow): string => (m.model === 'teacher' ? 'TeacherNet' : 'StudentNet');

const columnsOf = (r: DistillResult): Column<DistillRow>[] => distillColumns(r.models[0].batchSize, r.testImages);

const DEFAULTS: DistillOptions = { temperature: 4, alpha: 0.5, sweepTemperatures: [] };

/** Section 1 of the notebook: knowledge distillation. */
export const distill = defineSection({
  name: 'distill',
  title: '1. Knowledge distillation',
  summary: 'section 1: knowledge distillation (teacher CNN → student MLP, vs labels only)',
  usesSimpleNet: false,
  notebookTrainsSimpleNet: false,
  defaults: DEFAULTS,
  quick: {},
  options: {
    temperature: { kind: 'number', min: 0, openMin: true, help: 'temperature of the proper KD student' },
    alpha: { kind: 'number', min: 0, max: 1, help: 'weight of the label loss in [0, 1]' },
    sweepTemperatures: {
      kind: 'numbers',
      flag: 'sweep-temperature',
      min: 0,
      openMin: true,
      help: 'also train a KD student at each T, e.g. 1,2,4,8',
    },
  },
  run: runDistill,
  print: (r, config) =>
    `${formatTable(r.epochs, EPOCH_COLUMNS)}\n\n${formatTable(r.models, columnsOf(r))}\n\n` +
    `${gainLine(r, config.temperature, config.alpha)}\n`,
  report: (r) => ({
    title: '1. Knowledge distillation',
    correction: CORRECTIONS.distill,
    lines: [
      `Notebook: teacher ${NOTEBOOK.distill.teacherAccuracy}%, KD student ${NOTEBOOK.distill.studentAccuracy}% (its \`%timeit ` +
        `evaluate\`: ${NOTEBOOK.distill.teacherTimeit} s and ${NOTEBOOK.distill.studentTimeit} s, loader included).`,
      '',
      formatMarkdown(r.models, columnsOf(r)),
      '',
      gainLine(r, DEFAULTS.temperature, DEFAULTS.alpha),
    ],
    charts: [],
    base: 'StudentNet',
    bytes: r.models.map((m) => ({
      name: m.model,
      method: m.model === 'teacher' ? 'teacher CNN (fp32)' : 'distilled student',
      base: baseOf(m),
      bytes: m.bytes,
      accuracy: m.accuracy * 100,
    })),
    speed: r.models.map((m) => ({
      name: m.model,
      method: m.model === 'teacher' ? 'teacher CNN (fp32)' : 'distilled student',
      base: baseOf(m),
      accuracy: m.accuracy * 100,
      ms1: m.latency1 * 1000,
      ms64: m.latencyBatch * 1000,
    })),
  }),
});
