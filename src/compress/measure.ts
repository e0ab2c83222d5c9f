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

/** The bookkeeping of one measurement: when warming up ends, when timing ends, the times per contender. */
class Rounds {
  private readonly times: number[][];
  private readonly start = performance.now();
  private warm = 0;
  private timingStart = 0;

  constructor(
    contenders: number,
    private readonly options: Required<TimingOptions>,
  ) {
    this.times = Array.from({ length: contenders }, () => []);
  }

  /** Whether another untimed round is due (at least one, then until warmUpSeconds have passed). */
  warmingUp(): boolean {
    const more = this.warm < 1 || (this.warm < 500 && performance.now() - this.start < this.options.warmUpSeconds * 1000);
    if (more) this.warm++;
    else this.timingStart ||= performance.now();
    return more;
  }

  /** Whether another timed round is due (at least minRounds, then until minSeconds have passed, at most maxRounds). */
  timing(): boolean {
    const { minRounds, maxRounds, minSeconds } = this.options;
    const n = this.times[0].length;
    return n < minRounds || (n < maxRounds && performance.now() - this.timingStart < minSeconds * 1000);
  }

  record(i: number, seconds: number): void {
    this.times[i].push(seconds);
  }

  result(): Timing[] {
    return this.times.map((t) => {
      const sorted = [...t].sort((a, b) => a - b);
      return { median: quantile(sorted, 0.5), q1: quantile(sorted, 0.25), q3: quantile(sorted, 0.75), rounds: sorted.length };
    });
  }
}

const withDefaults = (o: TimingOptions): Required<TimingOptions> => ({
  warmUpSeconds: 0.03,
  minRounds: 7,
  minSeconds: 0.15,
  maxRounds: 200,
  ...o,
});

/**
 * Times `runs` in alternating rounds after a warm-up (see the protocol above) and returns
 * each one's timing, in order.
 * @example const [a, b] = alternatingTimings([() => dense.forward(x), () => sparse.forward(x)])
 */
export function alternatingTimings(runs: readonly (() => unknown)[], options: TimingOptions = {}): Timing[] {
  const rounds = new Rounds(runs.length, withDefaults(options));
  while (rounds.warmingUp())
    runs.forEach((run) => {
      run();
    });
  while (rounds.timing()) {
    runs.forEach((run, i) => {
      const t0 = performance.now();
      run();
      rounds.record(i, (performance.now() - t0) / 1000);
    });
  }
  return rounds.result();
}

/**
 * `alternatingTimings` for contenders that answer asynchronously (a peer runtime's
 * session.run): each call is awaited before the next starts.
 * @example const [ours, theirs] = await alternatingTimingsAsync([() => net.forward(x), () => session.run(feeds)])
 */
export async function alternatingTimingsAsync(runs: readonly (() => unknown)[], options: TimingOptions = {}): Promise<Timing[]> {
  const rounds = new Rounds(runs.length, withDefaults(options));
  while (rounds.warmingUp()) for (const run of runs) await run();
  while (rounds.timing()) {
    for (const [i, run] of runs.entries()) {
      const t0 = performance.now();
      await run();
      rounds.record(i, (performance.now() - t0) / 1000);
    }
  }
  return rounds.result();
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
  models.forEach((m) => {
    m.eval();
  });
  try {
    return noGrad(() =>
      alternatingTimings(
        models.map(
          (m) => () =>
            batches.forEach((b) => {
              runPlanned(m, b);
            }),
        ),
        options,
      ).map((t) => t.median),
    );
  } finally {
    models.forEach((m, i) => {
      m.train(modes[i]);
    });
  }
}

/** The second batch size every section times at (after batch 1), the report's "batch 64" point. */
export const TIMING_BATCH = 64;

/** The timing of a pass over a whole set: fewer rounds, since one pass takes milliseconds, not microseconds. */
export const SET_TIMING: TimingOptions = { minRounds: 5, minSeconds: 0 };
