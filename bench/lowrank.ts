import { FactorizedLinear } from '../src/compress/low-rank.js';
import { Linear } from '../src/nn/layers.js';
import { noGrad } from '../src/tensor/autograd.js';
import { linear } from '../src/tensor/ops/matmul.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { type BenchOptions, type BenchResult, measure } from './harness.js';

const RANKS = [128, 100, 85, 64, 40, 32, 16, 8];

/**
 * fc3 (256 → 128) dense vs factorized at rank r, forward only, at batch 64 and 10000. The
 * rate is inputs per second, so the ratio is the factorized layer's speed-up; the
 * break-even rank is 85.3. Each factorized layer is first checked against the dense layer
 * of its own rebuilt weight (and rank 128 against the original weight).
 */
export function benchLowRank(options: BenchOptions): BenchResult[] {
  const rng = new Rng(4);
  const dense = new Linear(256, 128, { rng });
  const results: BenchResult[] = [];
  for (const batch of options.quick ? [64] : [64, 10000]) {
    const x = Tensor.uniform([batch, 256], 0, 1, rng);
    const base = measure('lowrank', `dense b${batch}`, () => noGrad(() => dense.forward(x)), batch, 'inputs/s', options);
    results.push({ ...base, ratio: 1, baseline: base.name });
    for (const rank of RANKS) {
      const f = FactorizedLinear.fromLinear(dense, { rank });
      // Full rank rebuilds the weight; every rank computes what its own rebuilt weight does.
      const w = f.toDense();
      if (rank === 128) {
        const worst = w.reduce((m, v, i) => Math.max(m, Math.abs(v - dense.weight.data[i])), 0);
        if (!(worst < 1e-4)) throw new Error(`lowrank bench: the full-rank factors do not rebuild the weight (max error ${worst})`);
      }
      const got = noGrad(() => f.forward(x)).data;
      const want = noGrad(() => linear(x, new Tensor(w, [128, 256]), dense.bias)).data;
      const off = got.findIndex((v, i) => !(Math.abs(v - want[i]) <= 1e-3 * (1 + Math.abs(want[i]))));
      if (off >= 0) throw new Error(`lowrank bench: rank ${rank} computes ${got[off]} at element ${off}, its rebuilt weight ${want[off]}`);
      const r = measure('lowrank', `rank ${rank} b${batch}`, () => noGrad(() => f.forward(x)), batch, 'inputs/s', options);
      results.push({ ...r, ratio: r.rate / base.rate, baseline: base.name });
    }
  }
  return results;
}
