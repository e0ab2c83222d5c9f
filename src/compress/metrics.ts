import type { Module } from '../nn/module.js';
import { noGrad } from '../tensor/autograd.js';
import type { Tensor } from '../tensor/tensor.js';
import { batchesOf, sliceRows } from '../data/tensor-set.js';

/**
 * Measures of a model that the compression sections compare: what it holds and how long
 * it takes to run. Every figure counts every array a layer keeps (a CSR layer's column
 * indices and row pointers, a quantized layer's scales), and every latency times the model
 * alone on tensors that are already in memory, never a data loader.
 */

/**
 * Bytes a model holds in memory: the sum of the byte lengths of every entry of its state
 * dict, whatever the dtype. For a dense float32 model it is 4 × parameters.
 */
export function stateBytes(model: Module): number {
  let bytes = 0;
  for (const entry of model.stateDict().values()) bytes += entry.data.byteLength;
  return bytes;
}

/** Median and spread of repeated timings, in seconds. */
export interface Timing {
  median: number;
  min: number;
  max: number;
  runs: number;
}

/** How long and how often `timeIt` runs its function. */
export interface TimeItOptions {
  /** Untimed calls first, so V8 has optimized the code (default 1). */
  warmup?: number;
  /** At least this many timed calls (default 5). */
  minRuns?: number;
  /** Keep timing until this many seconds have passed, up to `maxRuns` (default 0.25). */
  minSeconds?: number;
  /** At most this many timed calls (default 200). */
  maxRuns?: number;
}

/**
 * Times `fn` several times and reports the median (robust on a shared, noisy machine),
 * as `%timeit` does, but with medians rather than means.
 * @example timeIt(() => model.forward(x)).median // seconds per call
 */
export function timeIt(fn: () => void, options: TimeItOptions = {}): Timing {
  const { warmup = 1, minRuns = 5, minSeconds = 0.25, maxRuns = 200 } = options;
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minRuns || (times.length < maxRuns && performance.now() - start < minSeconds * 1000)) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return { median: median(times), min: times[0], max: times[times.length - 1], runs: times.length };
}

/** Median seconds of one `model.forward` on the first `batchSize` rows of `x`, without a graph. */
export function forwardLatency(model: Module, x: Tensor, batchSize: number): number {
  const batch = sliceRows(x, 0, Math.min(batchSize, x.shape[0]));
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => timeIt(() => model.forward(batch)).median);
  } finally {
    model.train(wasTraining);
  }
}

/**
 * Model-only latency of one forward pass at batch 1 and at batch 64, seconds (medians):
 * the two points every section reports and the report's accuracy-vs-latency chart plots.
 */
export interface Speed {
  latency1: number;
  latency64: number;
}

/** A compressed model's speed against its dense one: both latencies, and dense ÷ compressed, at batch 1 and 64. */
export interface SpeedUp extends Speed {
  speedup1: number;
  speedup64: number;
}

/** How `speedUpOver` samples: at least `minRuns` rounds and `minSeconds` (at most 200 rounds), after `warmUpSeconds` of untimed rounds (at least one). */
export interface LatencyOptions {
  minRuns?: number;
  minSeconds?: number;
  /**
   * Default 0.03 s. One call makes a compressed layer's resident copies, but the JavaScript
   * around the kernels is compiled only after many: with one warm-up call, the 95%-sparse
   * SimpleNet measured 2.5–3.0× dense at batch 1 in `npm start`, and 4.6× warmed up.
   */
  warmUpSeconds?: number;
}

/**
 * `model`'s forward time at batch 1 and 64, and its speed-up over `base`, timed side by
 * side: the two models run in alternating rounds (after warming both up), so a drift in
 * the machine's speed (a shared VM's neighbours, frequency changes) hits both alike.
 * Medians of each; the speed-up is base median ÷ model median.
 */
export function speedUpOver(base: Module, model: Module, x: Tensor, options: LatencyOptions = {}): SpeedUp {
  const [b1, m1] = pairedLatency(base, model, x, 1, options);
  const [b64, m64] = pairedLatency(base, model, x, 64, options);
  return { latency1: m1, latency64: m64, speedup1: b1 / m1, speedup64: b64 / m64 };
}

/**
 * Median seconds of one forward pass of `a` and of `b` on the first `batchSize` rows of
 * `x`, timed in alternating rounds after warming both up (as `speedUpOver`, at one batch size).
 */
export function pairedLatency(a: Module, b: Module, x: Tensor, batchSize: number, options: LatencyOptions = {}): [number, number] {
  const { minRuns = 7, minSeconds = 0.15, warmUpSeconds = 0.03 } = options;
  const batch = sliceRows(x, 0, Math.min(batchSize, x.shape[0]));
  const models = [a, b];
  const was = models.map((m) => m.training);
  models.forEach((m) => m.eval());
  try {
    return noGrad(() => {
      const run = [(): unknown => a.forward(batch), (): unknown => b.forward(batch)];
      // Warm up until both run at their steady speed: one call makes the resident copies,
      // but the JavaScript around the kernels is compiled only after many calls.
      const warm = performance.now();
      for (let w = 0; w < 1 || (w < 500 && performance.now() - warm < warmUpSeconds * 1000); w++) run.forEach((f) => f());
      const times: [number[], number[]] = [[], []];
      const start = performance.now();
      while (times[0].length < minRuns || (times[0].length < 200 && performance.now() - start < minSeconds * 1000)) {
        for (const i of [0, 1]) {
          const t0 = performance.now();
          run[i]();
          times[i].push((performance.now() - t0) / 1000);
        }
      }
      return [median(times[0]), median(times[1])];
    });
  } finally {
    models.forEach((m, i) => m.train(was[i]));
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((p, q) => p - q);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `forwardLatency` of `model` at batch 1 and at batch 64 on the first rows of `x`. */
export function speedOf(model: Module, x: Tensor): Speed {
  return { latency1: forwardLatency(model, x, 1), latency64: forwardLatency(model, x, 64) };
}

/** Model-only inference latency, in seconds (medians). */
export interface Latency {
  /** One forward pass of one batch of `batchSize`. */
  perBatch: number;
  /** Forward passes over the whole set in batches of `batchSize` (the notebook's `evaluate`). */
  perSet: number;
  batchSize: number;
  setSize: number;
}

/**
 * Times `model.forward` on pre-loaded inputs: one batch, then the whole set batch by batch,
 * each the median of several runs. The data loader, the argmax and the accuracy count are
 * not in the timing, unlike the notebook's `%timeit evaluate(model)`.
 * @example measureLatency(model, testSet.x, { batchSize: 64 }) // { perBatch: 0.0004, perSet: 0.07, ... }
 */
export function measureLatency(model: Module, x: Tensor, options: { batchSize?: number; setRuns?: number } = {}): Latency {
  const batchSize = options.batchSize ?? 64;
  return {
    perBatch: forwardLatency(model, x, batchSize), perSet: setLatency(model, x, batchSize, options.setRuns), batchSize, setSize: x.shape[0],
  };
}

/** Median seconds of `model.forward` over all of `x` in batches of `batchSize` (pre-sliced views), without a graph. */
export function setLatency(model: Module, x: Tensor, batchSize: number, runs = 3): number {
  const batches = batchesOf(x, batchSize);
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => timeIt(() => { for (const b of batches) model.forward(b); }, { minRuns: runs, minSeconds: 0 }).median);
  } finally {
    model.train(wasTraining);
  }
}
