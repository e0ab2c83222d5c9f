import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Batch, DataLoader } from '../../src/data/loader.js';
import { batchesOf } from '../../src/data/tensor-set.js';
import { MLP, TeacherNet } from '../../src/nn/models.js';
import type { Module } from '../../src/nn/module.js';
import { runPlanned } from '../../src/nn/plan.js';
import { loadMnist } from '../../src/node/mnist.js';
import { Adam } from '../../src/optim/adam.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { backendInfo } from '../../src/tensor/kernels/index.js';
import { crossEntropy } from '../../src/tensor/ops/loss.js';
import { Rng } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import type { BenchOptions, BenchResult } from '../harness.js';

/** What torch_steps.py prints: its version, threads, and each work item's median in ms. */
interface TorchTimes {
  torch: string;
  threads: number;
  gemmGflops: number;
  simpleNetStepMs: number;
  teacherStepMs: number;
  simpleNet10kBatch10000Ms: number;
  simpleNet10kBatch64Ms: number;
}

/** The first Python that imports torch (Debian's python3-torch lives in /usr/bin's python3), or null. */
export function pythonWithTorch(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
      return python;
    } catch {
      /* try the next one */
    }
  }
  return null;
}

/**
 * The OpenBLAS core type for this CPU. Debian's OpenBLAS does not know recent CPU models
 * (this VM's, family 6 model 207) and falls back to generic kernels: 29 GFLOP/s on a 512³
 * product instead of 141 with the AVX-512 ones. The peer should be PyTorch at its best, so
 * the newest core type the CPU's flags support is named explicitly.
 */
export function openblasCoreType(): string | undefined {
  if (process.env.OPENBLAS_CORETYPE) return process.env.OPENBLAS_CORETYPE;
  const flags = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  return /\bavx512f\b/.test(flags) ? 'SkylakeX' : /\bavx2\b/.test(flags) ? 'Haswell' : undefined;
}

/** A peer script beside this file, or (when this runs compiled from dist/bench/peers) in the source tree's bench/peers. */
export function peerScript(name: string): string {
  const here = fileURLToPath(new URL(name, import.meta.url));
  return existsSync(here) ? here : fileURLToPath(new URL(`../../../bench/peers/${name}`, import.meta.url));
}

/** The environment PyTorch runs in on `threads` threads: its thread counts, idle threads that sleep, and the BLAS core type. */
export function torchEnv(threads: number): NodeJS.ProcessEnv {
  const coreType = openblasCoreType();
  return {
    ...process.env,
    OMP_NUM_THREADS: String(threads),
    OPENBLAS_NUM_THREADS: String(threads),
    OMP_WAIT_POLICY: 'PASSIVE',
    ...(coreType ? { OPENBLAS_CORETYPE: coreType } : {}),
  };
}

/** Median milliseconds of `calls` calls after `warmup` unmeasured ones, timed call by call as torch_steps.py does. */
function medianMs(fn: () => void, calls: number, warmup: number): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[calls >> 1];
}

/** One Adam step (lr 1e-3) at batch 64, cycling through `batches`. */
function stepMs(model: Module, batches: Batch[]): number {
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  let i = 0;
  return medianMs(
    () => {
      const b = batches[i++ % batches.length];
      opt.zeroGrad();
      crossEntropy(runPlanned(model, b.x), b.labels).backward();
      opt.step();
    },
    200,
    20,
  );
}

/**
 * slimtensor beside PyTorch (issue 20's peer): one training step of SimpleNet and of the
 * teacher CNN at batch 64 (Adam, lr 1e-3, the same 1,024 MNIST images), and SimpleNet over
 * the 10k test set as one batch and in batches of 64. PyTorch runs bench/peers/torch_steps.py
 * on 1 thread and on 2; slimtensor on its default backend and threads, in the same bench
 * run, with the same protocol (medians of call-by-call times after a warm-up), the peers
 * taking turns over 3 rounds (1 with --quick) and each figure the median of its rounds. Ratios are
 * against PyTorch on 1 thread (above 1: slimtensor is faster). Skipped, with a line saying
 * so, when no Python here imports torch (`apt-get install python3-torch`).
 */
export async function benchPytorch(options: BenchOptions): Promise<BenchResult[]> {
  const python = pythonWithTorch();
  if (!python) {
    process.stdout.write('peers: no python3 with torch here (apt-get install python3-torch); PyTorch skipped\n');
    return [];
  }
  const train = await loadMnist('train', { limit: 64 * 16 });
  const test = await loadMnist('test');
  const folder = mkdtempSync(join(tmpdir(), 'slimtensor-peers-'));
  const batches: Batch[] = [...new DataLoader(train, { batchSize: 64, shuffle: false })];
  const x = new Tensor(test.images, [test.count, 1, 28, 28]);
  const chunks = batchesOf(x, 64);
  const coreType = openblasCoreType();
  // The machine drifts by up to 1.5x within minutes, so the peers take turns: each round
  // runs PyTorch on 1 and 2 threads, then slimtensor, and each figure is the median over
  // the rounds of that peer's own medians.
  const rounds = options.quick ? 1 : 3;
  const torch: TorchTimes[][] = [[], []];
  const ours: TorchTimes[] = [];
  try {
    writeFileSync(join(folder, 'train-x.f32'), train.images);
    writeFileSync(join(folder, 'train-y.i32'), Int32Array.from(train.labels));
    writeFileSync(join(folder, 'test-x.f32'), test.images);
    const script = peerScript('torch_steps.py');
    for (let round = 0; round < rounds; round++) {
      [1, 2].forEach((threads, t) => {
        torch[t].push(
          JSON.parse(
            execFileSync(python, [script, folder, String(threads)], {
              encoding: 'utf8',
              timeout: 600_000,
              env: torchEnv(threads),
            }),
          ) as TorchTimes,
        );
      });
      const net = new MLP([784, 512, 256, 128, 10], new Rng(0));
      ours.push({
        torch: '',
        threads: backendInfo().threads,
        gemmGflops: NaN,
        simpleNetStepMs: stepMs(net, batches),
        teacherStepMs: stepMs(new TeacherNet(new Rng(0)), batches),
        simpleNet10kBatch10000Ms: medianMs(() => noGrad(() => runPlanned(net.eval(), x)), options.quick ? 3 : 9, 2),
        simpleNet10kBatch64Ms: medianMs(
          () =>
            noGrad(() => {
              for (const c of chunks) runPlanned(net, c);
            }),
          options.quick ? 3 : 9,
          2,
        ),
      });
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  const [torch1, torch2] = torch;
  process.stdout.write(
    `peers: PyTorch ${torch1[0].torch}, 512³ product ${torch1[0].gemmGflops.toFixed(0)} / ${torch2[0].gemmGflops.toFixed(0)} GFLOP/s on ` +
      `1 / 2 threads${coreType ? ` (OPENBLAS_CORETYPE=${coreType})` : ''}, ${rounds} round(s) taking turns\n`,
  );
  if (torch1[0].gemmGflops < 20)
    process.stdout.write(
      'peers: PyTorch multiplies through a slow BLAS (the reference libblas?); apt-get install libopenblas0-pthread for a fair peer\n',
    );
  const median = (runs: TorchTimes[], key: keyof TorchTimes): number =>
    runs.map((r) => r[key] as number).sort((a, b) => a - b)[runs.length >> 1];
  const work: [keyof TorchTimes, string, number][] = [
    ['simpleNetStepMs', 'SimpleNet training step, batch 64', 64],
    ['teacherStepMs', 'teacher CNN training step, batch 64', 64],
    ['simpleNet10kBatch10000Ms', 'SimpleNet, 10k test set as one batch', test.count],
    ['simpleNet10kBatch64Ms', 'SimpleNet, 10k test set in batches of 64', test.count],
  ];
  return work.flatMap(([key, what, images]) => {
    const base = median(torch1, key);
    const row = (who: string, ms: number): BenchResult => ({
      family: 'peers',
      name: `${what}: ${who}`,
      median: ms / 1000,
      spread: NaN,
      samples: 0,
      rate: images / (ms / 1000),
      unit: 'images/s',
      ratio: base / ms,
      baseline: `PyTorch ${torch1[0].torch}, 1 thread`,
    });
    return [
      row(`PyTorch ${torch1[0].torch}, 1 thread`, base),
      row(`PyTorch, 2 threads`, median(torch2, key)),
      row(`slimtensor ${backendInfo().name}, ${ours[0].threads} thread(s)`, median(ours, key)),
    ];
  });
}
