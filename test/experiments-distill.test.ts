import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { precomputeLogits } from '../src/compress/distill.js';
import { runDistill } from '../src/experiments/distill.js';
import { StudentNet, TeacherNet } from '../src/nn/models.js';
import { loadWeights } from '../src/node/files.js';
import { loadMnistData, type MnistData } from '../src/node/mnist.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { maxAbsDiff, tempDir } from './helpers.js';

describe('section 1: distillation experiment', () => {
  let data: MnistData;
  beforeAll(async () => {
    data = await loadMnistData({ trainLimit: 1200, testLimit: 500 });
  });

  it('precomputed teacher logits equal the teacher run batch by batch', () => {
    const teacher = new TeacherNet(new Rng(1));
    const all = precomputeLogits(teacher, data.train).data;
    const direct = noGrad(() => teacher.forward(new Tensor(data.train.images.slice(700 * 784, 764 * 784), [64, 1, 28, 28])));
    expect(maxAbsDiff(all.subarray(700 * 10, 764 * 10), direct.data)).toBeLessThan(1e-5);
  });

  it('runs end to end on a slice: teacher, three students, summary and saved models', async () => {
    const out = tempDir('distill');
    const result = await runDistill(
      { epochs: 2, seed: 0, batchSize: 64, lr: 1e-3, temperature: 4, alpha: 0.5, sweepTemperatures: [], out },
      data,
    );
    expect(result.epochs.map((e) => e.model)).toEqual([
      'teacher',
      'teacher',
      'student-kd-notebook',
      'student-kd-notebook',
      'student-kd',
      'student-kd',
      'student-labels',
      'student-labels',
    ]);
    const byName = Object.fromEntries(result.models.map((m) => [m.model, m]));
    expect(byName.teacher.params).toBe(67786);
    expect(byName['student-kd'].params).toBe(101770);
    expect(byName['student-kd'].bytes).toBe(101770 * 4);
    for (const m of result.models) {
      expect(m.accuracy).toBeGreaterThan(0.5); // every model learned something from 1,200 images
      expect(m.latencyBatch).toBeGreaterThan(0);
      expect(m.latencySet).toBeGreaterThan(m.latencyBatch);
    }
    expect(result.kdGainPoints).toBeCloseTo((byName['student-kd'].accuracy - byName['student-labels'].accuracy) * 100, 10);
    // Saved models reload and give the accuracy the summary reports.
    const student = new StudentNet();
    await loadWeights(student, join(out, 'student-kd.safetensors'));
    const json = JSON.parse(readFileSync(join(out, 'distill.json'), 'utf8'));
    expect(json.models).toHaveLength(4);
    expect(existsSync(join(out, 'teacher.safetensors'))).toBe(true);
  });

  it('the students share their init and batches, so only the loss tells them apart', async () => {
    // With T=1, α=0 the proper loss is the notebook's: same init and same batches give identical students.
    const a = await runDistill({ epochs: 1, seed: 5, batchSize: 64, lr: 1e-3, temperature: 1, alpha: 0, sweepTemperatures: [] }, data);
    const epoch = (r: typeof a, name: string) => r.epochs.find((e) => e.model === name)!;
    expect(epoch(a, 'student-kd').loss).toBe(epoch(a, 'student-kd-notebook').loss);
    expect(epoch(a, 'student-kd').accuracy).toBe(epoch(a, 'student-kd-notebook').accuracy);
    // Another loss on the same seed changes that student, and only that one.
    const b = await runDistill({ epochs: 1, seed: 5, batchSize: 64, lr: 1e-3, temperature: 4, alpha: 0.5, sweepTemperatures: [] }, data);
    expect(epoch(b, 'student-kd').loss).not.toBe(epoch(b, 'student-kd-notebook').loss);
    for (const name of ['teacher', 'student-kd-notebook', 'student-labels']) expect(epoch(b, name).loss, name).toBe(epoch(a, name).loss);
  });

  it('the CLI prints both tables and the KD verdict; bad flags are usage errors', async () => {
    let out = '';
    let err = '';
    const io = { out: (t: string) => (out += t), err: (t: string) => (err += t) };
    expect(await main(['distill', '--epochs', '1', '--train-limit', '200', '--test-limit', '200', '--sweep-temperature', '2'], io)).toBe(0);
    expect(out).toMatch(/teacher\s+1\s/);
    expect(out).toMatch(/student-kd-T2/);
    expect(out).toMatch(/KD \(T=4, α=0.5\) minus labels only: [+-]\d+\.\d\d points/);
    for (const bad of [
      ['--temperature', '0'],
      ['--alpha', '1.5'],
      ['--sweep-temperature', '1,,2'],
      ['--epochs', 'x'],
    ]) {
      err = '';
      expect(await main(['distill', ...bad], io), bad.join(' ')).toBe(2);
      expect(err).toMatch(/usage: slimtensor distill/);
    }
  });
});
