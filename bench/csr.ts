import { CsrMatrix } from '../src/compress/csr.js';
import { gemmBlocked } from '../src/tensor/kernels/gemm.js';
import { csrLinear } from '../src/tensor/kernels/sparse.js';
import { wasmBackend } from '../src/tensor/kernels/wasm/backend.js';
import { wasmCalls } from '../src/tensor/kernels/wasm/calls/index.js';
import { Rng } from '../src/tensor/random.js';
import { type BenchOptions, type BenchResult, measure } from './harness.js';

const ROWS = 512;
const COLS = 784;
const SPARSITIES = [0, 0.25, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99];
const BATCHES = [1, 8, 64];

/**
 * Sparsity at which CSR starts to beat dense: linear interpolation between the two
 * measured sparsities where the speed-up (dense time ÷ CSR time) crosses 1.
 */
export function crossover(points: { sparsity: number; speedup: number }[]): number | null {
  if (points[0].speedup >= 1) return points[0].sparsity;
  for (let i = 1; i < points.length; i++) {
    const [a, b] = [points[i - 1], points[i]];
    if (a.speedup < 1 && b.speedup >= 1) return a.sparsity + ((1 - a.speedup) / (b.speedup - a.speedup)) * (b.sparsity - a.sparsity);
  }
  return null;
}

/**
 * fc1's weight (512×784) times a batch: dense (the TypeScript GEMM; the wasm backend's GEMM
 * with the weight copied in per call, as a dense Linear runs; and with the weight resident)
 * against CSR (the TypeScript kernel, and the wasm kernel on its resident, narrow-index
 * copy), across sparsity and batch size. Rates are dense-equivalent GFLOP/s (2·N·512·784
 * ÷ time), and every ratio is against the best dense path of that batch, measured in the
 * same run; "crossover" rows give the sparsity where each CSR kernel starts to beat it.
 */
export function benchCsr(options: BenchOptions): BenchResult[] {
  const rng = new Rng(3);
  const weight = Float32Array.from({ length: ROWS * COLS }, () => rng.uniformRange(-1, 1));
  const order = Array.from(rng.permutation(weight.length));
  const wasm = wasmBackend();
  const results: BenchResult[] = [];
  for (const N of options.quick ? [1, 64] : BATCHES) {
    const x = Float32Array.from({ length: N * COLS }, () => rng.uniformRange(-1, 1));
    const y = new Float32Array(N * ROWS);
    const flops = (2 * N * ROWS * COLS) / 1e9;
    const dense: BenchResult[] = [
      measure('csr', `dense js b${N}`, () => gemmBlocked(false, true, N, ROWS, COLS, x, weight, y, false), flops, 'GFLOP/s', options),
    ];
    if (wasm.kernels && wasm.module) {
      const gemm = wasm.kernels.gemm;
      dense.push(
        measure('csr', `dense wasm b${N}`, () => gemm(false, true, N, ROWS, COLS, x, weight, y, false), flops, 'GFLOP/s', options),
      );
      const resident = wasm.module.heap.allocFloat32(weight.length);
      if (resident) {
        resident.set(weight);
        const calls = wasmCalls(wasm.module);
        dense.push(
          measure(
            'csr',
            `dense wasm resident b${N}`,
            () => calls.gemm(false, true, N, ROWS, COLS, x, resident, y, false),
            flops,
            'GFLOP/s',
            options,
          ),
        );
      }
    }
    const best = dense.reduce((a, b) => (b.rate > a.rate ? b : a));
    const vsBest = (r: BenchResult): BenchResult => ({ ...r, ratio: r.rate / best.rate, baseline: best.name });
    results.push(...dense.map(vsBest));
    const kernels: [string, (w: CsrMatrix) => void][] = [['js', (w) => csrLinear(w, x, N, y)]];
    if (wasm.module) {
      const calls = wasmCalls(wasm.module);
      kernels.push(['wasm', (w) => calls.csrLinear(w, x, N, y)]);
    }
    const points = new Map<string, { sparsity: number; speedup: number }[]>(kernels.map(([name]) => [name, []]));
    for (const s of options.quick ? [0, 0.5, 0.7, 0.9, 0.99] : SPARSITIES) {
      const w = Float32Array.from(weight);
      for (let i = 0; i < Math.round(s * w.length); i++) w[order[i]] = 0;
      const csr = CsrMatrix.fromDense(w, ROWS, COLS);
      const want = new Float32Array(N * ROWS);
      gemmBlocked(false, true, N, ROWS, COLS, x, w, want, false);
      for (const [name, run] of kernels) {
        y.fill(NaN);
        run(csr);
        const bad = y.findIndex((v, i) => !(Math.abs(v - want[i]) <= 1e-3));
        if (bad >= 0)
          throw new Error(`csr bench: the ${name} CSR kernel is wrong at ${s * 100}% b${N} (element ${bad}: ${y[bad]} vs ${want[bad]})`);
        const r = vsBest(measure('csr', `csr ${name} ${(s * 100).toFixed(0)}% b${N}`, () => run(csr), flops, 'GFLOP/s', options));
        results.push(r);
        points.get(name)!.push({ sparsity: s, speedup: r.ratio! });
      }
    }
    for (const [name, line] of points) {
      const at = crossover(line);
      results.push({
        family: 'csr',
        name: `crossover csr ${name} vs best dense b${N}`,
        median: NaN,
        spread: NaN,
        samples: 0,
        rate: at === null ? NaN : at * 100,
        unit: 'sparsity %',
      });
    }
  }
  return results;
}
