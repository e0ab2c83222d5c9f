import { batchesOf, sliceRows } from '../data/tensor-set.js';
import type { Module } from '../nn/module.js';
import { runPlanned } from '../nn/plan.js';
import { noGrad } from '../tensor/autograd.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * The one timing protocol behind every latency slimtensor reports: the things compared
 * run side by side, first in untimed rounds until they are warm, then in timed rounds in
 * which each runs once in turn, so that a drift in the shared machine's speed (a
 * neighbour, a frequency change) hits all of them alike. Each gets the median of its
 * rounds; a ratio is always taken between medians of the same call.
 */

/** How a measurement samples. */
export interface TimingOptions {
  /**
   * Untimed rounds for at least this long first (default 0.03 s; always at least one). One
   * call makes a compressed layer's resident copies, but the JavaScript around the kernels
   * is compiled only after many: after one warm-up call the 95%-sparse SimpleNet measured
   * 2.5–3.0× dense at batch 1, and 4.6× warmed up.
   */
  warmUpSeconds?: number;
  /** At least this many timed rounds (default 7). */
  minRounds?: number;
  /** Keep timing rounds for at least this long (default 0.15 s), up to `maxRounds`. */
  minSeconds?: number;
  /** At most this many timed rounds (default 200). */
  maxRounds?: number;
}

/** One contender's timing: the median of its rounds and their spread, in seconds. */
export interface Timing {
  median: number;
  /** The lower and upper quartiles of the rounds. */
  q1: number;
  q3: number;
  rounds: number;
}

function quantile(sorted: readonly number[], q: number): number {
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  return sorted[lo] + (sorted[Math.ceil(i)] - sorted[lo]) * (i - lo);
}

/**
 * Times `runs` in alternating rounds after a warm-up (see the protocol above) and returns
 * each one's timing, in order.
 * @example const [a, b] = alternatingTimings([() => dense.forward(x), () => sparse.forward(x)])
 */
export function alternatingTimings(runs: readonly (() => unknown)[], options: TimingOptions = {}): Timing[] {
  const { warmUpSeconds = 0.03, minRounds = 7, minSeconds = 0.15, maxRounds = 200 } = options;
  const warm = performance.now();
  for (let w = 0; w < 1 || (w < 500 && performance.now() - warm < warmUpSeconds * 1000); w++) runs.forEach((run) => run());
  const times = runs.map((): number[] => []);
  const start = performance.now();
  while (times[0].length < minRounds || (times[0].length < maxRounds && performance.now() - start < minSeconds * 1000)) {
    runs.forEach((run, i) => {
      const t0 = performance.now();
      run();
      times[i].push((performance.now() - t0) / 1000);
    });
  }
  return times.map((t) => {
    const sorted = [...t].sort((a, b) => a - b);
    return { median: quantile(sorted, 0.5), q1: quantile(sorted, 0.25), q3: quantile(sorted, 0.75), rounds: sorted.length };
  });
}

/** What one round runs each model on. */
export interface ForwardWorkload {
  /** Rows per forward pass. */
  batchSize: number;
  /** Run over every row of the input in batches of `batchSize` (the notebook's `evaluate`), not just its first batch. */
  wholeSet?: boolean;
}

/**
 * Each model's median seconds per forward pass on the first `batchSize` rows of `x` (or per
 * pass over all of `x` in batches, with `wholeSet`), through its plan (as it is served),
 * timed side by side in evaluation mode without a graph; every model's mode is restored
 * afterwards.
 * @example const [dense, sparse] = forwardMedians([net, toSparse(net.clone())], testSet.x, { batchSize: 64 })
 */
export function forwardMedians(models: readonly Module[], x: Tensor, workload: ForwardWorkload, options: TimingOptions = {}): number[] {
  const batches = workload.wholeSet ? batchesOf(x, workload.batchSize) : [sliceRows(x, 0, Math.min(workload.batchSize, x.shape[0]))];
  const modes = models.map((m) => m.training);
  models.forEach((m) => m.eval());
  try {
    return noGrad(() => alternatingTimings(models.map((m) => () => batches.forEach((b) => runPlanned(m, b))), options).map((t) => t.median));
  } finally {
    models.forEach((m, i) => m.train(modes[i]));
  }
}

/** The second batch size every section times at (after batch 1), the report's "batch 64" point. */
export const TIMING_BATCH = 64;

/** The timing of a pass over a whole set: fewer rounds, since one pass takes milliseconds, not microseconds. */
export const SET_TIMING: TimingOptions = { minRounds: 5, minSeconds: 0 };
