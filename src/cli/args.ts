import { promises as fs } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import { type ExperimentConfig, NOTEBOOK_SETTINGS, QUICK_SETTINGS } from '../experiments/config.js';

/** A mistake in the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {}

/** Where the CLI writes; tests pass their own. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** An integer flag ≥ `min`, or `fallback` when absent. */
export function integer(flag: string, raw: string | undefined, fallback: number, min: number): number;
export function integer(flag: string, raw: string | undefined, fallback: undefined, min: number): number | undefined;
export function integer(flag: string, raw: string | undefined, fallback: number | undefined, min: number): number | undefined {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min) {
    throw new UsageError(`--${flag} must be an integer ≥ ${min}, got '${raw}'`);
  }
  return v;
}

/** A number flag within [min, max] (bounds excluded where `open` says so), or `fallback`. */
export function number(
  flag: string,
  raw: string | undefined,
  fallback: number,
  range: { min?: number; max?: number; openMin?: boolean; openMax?: boolean } = {},
): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  const { min = -Infinity, max = Infinity, openMin = false, openMax = false } = range;
  const ok = raw.trim() !== '' && Number.isFinite(v) && (openMin ? v > min : v >= min) && (openMax ? v < max : v <= max);
  if (!ok) {
    const lo = min === -Infinity ? '' : `${openMin ? '>' : '≥'} ${min}`;
    const hi = max === Infinity ? '' : `${openMax ? '<' : '≤'} ${max}`;
    throw new UsageError(`--${flag} must be a number ${[lo, hi].filter(Boolean).join(' and ')}, got '${raw}'`);
  }
  return v;
}

/** A comma-separated list of numbers, each checked like `number`. */
export function numberList(flag: string, raw: string | undefined, range: Parameters<typeof number>[3] = {}): number[] | undefined {
  if (raw === undefined) return undefined;
  const parts = raw.split(',');
  if (parts.some((p) => p.trim() === '')) throw new UsageError(`--${flag} must be a comma-separated list of numbers, got '${raw}'`);
  return parts.map((p) => number(flag, p, NaN, range));
}

/** Parsed flags by name. */
export type Values = Record<string, string | boolean | undefined>;

/** One subcommand of `slimtensor`. */
export interface Command {
  name: string;
  /** One line for the list of commands. */
  summary: string;
  /** Its flags' help text. */
  flagsHelp: string;
  options: ParseArgsConfig['options'];
  /** Runs with the parsed flags; returns the exit code. */
  run: (values: Values, io: Io) => Promise<number>;
}

/**
 * Runs `work` with the run folder `out` ready: an --out that exists and is not a folder is
 * refused before anything happens; a folder this call created is removed again if `work`
 * fails before writing anything into it, so a failed run leaves no empty folder behind.
 */
export async function withOutFolder<T>(out: string | undefined, work: () => Promise<T>): Promise<T> {
  if (out === undefined) return work();
  const stat = await fs.stat(out).catch(() => null);
  if (stat && !stat.isDirectory()) throw new UsageError(`--out ${out} is a file, not a folder`);
  const created = !stat;
  await fs.mkdir(out, { recursive: true });
  try {
    return await work();
  } catch (e) {
    if (created) await fs.rmdir(out).catch(() => {}); // only when still empty
    throw e;
  }
}

/** Flags every experiment takes. */
export const EXPERIMENT_FLAGS = {
  epochs: { type: 'string' },
  seed: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  'train-limit': { type: 'string' },
  'test-limit': { type: 'string' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

/** Their help text. */
export const EXPERIMENT_USAGE = `  --epochs <n>            training epochs (default 5, the notebook's)
  --seed <n>              seed of initialization and shuffling (default 0)
  --batch-size <n>        batch size (default 64)
  --lr <x>                Adam learning rate (default 0.001)
  --train-limit <n>       train on the first n training images only
  --test-limit <n>        evaluate on the first n test images only
  --out <dir>             write models (safetensors) and results (JSON) there
  -h, --help              show this help`;

/** The shared settings of `--quick` as flag values, under what the user gave (`{ ...quickFlags(), ...values }`). */
export function quickFlags(quick: boolean): Values {
  if (!quick) return {};
  return {
    epochs: String(QUICK_SETTINGS.epochs),
    'train-limit': String(QUICK_SETTINGS.trainLimit),
    'test-limit': String(QUICK_SETTINGS.testLimit),
  };
}

/** The shared settings from parsed flags, the notebook's where a flag is absent. */
export function experimentConfig(values: Values, io: Io): ExperimentConfig {
  const s = (k: string): string | undefined => values[k] as string | undefined;
  return {
    epochs: integer('epochs', s('epochs'), NOTEBOOK_SETTINGS.epochs, 1),
    seed: integer('seed', s('seed'), NOTEBOOK_SETTINGS.seed, 0),
    batchSize: integer('batch-size', s('batch-size'), NOTEBOOK_SETTINGS.batchSize, 1),
    lr: number('lr', s('lr'), NOTEBOOK_SETTINGS.lr, { min: 0, openMin: true }),
    trainLimit: integer('train-limit', s('train-limit'), undefined, 1),
    testLimit: integer('test-limit', s('test-limit'), undefined, 1),
    out: s('out'),
    progress: true,
    log: (line) => io.out(`${line}\n`),
  };
}

/** The flag that starts a compression section from a saved SimpleNet. */
export const MODEL_FLAG = { model: { type: 'string' } } satisfies ParseArgsConfig['options'];

/** Its help text. */
export const MODEL_USAGE = `  --model <file>          start from this trained SimpleNet (safetensors) instead of training one`;

/** A file flag's path, checked to exist before any work starts. */
export async function existingFile(flag: string, path: string | undefined): Promise<string | undefined> {
  if (path === undefined) return undefined;
  const stat = await fs.stat(path).catch(() => null);
  if (!stat?.isFile()) throw new UsageError(`--${flag} ${path}: no such file`);
  return path;
}
