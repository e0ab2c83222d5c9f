import { toSparse } from '../src/compress/csr.js';
import { alternatingTimings } from '../src/compress/measure.js';
import { Pruner } from '../src/compress/prune.js';
import { quantizeDynamic } from '../src/compress/quantize.js';
import { sqnr } from '../src/compress/quantize-weight.js';
import { MLP, TeacherNet } from '../src/nn/models.js';
import type { Module } from '../src/nn/module.js';
import { runPlanned } from '../src/nn/plan.js';
import { loadMnist } from '../src/node/mnist.js';
import { noGrad } from '../src/tensor/autograd.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import type { BenchOptions, BenchResult } from './harness.js';

/** Prunes a model to `sparsity` (global magnitude ranking), leaving it dense. */
const pruned =
  (sparsity: number) =>
  (m: Module): Module => {
    new Pruner(m).pruneToSparsity(sparsity, { scope: 'global' });
    return m;
  };

/**
 * How a model is compressed, from a fresh copy of the same seeded weights, and the model
 * it must compute the same as (null: within int8 error of the dense one).
 */
type Variant = [name: string, compress: (m: Module) => Module, reference: ((m: Module) => Module) | null];

const SIMPLE_NET: Variant[] = [
  ['dense fp32', (m) => m, (m) => m],
  ['csr 90%', (m) => toSparse(pruned(0.9)(m)), pruned(0.9)],
  ['csr 95%', (m) => toSparse(pruned(0.95)(m)), pruned(0.95)],
  ['int8', (m) => quantizeDynamic(m), null],
];

const TEACHER: Variant[] = [
  ['dense fp32', (m) => m, (m) => m],
  ['int8 (conv and linear)', (m) => quantizeDynamic(m, { conv: true }), null],
];

/**
 * Compressed models end to end, on the default backend: the notebook's SimpleNet
 * (784-512-256-128-10) dense, pruned to 90% and 95% and stored as CSR, and int8; the
 * teacher CNN dense and int8. Forward passes on real MNIST test images at batch 1, 64 and
 * the whole 10k test set at once. The variants of one model at one batch are timed side
 * by side, in alternating rounds (the protocol every section uses, `compress/measure.ts`);
 * rates are images/s, and each ratio is against the dense model in the same call. Every compressed model is first
 * checked against its reference: a CSR model computes what the pruned dense model does
 * (SQNR above 80 dB, float rounding only), an int8 one stays within int8 error of the
 * dense model (above 20 dB).
 */
export async function benchModels(options: BenchOptions): Promise<BenchResult[]> {
  const test = await loadMnist('test');
  const results: BenchResult[] = [];
  const batchOf = (n: number, image: boolean): Tensor => new Tensor(test.images.subarray(0, n * 784), image ? [n, 1, 28, 28] : [n, 784]);
  const suites: [string, Variant[], () => Module, boolean][] = [
    ['SimpleNet', SIMPLE_NET, () => new MLP([784, 512, 256, 128, 10], new Rng(0)), false],
    ['teacher', TEACHER, () => new TeacherNet(new Rng(0)), true],
  ];
  for (const [model, variants, make, image] of suites) {
    for (const batch of options.quick ? [1, 64] : [1, 64, 10000]) {
      const x = batchOf(batch, image);
      const dense = noGrad(() => runPlanned(make(), x)).data;
      const models = variants.map(([name, compress, reference]) => {
        const m = noGrad(() => compress(make()));
        const got = noGrad(() => runPlanned(m, x)).data;
        const want = reference ? noGrad(() => runPlanned(reference(make()), x)).data : dense;
        const err = sqnr(want, got);
        if (!(err > (reference ? 80 : 20)))
          throw new Error(`models bench: ${model} ${name} b${batch} is off its reference (SQNR ${err.toFixed(1)} dB)`);
        return m;
      });
      const sampling =
        batch >= 10000 ? { minRounds: 5, minSeconds: 0 } : { minRounds: options.quick ? 5 : 15, minSeconds: options.quick ? 0.1 : 0.5 };
      const timings = noGrad(() =>
        alternatingTimings(
          models.map((m) => () => runPlanned(m, x)),
          sampling,
        ),
      );
      results.push(
        ...timings.map((t, i) => ({
          family: 'models',
          name: `${model} ${variants[i][0]} b${batch}`,
          median: t.median,
          spread: (t.q3 - t.q1) / t.median,
          samples: t.rounds,
          rate: batch / t.median,
          unit: 'images/s',
          ratio: timings[0].median / t.median,
          baseline: `${model} ${variants[0][0]} b${batch}`,
        })),
      );
    }
  }
  return results;
}
