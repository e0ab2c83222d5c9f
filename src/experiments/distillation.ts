import { join } from 'node:path';
import { distillationLoss } from '../compress/distill.js';
import { forwardLatency, measureLatency, speedUpOver, stateBytes } from '../compress/metrics.js';
import { batchesOf } from '../data/tensor-set.js';
import { saveModel } from '../nn/checkpoint.js';
import { MLP, TeacherNet } from '../nn/models.js';
import type { Module } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import { crossEntropy } from '../tensor/ops/loss.js';
import { Rng } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import type { Batch } from '../data/loader.js';
import { SectionClock, trainClassifier, writeJson, type EpochRow, type ExperimentConfig, type ExperimentData, type SectionSeconds } from './common.js';

/** Settings of section 1. */
export interface DistillationConfig extends ExperimentConfig {
  /** Temperature of the proper KD student (default 4). */
  temperature: number;
  /** Weight of the hard-label term of the proper KD student (default 0.5). */
  alpha: number;
  /** Extra KD students, one per temperature, at `alpha` (optional). */
  sweepTemperatures?: number[];
  /** Receives the trained teacher (section 5 of `slimtensor all` quantizes it). */
  keepTeacher?: (teacher: TeacherNet) => void;
}

/** One trained model of section 1, as the summary table shows it. */
export interface DistillationRow {
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
export interface DistillationResult {
  epochs: EpochRow[];
  models: DistillationRow[];
  /** Accuracy of the proper KD student minus the labels-only student, in points. */
  kdGainPoints: number;
  seconds: SectionSeconds;
}

/** The student of section 1: MLP 784→128→10 (101,770 parameters). */
export const STUDENT_SIZES = [784, 128, 10] as const;

/**
 * The teacher's logits for every training image, computed once without a graph. The
 * teacher is fixed while students learn, so this equals calling it on every batch (as
 * the notebook does) at a fraction of the cost; batches pick their rows by `indices`.
 */
export function precomputeLogits(model: Module, images: Float32Array, count: number): Float32Array {
  const x = new Tensor(images, [count, 1, 28, 28]);
  const out = new Float32Array(count * 10);
  model.eval();
  noGrad(() => {
    let row = 0;
    for (const b of batchesOf(x, 1000)) {
      out.set(model.forward(b).data, row * 10);
      row += b.shape[0];
    }
  });
  model.train();
  return out;
}

function teacherRows(logits: Float32Array, batch: Batch): Tensor {
  const t = new Float32Array(batch.size * 10);
  for (let i = 0; i < batch.size; i++) t.set(logits.subarray(batch.indices[i] * 10, batch.indices[i] * 10 + 10), i * 10);
  return new Tensor(t, [batch.size, 10]);
}

/**
 * Section 1: trains the teacher CNN, then the student MLP three ways with the same
 * initialization and the same batches: by the notebook's loss (KL at T = 1), by the proper
 * loss (α·CE + (1−α)·T²·KL), and from the labels alone, the baseline the notebook never
 * ran, so the table can say whether distillation helped.
 */
export async function runDistillation(config: DistillationConfig, data: ExperimentData): Promise<DistillationResult> {
  const epochs: EpochRow[] = [];
  const trained: [string, string, Module][] = [];

  const clock = new SectionClock();
  const teacher = new TeacherNet(new Rng(config.seed));
  epochs.push(...trainClassifier('teacher', teacher, data, config));
  trained.push(['teacher', 'labels (cross-entropy)', teacher]);
  config.keepTeacher?.(teacher);
  const teacherLogits = precomputeLogits(teacher, data.train.images, data.train.count);
  clock.mark('notebook');

  const students: [string, string, (logits: Tensor, batch: Batch) => Tensor][] = [
    ['student-kd-notebook', 'KD T=1 α=0 (the notebook)', (s, b) => distillationLoss(s, teacherRows(teacherLogits, b), null)],
    [`student-kd`, `KD T=${config.temperature} α=${config.alpha}`,
      (s, b) => distillationLoss(s, teacherRows(teacherLogits, b), b.labels, { temperature: config.temperature, alpha: config.alpha })],
    ['student-labels', 'labels only (no teacher)', (s, b) => crossEntropy(s, b.labels)],
  ];
  for (const T of config.sweepTemperatures ?? []) {
    students.push([`student-kd-T${T}`, `KD T=${T} α=${config.alpha}`,
      (s, b) => distillationLoss(s, teacherRows(teacherLogits, b), b.labels, { temperature: T, alpha: config.alpha })]);
  }
  for (const [name, method, loss] of students) {
    // Same init seed and same shuffle seed for every student: only the loss differs.
    const student = new MLP(STUDENT_SIZES, new Rng(config.seed + 100));
    epochs.push(...trainClassifier(name, student, data, config, { loss, seed: config.seed + 100 }));
    clock.mark(name === 'student-kd-notebook' ? 'notebook' : 'extras');
    trained.push([name, method, student]);
  }

  const models = trained.map(([name, method, model]): DistillationRow => {
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
    await writeJson(config.out, 'distillation.json', result);
  }
  return result;
}
