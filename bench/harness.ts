import { cpus } from 'node:os';
import Benchmark from 'benchmark';
import { alternatingTimingsAsync } from '../src/compress/measure.js';
import { backendInfo, useBackend } from '../src/tensor/kernels/index.js';
import { wasmBackend } from '../src/tensor/kernels/wasm/backend.js';

/** One measured case: its median time and what that means in the family's unit. */
export interface BenchResult {
  family: string;
  name: string;
  /** Median seconds per call. */
  median: number;
  /** Interquartile range of the samples, as a fraction of the median. */
  spread: number;
  samples: number;
  /** Throughput in `unit` (GFLOP/s, images/s, ...). */
  rate: number;
  unit: string;
  /** rate ÷ the baseline's rate, measured in the same run. */
  ratio?: number;
  baseline?: string;
}

/** Settings of a whole run. */
export interface BenchOptions {
  quick: boolean;
}

function quantile(sorted: number[], q: number): number {
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}

/**
 * Times `fn` with the `benchmark` package (which warms it up first, so V8's optimizing
 * compiler has taken over) and reports the median of its samples. `work` is the amount of
 * work one call does in `unit`s × 1 (e.g. FLOPs / 1e9 for GFLOP/s).
 */
export function measure(family: string, name: string, fn: () => void, work: number, unit: string, options: BenchOptions): BenchResult {
  const bench = new Benchmark(name, fn, {
    minSamples: options.quick ? 3 : 10,
    maxTime: options.quick ? 0.12 : 1,
    minTime: options.quick ? 0.02 : 0.1,
  });
  bench.run();
  if (bench.error) throw bench.error;
  const sample = [...bench.stats.sample].sort((a, b) => a - b);
  const median = quantile(sample, 0.5);
  const spread = (quantile(sample, 0.75) - quantile(sample, 0.25)) / median;
  return { family, name, median, spread, samples: sample.length, rate: work / median, unit };
}

/**
 * Times a call that takes seconds (where `measure` would take minutes): one warm-up call,
 * then `calls` timed ones; the median of those.
 */
export function measureSlow(family: string, name: string, fn: () => void, work: number, unit: string, calls = 3): BenchResult {
  fn();
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    fn();
    times.push((performance.now() - start) / 1000);
  }
  times.sort((a, b) => a - b);
  const median = quantile(times, 0.5);
  return {
    family,
    name,
    median,
    spread: (quantile(times, 0.75) - quantile(times, 0.25)) / median,
    samples: calls,
    rate: work / median,
    unit,
  };
}

/** One contender of `alternating`: a name, one call (awaited, so async peers fit) and its work. */
export interface Contender {
  name: string;
  run: () => Promise<unknown> | unknown;
}

/**
 * Times contenders in alternating rounds with the protocol every section uses
 * (`compress/measure.ts`): one untimed round, then `rounds` timed ones, each contender's
 * call awaited in turn; returns each one's median, with `work / median` as its rate in `unit`.
 */
export async function alternating(
  family: string,
  contenders: Contender[],
  rounds: number,
  work: number,
  unit: string,
): Promise<BenchResult[]> {
  const timings = await alternatingTimingsAsync(
    contenders.map((c) => () => c.run()),
    { warmUpSeconds: 0, minRounds: rounds, maxRounds: rounds, minSeconds: 0 },
  );
  return contenders.map((c, i): BenchResult => {
    const t = timings[i];
    return { family, name: c.name, median: t.median, spread: (t.q3 - t.q1) / t.median, samples: t.rounds, rate: work / t.median, unit };
  });
}

/** Sets each result's ratio against the result named `baseline`. */
export function withRatios(results: BenchResult[], baseline: string): BenchResult[] {
  const base = results.find((r) => r.name === baseline);
  return results.map((r) => (base ? { ...r, ratio: r.rate / base.rate, baseline } : r));
}

/** Machine and runtime facts recorded with every run. */
export function environment(): Record<string, string | number> {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    v8: process.versions.v8,
    backend: backendInfo().name,
    threads: backendInfo().threads,
    simd: backendInfo().simd,
    date: new Date().toISOString(),
  };
}

/** The backends this machine can run, for families that compare them in one run. */
export function backends(): ('js' | 'wasm')[] {
  return wasmBackend().kernels ? ['js', 'wasm'] : ['js'];
}

/** Runs `fn` with every op on `backend`, then switches back to the one that was active. */
export async function withBackend<T>(backend: 'js' | 'wasm', fn: () => T | Promise<T>): Promise<T> {
  const before = backendInfo().name as 'js' | 'wasm';
  useBackend(backend);
  try {
    return await fn();
  } finally {
    useBackend(before);
  }
}
