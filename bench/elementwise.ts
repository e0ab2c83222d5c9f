import { noGrad } from '../src/tensor/autograd.js';
import { adamStep } from '../src/tensor/kernels/elementwise.js';
import { wasmBackend } from '../src/tensor/kernels/wasm/backend.js';
import { logSoftmax, softmax } from '../src/tensor/ops/loss.js';
import { Rng } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { type BenchOptions, type BenchResult, measure, withRatios } from './harness.js';

/**
 * Memory-bound loops: softmax and log-softmax over the logits of a batch (64 × 10 and
 * 10000 × 10), and one Adam step over the MLP's 567,434 parameters. Rates are elements
 * per second (millions); each is checked first (rows sum to 1, log-softmax = log of softmax,
 * Adam's first step moves every weight by lr·|g|/(|g| + eps)).
 */
export function benchElementwise(options: BenchOptions): BenchResult[] {
  const rng = new Rng(7);
  const results: BenchResult[] = [];
  for (const rows of [64, 10000]) {
    const x = Tensor.uniform([rows, 10], -5, 5, rng);
    const p = noGrad(() => softmax(x)).data,
      lp = noGrad(() => logSoftmax(x)).data;
    for (let r = 0; r < rows; r++) {
      const s = p.subarray(r * 10, r * 10 + 10).reduce((a, v) => a + v, 0);
      if (!(Math.abs(s - 1) < 1e-5) || !(Math.abs(Math.log(p[r * 10]) - lp[r * 10]) < 1e-4))
        throw new Error(`elementwise bench: softmax row ${r} is wrong`);
    }
    results.push(measure('elementwise', `softmax ${rows}x10`, () => noGrad(() => softmax(x)), (rows * 10) / 1e6, 'M elem/s', options));
    results.push(
      measure('elementwise', `log-softmax ${rows}x10`, () => noGrad(() => logSoftmax(x)), (rows * 10) / 1e6, 'M elem/s', options),
    );
  }
  const n = 567434;
  const grad = Float32Array.from({ length: n }, () => rng.uniformRange(-1, 1));
  const initial = Float32Array.from({ length: n }, () => rng.uniformRange(-1, 1));
  // Adam three ways: the TypeScript kernel; wasm with every array copied in and out; wasm
  // with its moments resident in wasm memory (as the optimizer allocates them).
  const variants: [string, typeof adamStep, (n: number) => Float32Array][] = [['js', adamStep, (k) => new Float32Array(k)]];
  const wasm = wasmBackend().kernels;
  if (wasm) {
    variants.push(
      ['wasm, moments copied', wasm.adamStep, (k) => new Float32Array(k)],
      ['wasm, moments resident', wasm.adamStep, wasm.allocState],
    );
  }
  const adam: BenchResult[] = [];
  for (const [name, kernel, alloc] of variants) {
    const param = Float32Array.from(initial);
    const m = alloc(n),
      v = alloc(n);
    kernel(param, grad, m, v, 1e-3, 0.9, 0.999, 1e-8, 1, 0);
    // Step 1: m̂ = g, v̂ = g², so every weight moves by lr·|g|/(|g| + eps), i.e. lr unless g ≈ 0.
    const off = param.findIndex(
      (p, i) => !(Math.abs(Math.abs(initial[i] - p) - (1e-3 * Math.abs(grad[i])) / (Math.abs(grad[i]) + 1e-8)) < 1e-6),
    );
    if (off >= 0)
      throw new Error(
        `elementwise bench: Adam (${name})'s first step moved weight ${off} by ${Math.abs(initial[off] - param[off])}, not lr`,
      );
    let step = 2;
    adam.push(
      measure(
        'elementwise',
        `Adam step, 567,434 params, ${name}`,
        () => kernel(param, grad, m, v, 1e-3, 0.9, 0.999, 1e-8, step++, 0),
        n / 1e6,
        'M elem/s',
        options,
      ),
    );
  }
  results.push(...withRatios(adam, adam[0].name));
  return results;
}
