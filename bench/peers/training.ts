import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distillationLoss, precomputeLogits, teacherRows } from '../../src/compress/distill.js';
import { MLP, TeacherNet } from '../../src/nn/models.js';
import { loadMnistData } from '../../src/node/mnist.js';
import { backendInfo } from '../../src/tensor/kernels/index.js';
import { Rng } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { type TrainSettings, trainClassifier } from '../../src/train/classifier.js';
import type { BenchOptions, BenchResult } from '../harness.js';
import { peerScript, pythonWithTorch, torchEnv } from './pytorch.js';

/** What torch_training.py prints. */
interface TorchTraining {
  torch: string;
  seconds: Record<string, number>;
  accuracies: Record<string, number>;
}

/** The parts of the notebook's training work, in the order both engines run them. */
const PARTS: [string, string][] = [
  ['teacher', 'teacher CNN'],
  ['teacherLogits', "teacher's logits over the training set"],
  ['student', 'student MLP on soft targets (KL, T = 1)'],
  ['simpleNet1', 'SimpleNet, section 2'],
  ['simpleNet2', 'SimpleNet, section 3'],
  ['simpleNet3', 'SimpleNet, section 4'],
];

/**
 * The notebook's training work through PyTorch on 1 thread and through slimtensor, one
 * after the other in one run (issue 20's "same work"): the teacher CNN, its logits, the
 * student on soft targets and SimpleNet three times (the notebook trains it in sections 2,
 * 3 and 4), each for 5 epochs (1 with --quick) on the full MNIST training set, with Adam
 * (lr 1e-3), batch 64, a fresh shuffle every epoch and the test accuracy after each epoch,
 * as `npm start` trains them. This is most of the notebook's same work; its sweeps and
 * timings are not in it. Minutes long, so not in the default families. Skipped, with a
 * line saying so, when no Python here imports torch.
 */
export async function benchNotebookTraining(options: BenchOptions): Promise<BenchResult[]> {
  const python = pythonWithTorch();
  if (!python) {
    process.stdout.write('notebook-training: no python3 with torch here (apt-get install python3-torch); skipped\n');
    return [];
  }
  const epochs = options.quick ? 1 : 5;
  const data = await loadMnistData();
  const folder = mkdtempSync(join(tmpdir(), 'slimtensor-training-'));
  let torch: TorchTraining;
  try {
    writeFileSync(join(folder, 'train-x.f32'), data.train.images);
    writeFileSync(join(folder, 'train-y.i32'), Int32Array.from(data.train.labels));
    writeFileSync(join(folder, 'test-x.f32'), data.test.images);
    writeFileSync(join(folder, 'test-y.i32'), Int32Array.from(data.test.labels));
    torch = JSON.parse(
      execFileSync(python, [peerScript('torch_training.py'), folder, '1', String(epochs)], {
        encoding: 'utf8',
        timeout: 3_600_000,
        env: torchEnv(1),
        maxBuffer: 1 << 20,
      }),
    ) as TorchTraining;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }

  const settings: TrainSettings = { epochs, seed: 0, batchSize: 64, lr: 1e-3 };
  const ours: Record<string, number> = {};
  const timed = (key: string, fn: () => void): void => {
    const t0 = performance.now();
    fn();
    ours[key] = (performance.now() - t0) / 1000;
  };
  const teacher = new TeacherNet(new Rng(0));
  timed('teacher', () => trainClassifier('teacher', teacher, data, settings));
  let logits = new Tensor(new Float32Array(0), [0, 10]);
  timed('teacherLogits', () => (logits = precomputeLogits(teacher, data.train)));
  timed('student', () =>
    trainClassifier('student', new MLP([784, 128, 10], new Rng(100)), data, settings, {
      loss: (s, b) => distillationLoss(s, teacherRows(logits, b), null),
      seed: 100,
    }),
  );
  for (const key of ['simpleNet1', 'simpleNet2', 'simpleNet3'])
    timed(key, () => trainClassifier('simple-net', new MLP([784, 512, 256, 128, 10], new Rng(0)), data, settings));

  const total = (s: Record<string, number>): number => PARTS.reduce((sum, [key]) => sum + s[key], 0);
  const rows: [string, number, number][] = [
    ...PARTS.map(([key, what]): [string, number, number] => [what, torch.seconds[key], ours[key]]),
    ["the notebook's training work, all of it", total(torch.seconds), total(ours)],
  ];
  return rows.flatMap(([what, base, mine]) => {
    const row = (who: string, s: number): BenchResult => ({
      family: 'notebook-training',
      name: `${what}, ${epochs} epoch(s): ${who}`,
      median: s,
      spread: NaN,
      samples: 1,
      rate: 1 / s,
      unit: 'runs/s',
      ratio: base / s,
      baseline: `PyTorch ${torch.torch}, 1 thread`,
    });
    return [
      row(`PyTorch ${torch.torch}, 1 thread`, base),
      row(`slimtensor ${backendInfo().name}, ${backendInfo().threads} thread(s)`, mine),
    ];
  });
}
