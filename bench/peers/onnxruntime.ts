import { toSparse } from '../../src/compress/csr.js';
import { Pruner } from '../../src/compress/prune.js';
import { quantizeDynamic } from '../../src/compress/quantize.js';
import { batchesOf } from '../../src/data/tensor-set.js';
import { exportOnnx } from '../../src/interop/onnx.js';
import { MLP } from '../../src/nn/models.js';
import type { Module } from '../../src/nn/module.js';
import { runPlanned } from '../../src/nn/plan.js';
import { loadMnist } from '../../src/node/mnist.js';
import { noGrad } from '../../src/tensor/autograd.js';
import { Rng } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { alternating, type BenchOptions, type BenchResult, type Contender } from '../harness.js';

type Ort = typeof import('onnxruntime-node');

/**
 * slimtensor beside onnxruntime-node (the peer the moonshot of issue 15 names): SimpleNet
 * over the 10k test set, as one batch of 10,000 and in batches of 64, through onnxruntime
 * on 1 and 2 threads (the dense model, exported by exportOnnx) and through slimtensor
 * dense, pruned to 95% and run as CSR, and int8. The contenders run in alternating rounds
 * (each round runs every one once), so a drift of the shared machine hits all alike; the
 * table gives medians and the ratio to onnxruntime on 2 threads. Speed does not depend on
 * the trained values, so the weights are a seeded initialization (the accuracies of the
 * trained models are in docs/RESULTS.md); the CSR net is pruned by magnitude to 95%.
 * Skipped, with a line saying so, when onnxruntime-node is not installed.
 */
export async function benchOnnxruntime(options: BenchOptions): Promise<BenchResult[]> {
  let ort: Ort;
  try {
    ort = await import('onnxruntime-node');
  } catch {
    process.stdout.write('peers: onnxruntime-node is not installed; skipped\n');
    return [];
  }
  const test = await loadMnist('test');
  const x = new Tensor(test.images, [test.count, 1, 28, 28]);
  const dense = new MLP([784, 512, 256, 128, 10], new Rng(11)).eval();
  const onnx = await exportOnnx(dense);
  const sparse = dense.clone();
  new Pruner(sparse).pruneToSparsity(0.95, { scope: 'global' });
  const contenders: Contender[] = [];
  for (const threads of [1, 2]) {
    const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: threads, interOpNumThreads: 1 });
    const whole = { input: new ort.Tensor('float32', x.data, x.shape) };
    const batches = batchesOf(x, 64).map((b) => ({ input: new ort.Tensor('float32', b.data, b.shape) }));
    contenders.push({ name: `onnxruntime ${threads} thread(s), dense, batch 10000`, run: () => session.run(whole) });
    contenders.push({
      name: `onnxruntime ${threads} thread(s), dense, batches of 64`,
      run: async () => {
        for (const b of batches) await session.run(b);
      },
    });
  }
  const models: [string, Module][] = [
    ['dense fp32', dense],
    ['95% sparse as CSR', toSparse(sparse).eval()],
    ['int8', quantizeDynamic(dense.clone()).eval()],
  ];
  const batches64 = batchesOf(x, 64);
  for (const [label, model] of models) {
    contenders.push({ name: `slimtensor ${label}, batch 10000`, run: () => noGrad(() => runPlanned(model, x)) });
    contenders.push({
      name: `slimtensor ${label}, batches of 64`,
      run: () =>
        noGrad(() => {
          for (const b of batches64) runPlanned(model, b);
        }),
    });
  }
  const results = await alternating('peers', contenders, options.quick ? 3 : 9, test.count, 'images/s');
  const base = results.find((r) => r.name === 'onnxruntime 2 thread(s), dense, batch 10000')!;
  return results.map((r) => ({ ...r, ratio: base.median / r.median, baseline: base.name }));
}
