import { type Batch, DataLoader } from '../src/data/loader.js';
import { MLP, TeacherNet } from '../src/nn/models.js';
import type { Module } from '../src/nn/module.js';
import { runPlanned } from '../src/nn/plan.js';
import { loadMnist } from '../src/node/mnist.js';
import { Adam } from '../src/optim/adam.js';
import { crossEntropy } from '../src/tensor/ops/loss.js';
import { Rng } from '../src/tensor/random.js';
import { type BenchOptions, type BenchResult, backends, measure, withBackend } from './harness.js';

/** Training throughput (images/s) of the notebook's models: one Adam step on a batch of 64 real MNIST images per call. */
export async function benchTrain(options: BenchOptions): Promise<BenchResult[]> {
  const train = await loadMnist('train', { limit: 64 * 16 });
  const batches: Batch[] = [...new DataLoader(train, { batchSize: 64, shuffle: true, seed: 1 })];
  const results: BenchResult[] = [];
  for (const [name, make] of [
    ['MLP 784-512-256-128-10', (): Module => new MLP([784, 512, 256, 128, 10], new Rng(1))],
    ['teacher CNN', (): Module => new TeacherNet(new Rng(1))],
  ] as const) {
    const perModel: BenchResult[] = [];
    for (const backend of backends()) {
      const model = make();
      const opt = new Adam(model.parameters());
      let i = 0;
      let first = NaN;
      let last = NaN;
      const step = (): void => {
        const batch = batches[i++ % batches.length];
        opt.zeroGrad();
        const loss = crossEntropy(runPlanned(model, batch.x), batch.labels);
        loss.backward();
        opt.step();
        last = loss.item();
        if (Number.isNaN(first)) first = last;
      };
      const r = await withBackend(backend, () => measure('train', `train ${name}, batch 64, ${backend}`, step, 64, 'images/s', options));
      // A benchmark of a step that does not learn would measure nothing useful.
      if (!(last < first)) throw new Error(`train bench: ${name} did not learn on ${backend} (loss ${first} → ${last})`);
      perModel.push(r);
    }
    results.push(...perModel.map((r) => ({ ...r, ratio: r.rate / perModel[0].rate, baseline: perModel[0].name })));
  }
  return results;
}
