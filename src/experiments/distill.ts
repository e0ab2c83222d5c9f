import { join } from 'node:path';
import { distillationLoss, precomputeLogits, teacherRows } from '../compress/distill.js';
import { forwardLatency, measureLatency, speedUpOver, stateBytes } from '../compress/metrics.js';
import { saveModel } from '../node/files.js';
import { StudentNet, TeacherNet } from '../nn/models.js';
import type { Module } from '../nn/module.js';
import { crossEntropy } from '../tensor/ops/loss.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import type { Batch } from '../data/loader.js';
import type { MnistData } from '../data/mnist.js';
import { CORRECTIONS, NOTEBOOK } from '../report/notebook.js';
import { formatMarkdown, formatTable, type Column } from '../report/table.js';
import { EPOCH_COLUMNS, trainClassifier, type EpochRow } from '../train/classifier.js';
import { SectionClock, writeJson, type SectionSeconds } from './config.js';
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
  /** Model-only forward time of one batch of 64, seconds (median). */
  latencyBatch: number;
  /** Seconds of one forward pass at batch 1 (median). */
  latency1: number;
  /** The teacher's time ÷ this model's, per batch of 64 and at batch 1, timed side by side (`speedUpOver`): the speed distillation buys. */
  speedup64: number;
  speedup1: number;
  /** Model-only forward time of the whole test set in batches of 64, seconds (median). */
  latencySet: number;
}

/** What section 1 returns: every epoch of every model, and the summary. */
export interface DistillResult {
  epochs: EpochRow[];
  models: DistillRow[];
  /** Accuracy of the proper KD student minus the labels-only student, in points. */
  kdGainPoints: number;
  seconds: SectionSeconds;
}

/**
 * Section 1: trains the teacher CNN, then the student MLP three ways with the same
 * initialization and the same batches: by the notebook's loss (KL at T = 1), by the proper
 * loss (α·CE + (1−α)·T²·KL), and from the labels alone, the baseline the notebook never
 * ran, so the table can say whether distillation helped.
 */
export async function runDistill(config: SectionConfig<DistillOptions>, data: MnistData, context: SectionContext = {}): Promise<DistillResult> {
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
    [`student-kd`, `KD T=${config.temperature} α=${config.alpha}`,
      (s, b) => distillationLoss(s, teacherRows(teacherLogits, b), b.labels, { temperature: config.temperature, alpha: config.alpha })],
    ['student-labels', 'labels only (no teacher)', (s, b) => crossEntropy(s, b.labels)],
  ];
  for (const T of config.sweepTemperatures) {
    students.push([`student-kd-T${T}`, `KD T=${T} α=${config.alpha}`,
      (s, b) => distillationLoss(s, teacherRows(teacherLogits, b), b.labels, { temperature: T, alpha: config.alpha })]);
  }
  for (const [name, method, loss] of students) {
    // Same init seed and same shuffle seed for every student: only the loss differs.
    const student = new StudentNet(new Rng(config.seed + 100));
    epochs.push(...trainClassifier(name, student, data, config, { loss, seed: config.seed + 100 }));
    clock.mark(name === 'student-kd-notebook' ? 'notebook' : 'extras');
    trained.push([name, method, student]);
  }

  const models = trained.map(([name, method, model]): DistillRow => {
    const latency = measureLatency(model, data.testSet.x, { batchSize: config.batchSize });
    return {
      model: name, method, params: model.numParameters(), accuracy: epochs.filter((e) => e.model === name).at(-1)!.accuracy,
      bytes: stateBytes(model), latencyBatch: latency.perBatch, latencySet: latency.perSet, latency1: forwardLatency(model, data.testSet.x, 1), speedup64: 1, speedup1: 1,
    };
  });
  const teacherModel = trained.find(([name]) => name === 'teacher')?.[2];
  models.forEach((m, i) => {
    if (!teacherModel || m.model === 'teacher') return;
    const speed = speedUpOver(teacherModel, trained[i][2], data.testSet.x);
    m.speedup1 = speed.speedup1;
    m.speedup64 = speed.speedup64;
  });
  clock.mark('notebook');
  const accuracyOf = (name: string): number => models.find((m) => m.model === name)!.accuracy;
  const result = { epochs, models, kdGainPoints: (accuracyOf('student-kd') - accuracyOf('student-labels')) * 100, seconds: clock.seconds };

  if (config.out) {
    for (const [name, method, model] of trained) {
      await saveModel(model, join(config.out, `${name}.safetensors`), { model: name, method, seed: String(config.seed) });
    }
    await writeJson(config.out, 'distill.json', result);
  }
  return result;
}

/** The summary table: every model of the section with its size, accuracy and speed. */
export const DISTILL_COLUMNS: Column<DistillRow>[] = [
  { header: 'model', value: (r) => r.model },
  { header: 'trained by', value: (r) => r.method },
  { header: 'params', value: (r) => r.params },
  { header: 'accuracy %', value: (r) => r.accuracy * 100, digits: 2 },
  { header: 'KiB', value: (r) => r.bytes / 1024, digits: 1 },
  { header: 'ms / batch 64', value: (r) => r.latencyBatch * 1000, digits: 3 },
  { header: 'ms / 10k set', value: (r) => r.latencySet * 1000, digits: 1 },
  { header: 'ms b1', value: (r) => r.latency1 * 1000, digits: 3 },
  { header: 'vs teacher b1', value: (r) => `${r.speedup1.toFixed(2)}×` },
  { header: 'vs teacher b64', value: (r) => `${r.speedup64.toFixed(2)}×` },
];

const gainLine = (r: DistillResult, temperature: number, alpha: number): string =>
  `KD (T=${temperature}, α=${alpha}) minus labels only: ${r.kdGainPoints >= 0 ? '+' : ''}${r.kdGainPoints.toFixed(2)} points` +
  ` (${r.kdGainPoints > 0 ? 'distillation helped' : r.kdGainPoints < 0 ? 'distillation did worse' : 'no difference'} on this seed).`;

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
    sweepTemperatures: { kind: 'numbers', flag: 'sweep-temperature', min: 0, openMin: true, help: 'also train a KD student at each T, e.g. 1,2,4,8' },
  },
  run: runDistill,
  print: (r, config) => `${formatTable(r.epochs, EPOCH_COLUMNS)}\n\n${formatTable(r.models, DISTILL_COLUMNS)}\n\n${gainLine(r, config.temperature, config.alpha)}\n`,
  report: (r) => ({
    title: '1. Knowledge distillation',
    correction: CORRECTIONS.distill,
    lines: [
      `Notebook: teacher ${NOTEBOOK.distill.teacherAccuracy}%, KD student ${NOTEBOOK.distill.studentAccuracy}% (its \`%timeit evaluate\`: ${NOTEBOOK.distill.teacherTimeit} s and ${NOTEBOOK.distill.studentTimeit} s, loader included).`,
      '', formatMarkdown(r.models, DISTILL_COLUMNS), '', gainLine(r, DEFAULTS.temperature, DEFAULTS.alpha),
    ],
    charts: [],
    bytes: r.models.map((m) => ({ name: m.model, method: 'distillation', bytes: m.bytes, accuracy: m.accuracy * 100 })),
    speed: r.models.map((m) => ({
      name: m.model, method: m.model === 'teacher' ? 'teacher CNN (fp32)' : 'distilled student', accuracy: m.accuracy * 100, ms1: m.latency1 * 1000, ms64: m.latencyBatch * 1000,
    })),
  }),
});
